/**
 * Server-side limits over real HTTP: run limits clamped to the server's maxima, cancel while
 * queued, a full queue (503 with Retry-After, nothing accepted lost), and retention.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, sleep, startTestServer, type Accepted, type RunView, type TestServer } from "./helpers.js";

/** One worker, one queued run at most: two runs active (poolSize * 2), then one waiting. */
let small: TestServer;
/** Time limits at most 300 ms; finished runs kept 300 ms. */
let strict: TestServer;

before(async () => {
  [small, strict] = await Promise.all([
    startTestServer({ poolSize: 1, queueCapacity: 1 }),
    startTestServer({ poolSize: 1, maxLimits: { timeMs: 300 }, retentionMs: 1500 }),
  ]);
});

after(async () => {
  await Promise.all([small?.close(), strict?.close()]);
});

const forever = { source: `setInterval(() => {}, 1000);\n`, typecheck: false, limits: { timeMs: 20_000 } };

describe("limits clamped to the server's maxima", () => {
  it("times out an infinite loop at the server's maximum though it asks for far more", async () => {
    const res = await strict.api.submit({ source: `while (true) {}\n`, limits: { timeMs: 1_000_000_000 } }, "?wait=10");
    if (res.status === 202) await strict.api.request("POST", `/api/runs/${(res.body as Accepted).id}/cancel`); // never left running
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const run = res.body as RunView;
    assert.equal(run.status, "timed_out");
    assert.match(run.error?.message ?? "", /\b300\b/, JSON.stringify(run.error));
  });

  it("clamps the default time limit too", async () => {
    const res = await strict.api.submit({ source: `while (true) {}\n` }, "?wait=10");
    if (res.status === 202) await strict.api.request("POST", `/api/runs/${(res.body as Accepted).id}/cancel`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as RunView).status, "timed_out");
  });
});

describe("retention", () => {
  it("purges a finished run after the retention period: it answers 410", async () => {
    const run = await strict.api.runToEnd({ source: `console.log("short-lived");` });
    assert.equal(run.status, "succeeded");
    const deadline = Date.now() + 8000;
    let last = await strict.api.get(run.id);
    while (last.status === 200 && Date.now() < deadline) {
      await sleep(100);
      last = await strict.api.get(run.id);
    }
    assertError(last, 410, "gone");
    assertError(await strict.api.request("GET", `/api/runs/${run.id}/events`), 410, "gone");
  });

  it("does not purge a run that has not finished", async () => {
    const res = await strict.api.submit({ source: `await new Promise((r) => setTimeout(r, 250));\nconsole.log("slow");\n` }, "?wait=10");
    assert.equal(res.status, 200);
    assert.equal((res.body as RunView).stdout, "slow\n");
  });
});

describe("cancel while queued", () => {
  it("cancels a queued run: it never starts", async () => {
    const api = small.api;
    let queuedId = "";
    const first = await api.accepted(forever);
    const second = await api.accepted(forever);
    try {
      const res = await api.submit({ source: `console.log("must never run");\n`, typecheck: false });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const queued = res.body as Accepted;
      queuedId = queued.id;
      assert.equal(queued.status, "queued");
      const cancelled = await api.request<RunView>("POST", `/api/runs/${queued.id}/cancel`);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, "cancelled");
      assert.equal(cancelled.body.attempts, 0);
      assert.equal(cancelled.body.startedAt, null);
      assert.ok(cancelled.body.finishedAt);
      // The slot it had is free again: another run can queue.
      const next = await api.submit({ source: `console.log("queued next");\n`, typecheck: false });
      assert.equal(next.status, 202, JSON.stringify(next.body));
      assert.equal((next.body as Accepted).status, "queued");
      // Deleting a queued run cancels and purges it.
      assert.equal((await api.request("DELETE", `/api/runs/${(next.body as Accepted).id}`)).status, 204);
      assertError(await api.get((next.body as Accepted).id), 410, "gone");
    } finally {
      for (const id of [first, second]) await api.request("POST", `/api/runs/${id}/cancel`);
    }
    for (const id of [first, second]) assert.equal((await api.terminal(id)).status, "cancelled");
    // The queue moved on: the cancelled run still never ran.
    assert.equal((await api.runToEnd({ source: `console.log("after");\n`, typecheck: false })).stdout, "after\n");
    const never = await api.get(queuedId);
    assert.equal((never.body as RunView).status, "cancelled");
    assert.equal((never.body as RunView).attempts, 0);
    assert.equal((never.body as RunView).stdout, "");
    const health = await api.request<{ queueDepth: number; running: number }>("GET", "/api/health");
    assert.equal(health.body.queueDepth, 0);
    assert.equal(health.body.running, 0);
  });
});

describe("a full queue", () => {
  it("answers 503 queue_full with Retry-After, and loses none of the runs it accepted", async () => {
    const api = small.api;
    const n = 8;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        api.submit({ source: `await new Promise((r) => setTimeout(r, 300));\nconsole.log("done " + process.argv[2]);\n`, args: [String(i)], typecheck: false }),
      ),
    );
    const accepted: { i: number; id: string }[] = [];
    let refused = 0;
    for (const [i, res] of answers.entries()) {
      if (res.status === 202) accepted.push({ i, id: (res.body as Accepted).id });
      else {
        assertError(res, 503, "queue_full");
        assert.ok(Number(res.headers.get("retry-after")) > 0, `Retry-After: ${res.headers.get("retry-after")}`);
        refused++;
      }
    }
    assert.ok(refused > 0, "nothing was refused");
    assert.ok(accepted.length >= 3, `only ${accepted.length} accepted`); // two active, one queued
    for (const { i, id } of accepted) {
      const run = await api.terminal(id);
      assert.equal(run.status, "succeeded", JSON.stringify(run));
      assert.equal(run.stdout, `done ${i}\n`);
    }
    // And it accepts again once the queue drains.
    const run = await api.runToEnd({ source: `console.log("room again");\n`, typecheck: false });
    assert.equal(run.stdout, "room again\n");
  });
});
