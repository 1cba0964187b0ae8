/**
 * The composition root of `isolator serve`: store, worker pool, checker threads, orchestrator and
 * HTTP API, wired in that direction (API → orchestrator → store/pool → sandbox). With --queue,
 * an API node of a cluster instead: runs go through Redis to worker nodes (and to this node's own
 * pool, unless --workers 0).
 */
import { IsolatedRuntimePool } from "isolator";
import { CheckerPool } from "./build/checker-pool.js";
import type { ServerConfig } from "./config.js";
import { buildApp } from "./http/app.js";
import { Metrics } from "./http/metrics.js";
import type { Log } from "./orchestrator/executor.js";
import { Orchestrator } from "./orchestrator/orchestrator.js";
import { nodeRuntime, Runtimes } from "./orchestrator/runtimes.js";
import type { RunStore } from "./store/run-store.js";
import { SqliteRunStore } from "./store/sqlite.js";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export function startServer(config: ServerConfig): Promise<RunningServer> {
  return config.queue === undefined ? startEmbedded(config) : startApiNode(config, config.queue);
}

/** The app's pino logger, for those made before the app is. */
function lateLog(): Log & { target?: Log } {
  const log: Log & { target?: Log } = { info: (o, m) => log.target?.info(o, m), error: (o, m) => log.target?.error(o, m) };
  return log;
}

async function startEmbedded(config: ServerConfig): Promise<RunningServer> {
  // PostgreSQL's client, like the cluster's modules, is loaded only by deployments that use it.
  const store: RunStore = config.store === undefined ? new SqliteRunStore(config.dataDir) : await (await import("./store/postgres.js")).PostgresRunStore.open(config.store);
  const pool = new IsolatedRuntimePool({ size: config.poolSize, maxQueue: config.queueCapacity });
  const runtimes = new Runtimes({ quickjs: { executor: pool }, node: await nodeRuntime(config) });
  const checkers = new CheckerPool({ threads: config.checkers, timeoutMs: config.buildTimeoutMs, warm: runtimes.available("node") ? ["quickjs", "node"] : ["quickjs"] });
  const checkersReady = checkers.ready(); // the threads load TypeScript and the libs meanwhile
  const metrics: Metrics = new Metrics({
    role: "embedded",
    queueDepth: () => orchestrator.queueDepth,
    running: () => orchestrator.running,
    poolSize: () => config.poolSize,
    runsByStatus: () => store.countsByStatus(),
  });
  const log = lateLog();
  const orchestrator = new Orchestrator({
    store,
    runtimes,
    checkers,
    log,
    queueCapacity: config.queueCapacity,
    concurrency: config.poolSize * 2, // one building while one runs, per worker
    onFinish: (run) => metrics.finishedRun(run),
  });
  const app = await buildApp({
    config,
    store,
    orchestrator,
    metrics,
    health: async () => ({ status: "ok", role: "embedded", store: (await store.ping()) ? "ok" : "failing", queueDepth: orchestrator.queueDepth, running: orchestrator.running, pool: pool.stats(), checkers: checkers.stats(), runtimes: runtimes.health() }),
  });
  log.target = app.log;
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

async function startApiNode(config: ServerConfig, queue: string): Promise<RunningServer> {
  if (config.store === undefined) throw new Error("--queue needs --store");
  const [{ startClusterNode }, { ClusterRunService }, { DEFAULT_LOCK_MS }] = await Promise.all([import("./cluster/node.js"), import("./cluster/service.js"), import("./cluster/queues.js")]);
  const log = lateLog();
  const metrics: Metrics = new Metrics({
    role: "api",
    queueDepth: () => node.queues.depth(),
    running: () => node.worker?.running ?? 0,
    jobsActive: () => node.queues.counts().then((c) => c.active),
    poolSize: () => config.poolSize,
    runsByStatus: () => node.store.countsByStatus(),
  });
  const node = await startClusterNode({
    store: config.store,
    queue,
    poolSize: config.poolSize,
    runtimes: ["quickjs"],
    checkers: { threads: config.checkers, timeoutMs: config.buildTimeoutMs },
    lockMs: DEFAULT_LOCK_MS,
    reconcile: { intervalMs: 2000, retentionMs: config.retentionMs },
    log,
    onFinish: (run) => metrics.finishedRun(run),
    onStalled: () => metrics.stalled.inc(),
  });
  const service = new ClusterRunService({ store: node.store, queues: node.queues, events: node.events, executor: node.executor, checkers: node.checkers, queueCapacity: config.queueCapacity, log });
  const app = await buildApp({
    config,
    store: node.store,
    orchestrator: service,
    metrics,
    rateLimitRedis: node.redis,
    rateLimitNameSpace: `${node.prefix}:rate:`,
    health: async () => {
      const [store, queue] = await Promise.all([node.store.ping(), node.pingQueue()]);
      return { status: store && queue ? "ok" : "degraded", role: "api", store: store ? "ok" : "failing", queue: queue ? "ok" : "failing", running: node.worker?.running ?? 0, pool: node.pool?.stats() ?? null, checkers: node.checkers.stats(), runtimes: node.runtimes.health() };
    },
  });
  log.target = app.log;
  void node.reconciler?.tick();
  const address = await app.listen({ host: config.host, port: config.port });
  return {
    url: address,
    async close() {
      service.close();
      await app.close();
      await node.close();
    },
  };
}
