/**
 * The cluster's run queues: one BullMQ queue per runtime, each job's id the run's id (adding a
 * run twice adds it once). A job carries nothing but its id: the run itself is in PostgreSQL.
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { RUNTIMES, type Runtime } from "../orchestrator/runtimes.js";

/** The key of a run's lease: a worker executing it renews it (BullMQ's own lock is lost with Redis's data; this comes back at the next renewal). */
export const leaseKey = (prefix: string, id: string) => `${prefix}:lease:${id}`;

export const queueName = (runtime: Runtime) => `runs-${runtime}`;

/** Stalled-job detection: a worker that stops renewing its lock for this long has its jobs taken back. */
export const DEFAULT_LOCK_MS = 10_000;

/** How long an API node waits for Redis to take a job before answering anyway (the reconciler enqueues it later). */
const ADD_TIMEOUT_MS = 1000;

export class RunQueues {
  readonly #queues: Record<Runtime, Queue>;
  #depth = { value: 0, at: 0 };
  readonly #workers = new Map<Runtime, { value: number; at: number }>();

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
  ) {
    this.#queues = Object.fromEntries(RUNTIMES.map((r) => [r, new Queue(queueName(r), { connection, prefix })])) as Record<Runtime, Queue>;
  }

  /** Enqueues the run; resolves false if Redis did not take it in time (the add goes on in the background). */
  async add(id: string, runtime: Runtime): Promise<boolean> {
    const added = this.#queues[runtime].add("run", {}, { jobId: id, removeOnComplete: true, removeOnFail: true }).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ADD_TIMEOUT_MS)));
    try {
      return await Promise.race([added.catch(() => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether Redis holds each run: a job (waiting, active or delayed) or a live worker's lease on it. */
  async held(runs: { id: string; runtime: Runtime }[]): Promise<boolean[]> {
    if (runs.length === 0) return [];
    const pipeline = this.connection.pipeline();
    for (const run of runs) pipeline.exists(this.#queues[run.runtime].toKey(run.id), leaseKey(this.prefix, run.id));
    const answers = (await pipeline.exec()) ?? [];
    return answers.map(([error, n]) => {
      if (error) throw error;
      return (n as number) > 0;
    });
  }

  /** Drops a queued run's job (cancelled before a worker took it); a job a worker holds stays. */
  async remove(id: string, runtime: Runtime): Promise<void> {
    await this.#queues[runtime].remove(id).catch(() => undefined);
  }

  /** Jobs waiting, all runtimes, read at most every 200 ms (submissions check it; a bound, not a count). */
  async depth(): Promise<number> {
    if (Date.now() - this.#depth.at > 200) this.#depth = { value: await this.counts().then((c) => c.waiting), at: Date.now() };
    return this.#depth.value;
  }

  async counts(): Promise<{ waiting: number; active: number }> {
    const counts = await Promise.all(RUNTIMES.map((r) => this.#queues[r].getJobCounts("waiting", "prioritized", "delayed", "active")));
    return {
      waiting: counts.reduce((n, c) => n + (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0), 0),
      active: counts.reduce((n, c) => n + (c.active ?? 0), 0),
    };
  }

  /** Workers listening on the runtime's queue, read at most every second. */
  async workers(runtime: Runtime): Promise<number> {
    const known = this.#workers.get(runtime);
    if (known && Date.now() - known.at < 1000) return known.value;
    const value = await this.#queues[runtime].getWorkersCount();
    this.#workers.set(runtime, { value, at: Date.now() });
    return value;
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.#queues).map((q) => q.close()));
  }
}
