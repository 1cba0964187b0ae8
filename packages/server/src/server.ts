/**
 * The composition root of `isolator serve`: store, worker pool, checker threads, orchestrator and
 * HTTP API, wired in that direction (API → orchestrator → store/pool → sandbox).
 */
import { IsolatedRuntimePool } from "isolator";
import { CheckerPool } from "./build/checker-pool.js";
import type { ServerConfig } from "./config.js";
import { buildApp } from "./http/app.js";
import { Metrics } from "./http/metrics.js";
import { Orchestrator } from "./orchestrator/orchestrator.js";
import { nodeRuntime, Runtimes } from "./orchestrator/runtimes.js";
import { SqliteRunStore } from "./store/sqlite.js";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const store = new SqliteRunStore(config.dataDir);
  const pool = new IsolatedRuntimePool({ size: config.poolSize, maxQueue: config.queueCapacity });
  const runtimes = new Runtimes({ quickjs: { executor: pool }, node: await nodeRuntime(config) });
  const checkers = new CheckerPool({ threads: config.checkers, timeoutMs: config.buildTimeoutMs, warm: runtimes.available("node") ? ["quickjs", "node"] : ["quickjs"] });
  const checkersReady = checkers.ready(); // the threads load TypeScript and the libs meanwhile
  const metrics: Metrics = new Metrics({
    queueDepth: () => orchestrator.queueDepth,
    running: () => orchestrator.running,
    poolSize: () => config.poolSize,
    runsByStatus: () => store.countsByStatus(),
  });
  // The orchestrator logs through the HTTP app's pino logger, which exists once the app does.
  const logger: { target?: { info(o: object, m: string): void; error(o: object, m: string): void } } = {};
  const orchestrator = new Orchestrator({
    store,
    runtimes,
    checkers,
    log: { info: (o, m) => logger.target?.info(o, m), error: (o, m) => logger.target?.error(o, m) },
    queueCapacity: config.queueCapacity,
    concurrency: config.poolSize * 2, // one building while one runs, per worker
    onFinish: (run) => {
      const labels = { runtime: run.runtime };
      metrics.finished.inc({ ...labels, status: run.status });
      if (run.stats.buildMs !== null) metrics.buildSeconds.observe(labels, run.stats.buildMs / 1000);
      if (run.stats.runMs !== null) metrics.runSeconds.observe(labels, run.stats.runMs / 1000);
    },
  });
  const app = await buildApp({
    config,
    store,
    orchestrator,
    metrics,
    health: async () => ({ status: "ok", store: (await store.ping()) ? "ok" : "failing", queueDepth: orchestrator.queueDepth, running: orchestrator.running, pool: pool.stats(), checkers: checkers.stats(), runtimes: runtimes.health() }),
  });
  logger.target = app.log;
  const node = runtimes.health().node;
  if (config.node.enabled && !node.available) app.log.warn({ reason: node.reason }, "the node runtime is unavailable; runs asking for it get 503");
  const recovered = await orchestrator.recover();
  app.log.info(recovered, "recovered runs from the store");

  const purge = async () => {
    for (const id of await store.expiredBefore(new Date(Date.now() - config.retentionMs))) await store.purge(id);
  };
  await purge();
  const retention = setInterval(() => void purge().catch((e: unknown) => app.log.error({ err: e }, "could not purge expired runs")), Math.max(1000, Math.min(config.retentionMs / 10, 60_000)));
  retention.unref();

  await checkersReady; // the first builds do not wait for a warm-up
  const address = await app.listen({ host: config.host, port: config.port });
  return {
    url: address,
    async close() {
      clearInterval(retention);
      await app.close(); // no new requests
      await orchestrator.close(); // active runs finish (bounded by their limits); queued ones wait for the next start
      await runtimes.close();
      await checkers.close();
      await store.close();
    },
  };
}
