/**
 * Keeps Redis in step with PostgreSQL, the source of truth: every run PostgreSQL says is unfinished
 * but Redis holds no job for (Redis lost its data, an enqueue failed, BullMQ gave a job up) is
 * reclaimed if it was caught building or running, and enqueued again. Also purges expired runs.
 * One node sweeps at a time: the holder of a lock in Redis, renewed at each sweep.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Log, RunExecutor } from "../orchestrator/executor.js";
import type { PostgresRunStore } from "../store/postgres.js";
import { DEFAULT_LOCK_MS, type RunQueues } from "./queues.js";

export interface ReconcilerOptions {
  store: PostgresRunStore;
  queues: RunQueues;
  executor: RunExecutor;
  redis: Redis;
  prefix: string;
  intervalMs: number;
  retentionMs: number;
  log?: Log;
}

/** Runs younger than this are left alone: their API node may still be enqueueing them. */
const GRACE_MS = 2000;
/** A run building or running that nothing in Redis holds for this long has lost its worker (workers renew leases every --lock-ms / 4, at most 30 s / 4). */
const ORPHAN_MS = DEFAULT_LOCK_MS;
/** Runs looked at per sweep. */
const BATCH = 1000;

/** Takes the lock if free, or renews it if ours; answers whether we hold it. */
const LEAD = `
local holder = redis.call("GET", KEYS[1])
if holder == false then return redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2]) and 1 or 0 end
if holder == ARGV[1] then redis.call("PEXPIRE", KEYS[1], ARGV[2]) return 1 end
return 0`;

export class Reconciler {
  readonly #id = randomUUID();
  readonly #timer: NodeJS.Timeout;
  #sweeping: Promise<void> | undefined;
  #lastPurge = 0;
  #leading = false;
  /** Runs caught building or running with nothing in Redis holding them, and since when. */
  readonly #orphans = new Map<string, number>();

  constructor(private readonly o: ReconcilerOptions) {
    this.#timer = setInterval(() => void this.tick(), o.intervalMs);
    this.#timer.unref();
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** One sweep, if this node leads (tests call it to avoid waiting for the timer). */
  tick(): Promise<void> {
    this.#sweeping ??= this.#sweep()
      .catch((e: unknown) => this.o.log?.error({ err: e }, "reconciler sweep failed"))
      .finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async #sweep(): Promise<void> {
    this.#leading = (await this.o.redis.eval(LEAD, 1, `${this.o.prefix}:reconciler`, this.#id, String(this.o.intervalMs * 3))) === 1;
    if (!this.#leading) return;
    const runs = await this.o.store.unfinishedOlderThan(GRACE_MS, BATCH);
    const held = await this.o.queues.held(runs);
    let enqueued = 0;
    const orphans = new Set<string>();
    for (const [i, run] of runs.entries()) {
      if (held[i]) continue;
      if (run.status !== "queued") {
        // A live worker renews its lease well within ORPHAN_MS (after Redis lost its data too): only then is it dead.
        orphans.add(run.id);
        const since = this.#orphans.get(run.id) ?? Date.now();
        this.#orphans.set(run.id, since);
        if (Date.now() - since < ORPHAN_MS) continue;
        this.#orphans.delete(run.id);
        const record = await this.o.store.get(run.id);
        if (!record || !(await this.o.executor.reclaim(record))) continue;
      }
      await this.o.queues.add(run.id, run.runtime);
      enqueued++;
    }
    for (const id of this.#orphans.keys()) if (!orphans.has(id)) this.#orphans.delete(id);
    if (enqueued > 0) this.o.log?.info({ enqueued }, "reconciler enqueued runs Redis did not hold");
    if (Date.now() - this.#lastPurge > Math.min(this.o.retentionMs / 10, 60_000)) {
      this.#lastPurge = Date.now();
      for (const id of await this.o.store.expiredBefore(new Date(Date.now() - this.o.retentionMs))) await this.o.store.purge(id);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sweeping;
    if (this.#leading) await this.o.redis.eval(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`, 1, `${this.o.prefix}:reconciler`, this.#id).catch(() => undefined);
  }
}
