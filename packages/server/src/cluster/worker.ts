/**
 * A worker node's consumer: takes run jobs from the queues of the runtimes it serves and executes
 * them on this process's executors. A job whose run is building or running was taken back from a
 * worker that died (BullMQ's stalled-job detection): the run is reclaimed first (retried once, its
 * partial output dropped, or ended internal_error). Cancels arrive over pub/sub.
 */
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { RunExecutor, Log } from "../orchestrator/executor.js";
import type { Runtime } from "../orchestrator/runtimes.js";
import type { RunStore } from "../store/run-store.js";
import type { ClusterEvents } from "./events.js";
import { leaseKey, queueName } from "./queues.js";

export interface RunWorkerOptions {
  connection: Redis;
  prefix: string;
  store: RunStore;
  executor: RunExecutor;
  events: ClusterEvents;
  runtimes: Runtime[];
  /** Runs this node executes at once (per runtime). */
  concurrency: number;
  lockMs: number;
  log?: Log;
  /** A job of a dead worker was taken back. */
  onStalled?: () => void;
}

export class RunWorker {
  readonly #workers: Worker[];
  readonly #active = new Map<string, AbortController>();
  readonly #leases: NodeJS.Timeout;

  private constructor(o: RunWorkerOptions) {
    this.#leases = setInterval(() => {
      if (this.#active.size === 0) return;
      const pipeline = o.connection.pipeline();
      for (const id of this.#active.keys()) pipeline.set(leaseKey(o.prefix, id), "1", "PX", o.lockMs);
      pipeline.exec().catch(() => undefined);
    }, o.lockMs / 4);
    this.#workers = o.runtimes.map((runtime) => {
      const worker = new Worker(queueName(runtime), async (job) => this.#process(o, job.id!), {
        connection: o.connection,
        prefix: o.prefix,
        concurrency: o.concurrency,
        lockDuration: o.lockMs,
        stalledInterval: Math.max(500, o.lockMs / 2),
        // Our own attempt count decides retries (RunExecutor.reclaim); a job failed by BullMQ is found by the reconciler.
        maxStalledCount: 2,
      });
      worker.on("error", (e) => o.log?.error({ err: e, runtime }, "queue worker error"));
      worker.on("stalled", () => o.onStalled?.());
      return worker;
    });
  }

  static async start(o: RunWorkerOptions): Promise<RunWorker> {
    const worker = new RunWorker(o);
    await o.events.onCancel((id) => worker.#active.get(id)?.abort());
    await Promise.all(worker.#workers.map((w) => w.waitUntilReady()));
    return worker;
  }

  get running(): number {
    return this.#active.size;
  }

  async #process(o: RunWorkerOptions, id: string): Promise<void> {
    const controller = new AbortController();
    this.#active.set(id, controller); // before the run is read: a cancel from now on reaches it
    await o.connection.set(leaseKey(o.prefix, id), "1", "PX", o.lockMs);
    try {
      const run = await o.store.get(id);
      if (!run || run.purged) return;
      if ((run.status === "building" || run.status === "running") && !(await o.executor.reclaim(run))) return;
      await o.executor.execute(id, controller.signal);
    } finally {
      this.#active.delete(id);
      await o.connection.del(leaseKey(o.prefix, id)).catch(() => undefined);
    }
  }

  /** Stops taking jobs and waits for the active ones. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.close()));
    clearInterval(this.#leases);
  }
}
