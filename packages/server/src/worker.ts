/**
 * The composition root of `isolator worker`: a worker node of a cluster. It takes run jobs from
 * Redis, executes them on its own pool and writes their events and results to PostgreSQL. It
 * serves /metrics and /api/health on its own port; it has no run API.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startClusterNode } from "./cluster/node.js";
import { Metrics } from "./http/metrics.js";
import type { Log } from "./orchestrator/executor.js";
import type { Runtime } from "./orchestrator/runtimes.js";

export interface WorkerConfig {
  store: string;
  queue: string;
  /** Worker threads; runs executed at once is twice this (one building while one runs). */
  concurrency: number;
  runtimes: Runtime[];
  /** Checker threads building runs, and the longest build. */
  checkers: number;
  buildTimeoutMs: number;
  /** Stalled-job detection: without a lock renewal for this long, this node's jobs go to others. */
  lockMs: number;
  host: string;
  /** Port of /metrics and /api/health (0 picks a free one). */
  port: number;
  log: Log;
}

export interface RunningWorker {
  /** Where /metrics and /api/health answer. */
  url: string;
  close(): Promise<void>;
}

export async function startWorker(config: WorkerConfig): Promise<RunningWorker> {
  const metrics: Metrics = new Metrics({
    role: "worker",
    queueDepth: () => node.queues.depth(),
    running: () => node.worker?.running ?? 0,
    jobsActive: () => node.queues.counts().then((c) => c.active),
    poolSize: () => config.concurrency,
    runsByStatus: async () => ({}), // the API nodes report the store's counts
  });
  const node = await startClusterNode({
    store: config.store,
    queue: config.queue,
    poolSize: config.concurrency,
    runtimes: config.runtimes,
    checkers: { threads: config.checkers, timeoutMs: config.buildTimeoutMs },
    lockMs: config.lockMs,
    reconcile: undefined,
    log: config.log,
    onFinish: (run) => metrics.finishedRun(run),
    onStalled: () => metrics.stalled.inc(),
  });
  const http = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => res.writeHead(status, { "content-type": type }).end(body);
    if (req.url === "/metrics") return void metrics.render().then((text) => send(200, metrics.contentType, text), () => send(500, "text/plain", "metrics failed\n"));
    if (req.url === "/api/health") {
      return void Promise.all([node.store.ping(), node.pingQueue()]).then(([store, queue]) =>
        send(200, "application/json", JSON.stringify({ status: store && queue ? "ok" : "degraded", role: "worker", store: store ? "ok" : "failing", queue: queue ? "ok" : "failing", running: node.worker?.running ?? 0, runtimes: node.runtimes.health() })),
      );
    }
    send(404, "application/json", JSON.stringify({ error: { code: "not_found", message: "a worker node serves /metrics and /api/health only" } }));
  });
  await new Promise<void>((resolve) => http.listen(config.port, config.host, resolve));
  const { address, port } = http.address() as AddressInfo;
  return {
    url: `http://${address.includes(":") ? `[${address}]` : address}:${port}`,
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await node.close();
    },
  };
}
