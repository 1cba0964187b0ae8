/**
 * A cluster of real processes (API nodes, worker nodes) on the machine's PostgreSQL and Redis,
 * failed on purpose: a worker or an API node SIGKILLed mid-run, Redis losing every key,
 * PostgreSQL unreachable for a while. No accepted run may be lost, left unfinished, or have its
 * output doubled.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { busyWorker, TestCluster, type Node } from "./cluster-processes.js";
import { assertError, readEvents, sleep, ticker, tickerOutput, type RunView } from "./helpers.js";
import { POSTGRES_URL } from "./postgres.js";
import { CuttableProxy } from "./proxy.js";

describe("a cluster: two API nodes, workers", () => {
  const cluster = new TestCluster();
  let apiA: Node;
  let apiB: Node;
  const workers: Node[] = [];
  before(async () => {
    let started: Node[];
    [apiA, apiB, ...started] = await Promise.all([cluster.api(), cluster.api(), cluster.worker(), cluster.worker()]);
    workers.push(...started);
  });
  after(() => cluster.destroy());

  it("runs a program submitted to one API node and answers it on the other; health and metrics report store and queue", async () => {
    const id = await apiA.api.accepted({ source: `console.log("hello from " + "the cluster");` });
    const run = await apiB.api.terminal(id);
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(run.stdout, "hello from the cluster\n");
    const health = (await apiA.api.request<{ status: string; role: string; store: string; queue: string }>("GET", "/api/health")).body;
    assert.deepEqual([health.status, health.role, health.store, health.queue], ["ok", "api", "ok", "ok"]);
    const workerHealth = (await workers[0]!.api.request<{ role: string; store: string; queue: string }>("GET", "/api/health")).body;
    assert.deepEqual([workerHealth.role, workerHealth.store, workerHealth.queue], ["worker", "ok", "ok"]);
    const metrics = (await apiB.api.request<string>("GET", "/metrics")).body;
    assert.match(metrics, /isolator_node_info\{role="api"\} 1/);
    assert.match(metrics, /isolator_queue_depth \d+/);
    assert.match(metrics, /isolator_jobs_active \d+/);
    const finished = await Promise.all(workers.map(async (w) => (await w.api.request<string>("GET", "/metrics")).body));
    assert.ok(finished.some((text) => /isolator_runs_finished_total\{runtime="quickjs",status="succeeded"\} [1-9]/.test(text)), "a worker counted the run");
  });

  it("cancels from one API node a run another node accepted, on whichever worker runs it", async () => {
    const id = await apiA.api.accepted({ source: "while (true) {}", limits: { timeMs: 20_000 } });
    await apiA.api.until(id, (r) => r.status === "running");
    const res = await apiB.api.request<RunView>("POST", `/api/runs/${id}/cancel`);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, "cancelled", "the worker stopped it while the cancel waited (2 s at most)");
  });

  it("SIGKILL of a worker mid-run: the run is retried once on another worker, its output not doubled", async () => {
    const id = await apiA.api.accepted({ source: ticker(30, 100), limits: { timeMs: 20_000 } });
    await apiA.api.until(id, (r) => r.status === "running" && r.stdout.includes("tick 3\n"));
    const victim = await busyWorker(workers);
    await cluster.kill(victim);
    workers.splice(workers.indexOf(victim), 1);
    const run = await apiB.api.terminal(id, 60_000);
    assert.equal(run.status, "succeeded", JSON.stringify(run).slice(0, 500));
    assert.equal(run.attempts, 2);
    assert.equal(run.stdout, tickerOutput(30), "the first attempt's output was dropped, the retry's kept once");
    workers.push(await cluster.worker());
  });

  it("a cancel asked for while the run's worker is dead ends the run cancelled, not retried", async () => {
    const id = await apiA.api.accepted({ source: ticker(300, 100), limits: { timeMs: 20_000 } });
    await apiA.api.until(id, (r) => r.status === "running" && r.stdout.includes("tick 2\n"));
    const victim = await busyWorker(workers);
    await cluster.kill(victim);
    workers.splice(workers.indexOf(victim), 1);
    await apiB.api.request("POST", `/api/runs/${id}/cancel`);
    const run = await apiA.api.terminal(id, 60_000);
    assert.equal(run.status, "cancelled");
    assert.equal(run.attempts, 1, "not run again");
    workers.push(await cluster.worker());
  });

  it("SIGKILL of an API node: the other serves the run, and its event stream resumes where the first stopped", async () => {
    const id = await apiA.api.accepted({ source: ticker(20, 100), limits: { timeMs: 20_000 } });
    // Read the stream from A until a few output events have arrived, then kill A.
    const res = await fetch(`${apiA.url}/api/runs/${id}/events`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while ((text.match(/event: output/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      assert.ok(!done, "the stream ended early");
      text += decoder.decode(value, { stream: true });
    }
    const blocks = text.split("\n\n").filter((b) => b.includes("event: output") && b.includes("data: "));
    const seen = blocks.map((b) => ({ id: Number(/^id: (\d+)/m.exec(b)![1]), text: (JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as { text: string }).text }));
    await cluster.kill(apiA);
    reader.cancel().catch(() => undefined);
    const lastId = seen.at(-1)!.id;
    const resumed = await readEvents(`${apiB.url}/api/runs/${id}/events`, { "last-event-id": String(lastId) }, 60_000);
    assert.equal(resumed.status, 200);
    assert.ok(resumed.events.every((e) => e.id === undefined || e.id > lastId), "nothing before Last-Event-ID again");
    const rest = resumed.events.filter((e) => e.event === "output").map((e) => (e.data as { text: string }).text);
    assert.equal(seen.map((s) => s.text).join("") + rest.join(""), tickerOutput(20), "no chunk lost or repeated across nodes");
    const final = resumed.events.at(-1)!;
    assert.equal(final.event, "run");
    assert.equal((final.data as RunView).status, "succeeded");
  });
});

describe("a cluster whose Redis loses every key", () => {
  const cluster = new TestCluster();
  let api: Node;
  before(async () => {
    [api] = await Promise.all([cluster.api(), cluster.worker()]);
  });
  after(() => cluster.destroy());

  it("still finishes every run it accepted, each output once", async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => api.api.accepted({ source: `console.log("run ${i}");\n${ticker(5, 100)}` })));
    await api.api.until(ids[0]!, (r) => r.status === "running"); // some running, the rest queued in Redis
    assert.ok((await cluster.flushRedis()) > 0, "there were keys to lose");
    const runs = await Promise.all(ids.map((id) => api.api.terminal(id, 90_000)));
    for (const [i, run] of runs.entries()) {
      assert.equal(run.status, "succeeded", JSON.stringify(run).slice(0, 500));
      assert.equal(run.stdout, `run ${i}\n${tickerOutput(5)}`);
    }
  });
});

describe("a cluster whose PostgreSQL is unreachable for a while", () => {
  let proxy: CuttableProxy;
  let cluster: TestCluster;
  let api: Node;
  before(async () => {
    proxy = await CuttableProxy.start(Number(new URL(POSTGRES_URL).port || 5432));
    cluster = new TestCluster(proxy.port);
    [api] = await Promise.all([cluster.api(), cluster.worker()]);
  });
  after(async () => {
    proxy.restore();
    await cluster.destroy();
    await proxy.close();
  });

  it("answers 503 meanwhile; the worker pauses and resumes; nothing is lost or doubled", async () => {
    const id = await api.api.accepted({ source: ticker(30, 100), limits: { timeMs: 25_000 } });
    await api.api.until(id, (r) => r.status === "running" && r.stdout.includes("tick 3\n"));
    proxy.cut();
    const during = await api.api.get(id);
    assertError(during, 503, "store_unavailable");
    assert.equal(during.headers.get("retry-after"), "1");
    assertError(await api.api.submit({ source: "1" }), 503, "store_unavailable");
    await sleep(1500);
    proxy.restore();
    const run = await api.api.terminal(id, 60_000);
    assert.equal(run.status, "succeeded", JSON.stringify(run).slice(0, 500));
    assert.equal(run.attempts, 1, "paused, not retried");
    assert.equal(run.stdout, tickerOutput(30));
  });
});
