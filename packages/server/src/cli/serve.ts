/** `isolator serve`: the service on embedded defaults until SIGINT/SIGTERM. */
import { resolveConfig } from "../config.js";
import { startServer } from "../server.js";
import { keepServingOnStrayErrors } from "./stray-errors.js";

export async function serve(args: string[]): Promise<number> {
  const config = resolveConfig(args, process.env);
  keepServingOnStrayErrors();
  const server = await startServer(config);
  const where = config.queue !== undefined ? "API node of a cluster" : config.store !== undefined ? "store in PostgreSQL" : `data in ${config.dataDir}`;
  process.stdout.write(`isolator: serving on ${server.url} (${where})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  return 0;
}
