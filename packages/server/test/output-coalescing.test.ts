/**
 * Output cannot be amplified: alternating one-byte writes to stdout and stderr (40 KB) travel as a
 * bounded number of chunks — worker messages, stored rows, JSON objects — with the text and the
 * order of the streams exact.
 */
import Database from "better-sqlite3";
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { outputSegments } from "isolator";
import { readEvents, startTestServer, type Api, type RunView, type TestServer } from "./helpers.js";

let server: TestServer;
let api: Api;

before(async () => {
  server = await startTestServer({ poolSize: 1 });
  api = server.api;
});

after(async () => {
  await server?.close();
});

/** [stream, text] runs of the same stream, in order. */
function streamRuns(output: RunView["output"]): [string, string][] {
  const runs: [string, string][] = [];
  for (const { stream, text } of output.flatMap(outputSegments)) {
    const last = runs.at(-1);
    if (last?.[0] === stream) last[1] += text;
    else runs.push([stream, text]);
  }
  return runs;
}

describe("output amplification", () => {
  it("stores and serves 40 KB of alternating one-byte writes as few chunks, text and order exact", async () => {
    const source = `for (let i = 0; i < 20000; i++) { process.stdout.write("o"); process.stderr.write("e"); }\n`;
    const res = await api.submit({ source, typecheck: false, limits: { timeMs: 20_000 } }, "?wait=25");
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
    const run = res.body as RunView;
    assert.equal(run.status, "succeeded");
    assert.equal(run.stdout, "o".repeat(20000));
    assert.equal(run.stderr, "e".repeat(20000));
    const runs = streamRuns(run.output);
    assert.equal(runs.length, 40_000);
    assert.ok(runs.every(([stream, text], i) => (i % 2 === 0 ? stream === "stdout" && text === "o" : stream === "stderr" && text === "e")));
    assert.ok(run.output.length < 2000, `${run.output.length} chunks`);

    const db = new Database(join(server.dataDir, "isolator.db"), { readonly: true, fileMustExist: true });
    try {
      const { n } = db.prepare("SELECT COUNT(*) AS n FROM events WHERE run_id = ? AND type = 'output'").get(run.id) as { n: number };
      assert.equal(n, run.output.length, "one row per chunk");
    } finally {
      db.close();
    }
    // Before: one JSON object per byte (1.9 MB). Now the text twice (output, stdout/stderr) and the switch offsets.
    const bytes = Buffer.byteLength(JSON.stringify(run));
    assert.ok(bytes < 400_000, `the view is ${bytes} bytes`);

    const { events } = await readEvents(`${server.url}/api/runs/${run.id}/events`);
    const streamed = events.filter((e) => e.event === "output").map((e) => e.data as RunView["output"][number]);
    assert.deepEqual(streamRuns(streamed), runs);
  });
});
