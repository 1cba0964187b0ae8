/** `isolator worker`: a cluster's worker node until SIGINT/SIGTERM. */
import type { Log } from "../orchestrator/executor.js";
import { resolveWorkerConfig } from "../worker-config.js";
import { startWorker } from "../worker.js";
import { keepServingOnStrayErrors } from "./stray-errors.js";

export async function worker(args: string[]): Promise<number> {
  const config = resolveWorkerConfig(args, process.env);
  keepServingOnStrayErrors();
  const node = await startWorker({ ...config, log: jsonLog(config.logLevel) });
  process.stdout.write(`isolator: worker node executing ${config.runtimes.join(", ")} runs on ${config.concurrency} threads; metrics on ${node.url}/metrics\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await node.close(); // active runs finish; waiting jobs stay queued for other workers
  return 0;
}

/** One JSON line per message: info to stdout, errors to stderr. */
function jsonLog(level: "silent" | "error" | "info"): Log {
  const line = (o: object, msg: string) => `${JSON.stringify({ time: new Date().toISOString(), msg, ...o }, (key, v: unknown) => (key === "err" && v instanceof Error ? v.stack : v))}\n`;
  return {
    info: (o, msg) => void (level === "info" && process.stdout.write(line(o, msg))),
    error: (o, msg) => void (level !== "silent" && process.stderr.write(line(o, msg))),
  };
}
