// The committed OpenAPI document is the one the server serves (regenerate: npm run openapi).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { defaultConfig, startServer, type RunningServer } from "../src/index.js";

const dataDir = mkdtempSync(join(tmpdir(), "isolator-docs-"));
let server: RunningServer;
before(async () => {
  server = await startServer({ ...defaultConfig(), port: 0, dataDir, logLevel: "silent", poolSize: 1 });
});
after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test("docs/openapi.json is what GET /api/openapi.json serves", async () => {
  const served = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
  const committed = JSON.parse(readFileSync(fileURLToPath(new URL("../../../../docs/openapi.json", import.meta.url)), "utf8")) as unknown;
  assert.match(served.openapi, /^3\./);
  assert.ok("/api/runs" in served.paths && "/api/runs/{id}/events" in served.paths);
  assert.deepEqual(committed, served, "docs/openapi.json is stale: run `npm run openapi`");
});

test("the README's curl example runs as shown", async () => {
  const readme = readFileSync(fileURLToPath(new URL("../../../../README.md", import.meta.url)), "utf8");
  const body = /-d '(\{"source".*?\})'/s.exec(readme)?.[1];
  assert.ok(body, "README.md has a curl example with a JSON body");
  const res = await fetch(`${server.url}/api/runs?wait=10`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const run = (await res.json()) as { status: string; stdout: string; exitCode: number };
  assert.equal(res.status, 200);
  assert.deepEqual({ status: run.status, stdout: run.stdout, exitCode: run.exitCode }, { status: "succeeded", stdout: "hello, world\n", exitCode: 0 });
});
