/** `isolator openapi`: prints the HTTP API's OpenAPI document (what docs/openapi.json holds). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../config.js";
import { startServer } from "../server.js";

export async function openapi(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "isolator-openapi-"));
  const server = await startServer({ ...resolveConfig([], {}), port: 0, dataDir, logLevel: "silent", poolSize: 1 });
  try {
    process.stdout.write(`${JSON.stringify(await (await fetch(`${server.url}/api/openapi.json`)).json(), null, 2)}\n`);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return 0;
}
