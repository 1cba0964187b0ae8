/** 500 concurrent submissions over real HTTP: all accepted, all run, each with its own output; none lost. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type Accepted, type RunView, type TestServer } from "./helpers.js";

let server: TestServer;

before(async () => {
  // One client waits on all 500 runs at once: room for that many open requests (the per-client bound has its own test).
  server = await startTestServer({ poolSize: 2, queueCapacity: 1000, maxConnectionsPerClient: 1000 });
});

after(async () => {
  await server?.close();
});

describe("500 concurrent submissions", () => {
  it("accepts all of them and runs each to its own output", async () => {
    const n = 500;
    const source = `console.log("run " + process.argv[2]);\n`;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => server.api.submit({ source, args: [String(i)], typecheck: false })));
    const ids = answers.map((res, i) => {
      assert.ok(res.status === 202 || res.status === 200, `submission ${i}: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as Accepted | RunView).id;
    });
    assert.equal(new Set(ids).size, n, "ids are not unique");

    const runs = await Promise.all(ids.map((id) => server.api.terminal(id)));
    const wrong = runs.flatMap((run, i) => (run.status === "succeeded" && run.stdout === `run ${i}\n` && run.exitCode === 0 && run.attempts === 1 ? [] : [{ i, status: run.status, stdout: run.stdout }]));
    assert.deepEqual(wrong, []);

    const health = await server.api.request<{ queueDepth: number; running: number }>("GET", "/api/health");
    assert.equal(health.body.queueDepth, 0);
    assert.equal(health.body.running, 0);
    const metrics = (await server.api.request<string>("GET", "/metrics")).body;
    assert.match(metrics, new RegExp(`^isolator_runs_submitted_total\\{runtime="quickjs"\\} ${n}$`, "m"));
    assert.match(metrics, new RegExp(`^isolator_runs\\{status="succeeded"\\} ${n}$`, "m"));
  });
});
