/**
 * What every cluster node has, API or worker: the PostgreSQL store, Redis connections, the run
 * queues, pub/sub, on API nodes the reconciler (one node sweeps at a time), and, if it executes runs, a pool
 * and a queue worker.
 */
import { IsolatedRuntimePool } from "isolator";
import type { Redis } from "ioredis";
import { CheckerPool } from "../build/checker-pool.js";
import { RunExecutor, type FinishedRun, type Log } from "../orchestrator/executor.js";
import { Runtimes, type Runtime } from "../orchestrator/runtimes.js";
import { PostgresRunStore } from "../store/postgres.js";
import { ClusterEvents } from "./events.js";
import { RunQueues } from "./queues.js";
import { Reconciler } from "./reconciler.js";
import { connect, redisTarget } from "./redis.js";
import { RunWorker } from "./worker.js";

export interface ClusterNodeOptions {
  /** PostgreSQL URL (?schema=). */
  store: string;
  /** Redis URL (?prefix=). */
  queue: string;
  /** Worker threads executing runs; 0: this node executes none. */
  poolSize: number;
  /** Checker threads building runs (and, on API nodes, answering /api/check). */
  checkers: { threads: number; timeoutMs: number };
  /** Runtimes this node executes (when poolSize > 0). */
  runtimes: Runtime[];
  lockMs: number;
  /** API nodes sweep (one at a time); worker nodes leave it to them. */
  reconcile: { intervalMs: number; retentionMs: number } | undefined;
  log: Log;
  onFinish: (run: FinishedRun) => void;
  onStalled: () => void;
}

export interface ClusterNode {
  store: PostgresRunStore;
  redis: Redis;
  prefix: string;
  queues: RunQueues;
  events: ClusterEvents;
  checkers: CheckerPool;
  executor: RunExecutor;
  runtimes: Runtimes;
  pool: IsolatedRuntimePool | undefined;
  worker: RunWorker | undefined;
  reconciler: Reconciler | undefined;
  /** Whether Redis answers. */
  pingQueue(): Promise<boolean>;
  close(): Promise<void>;
}

export async function startClusterNode(o: ClusterNodeOptions): Promise<ClusterNode> {
  const target = redisTarget(o.queue);
  const store = await PostgresRunStore.open(o.store);
  const redis = connect(target);
  const subscriber = connect(target);
  const queues = new RunQueues(redis, target.prefix);
  const events = new ClusterEvents(redis, subscriber, target.prefix);
  const checkers = new CheckerPool({ ...o.checkers, warm: ["quickjs"] });
  await checkers.ready(); // the first builds do not wait for a warm-up
  const pool = o.poolSize > 0 && o.runtimes.includes("quickjs") ? new IsolatedRuntimePool({ size: o.poolSize }) : undefined;
  const runtimes = new Runtimes({
    quickjs: pool ? { executor: pool } : { unavailable: "this node executes no QuickJS runs" },
    node: { unavailable: "not executed by cluster workers yet" },
  });
  const executor = new RunExecutor({ store, runtimes, checkers, publish: (id, event) => events.publish(id, event), log: o.log, onFinish: o.onFinish });
  const served = o.runtimes.filter((r) => (r === "quickjs" ? pool !== undefined : false));
  const worker =
    served.length > 0
      ? await RunWorker.start({ connection: redis, prefix: target.prefix, store, executor, events, runtimes: served, concurrency: o.poolSize * 2, lockMs: o.lockMs, log: o.log, onStalled: o.onStalled })
      : undefined;
  const reconciler = o.reconcile && new Reconciler({ store, queues, executor, redis, prefix: target.prefix, ...o.reconcile, log: o.log });
  return {
    store,
    redis,
    prefix: target.prefix,
    queues,
    events,
    checkers,
    executor,
    runtimes,
    pool,
    worker,
    reconciler,
    pingQueue: () => Promise.race([redis.ping().then(() => true, () => false), new Promise<boolean>((resolve) => setTimeout(resolve, 1000, false).unref())]),
    async close() {
      await reconciler?.close();
      await worker?.close(); // active runs finish; waiting jobs stay in Redis for other workers
      await runtimes.close();
      await checkers.close();
      await queues.close();
      subscriber.disconnect();
      await redis.quit().catch(() => undefined);
      await store.close();
    },
  };
}
