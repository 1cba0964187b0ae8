/**
 * Deleting a run, whatever is waiting on it: streams end with a final `gone` event, long-polls and
 * cancels answer 410, and the server stays up (no rejection goes unhandled: see helpers.ts).
 */
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { assertError, readEvents, sleep, startTestServer, type Api, type TestServer, ON_POSTGRES } from "./helpers.js";

let server: TestServer;
let api: Api;

before(async () => {
  server = await startTestServer({ poolSize: 1 });
  api = server.api;
});

after(async () => {
  await server?.close();
});

const FOREVER = `setInterval(() => console.log("tick"), 20);\n`;

async function runningRun(): Promise<string> {
  const id = await api.accepted({ source: FOREVER, limits: { timeMs: 30_000 } });
  await api.until(id, (r) => r.status === "running" && r.stdout.includes("tick"), 60_000);
  return id;
}

async function deleteRun(id: string): Promise<void> {
  assert.equal((await api.request("DELETE", `/api/runs/${id}`)).status, 204);
}

async function assertGoneEverywhere(id: string): Promise<void> {
  assertError(await api.get(id), 410, "gone");
  assertError(await api.get(id, "?wait=1"), 410, "gone");
  assertError(await api.request("POST", `/api/runs/${id}/cancel`), 410, "gone");
  assertError(await api.request("GET", `/api/runs/${id}/events`), 410, "gone");
}

describe("deleting a run that is being watched", () => {
  it("ends every event stream on a running run with a final `gone` event", async () => {
    const id = await runningRun();
    const streams = [readEvents(`${server.url}/api/runs/${id}/events`), readEvents(`${server.url}/api/runs/${id}/events`)];
    await api.until(id, (r) => r.stdout.split("\n").length > 3); // both streams are following by now
    await deleteRun(id);
    for (const { status, events } of await Promise.all(streams)) {
      assert.equal(status, 200);
      assert.equal(events.at(-1)?.event, "gone", JSON.stringify(events.slice(-3)));
      assert.deepEqual(events.at(-1)?.data, { id });
      assert.ok(!events.some((e) => e.event === "run"), "a deleted run's view was sent");
    }
    await assertGoneEverywhere(id);
    assert.equal((await api.request("GET", "/api/health")).status, 200);
  });

  it("ends a lone stream on a queued run, and answers 410 to a long-poll waiting on it", async () => {
    // One worker, two active runs (one running, one building while it waits for the worker): the next one queues.
    const blockers = [await runningRun(), await api.accepted({ source: FOREVER })];
    await api.until(blockers[1]!, (r) => r.status === "building");
    const id = await api.accepted({ source: `console.log("never");` });
    assert.equal(((await api.get(id)).body as { status: string }).status, "queued");
    const stream = readEvents(`${server.url}/api/runs/${id}/events`);
    const longPoll = api.get(id, "?wait=20");
    await sleep(300);
    await deleteRun(id);
    const { events } = await stream;
    assert.deepEqual(
      events.map((e) => [e.event, (e.data as { status?: string }).status]),
      [
        ["status", "queued"],
        ["gone", undefined],
      ],
    );
    assertError(await longPoll, 410, "gone");
    await assertGoneEverywhere(id);
    for (const blocker of blockers) await deleteRun(blocker);
  });

  it("answers 410 to a submit that waits on a run deleted meanwhile", { skip: ON_POSTGRES && "reads the SQLite file" }, async () => {
    const submitted = api.submit({ source: FOREVER, limits: { timeMs: 30_000 } }, "?wait=25");
    const id = await runningId();
    await deleteRun(id);
    assertError(await submitted, 410, "gone");
  });
});

/** The id of the one run running (read from the store's file: the waiting submit has not answered yet). */
async function runningId(): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    const db = new Database(join(server.dataDir, "isolator.db"), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT id FROM runs WHERE status = 'running' AND purged = 0").get() as { id: string } | undefined;
      if (row) return row.id;
    } finally {
      db.close();
    }
    await sleep(50);
  }
  throw new Error("no run started in 60 s");
}

describe("the service process", () => {
  it("logs an error that escaped every handler and keeps serving", async () => {
    const guard = fileURLToPath(new URL("../src/cli/stray-errors.js", import.meta.url));
    const script = `
      const { keepServingOnStrayErrors } = await import(${JSON.stringify(guard)});
      keepServingOnStrayErrors();
      Promise.reject(new Error("stray rejection"));
      setTimeout(() => { throw new Error("stray exception"); }, 10);
      setTimeout(() => console.log("still serving"), 200);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0, stderr);
    assert.equal(stdout, "still serving\n");
    assert.match(stderr, /unhandled rejection \(kept serving\).*stray rejection/);
    assert.match(stderr, /uncaught exception \(kept serving\).*stray exception/);
  });
});
