/**
 * The embedded orchestration of runs: one process, an in-memory queue in front of the executor.
 * Every transition is written to the store before it is acted on; after a crash, `recover()`
 * resumes queued runs and retries interrupted ones once (then gives up with internal_error), so
 * no accepted run is lost or left unfinished.
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import type { CheckerPool } from "../build/checker-pool.js";
import type { Diagnostic } from "../build/typecheck.js";
import { TERMINAL, UNFINISHED, type RunRecord, type RunRequest, type RunStatus, type RunStore } from "../store/run-store.js";
import { RunExecutor, type FinishedRun, type Log } from "./executor.js";
import { QueueFullError, type LiveEvent, type RunService } from "./run-service.js";
import type { Runtimes } from "./runtimes.js";

export interface OrchestratorOptions {
  store: RunStore;
  /** The executors, by runtime (a run names its runtime). */
  runtimes: Runtimes;
  /** The checker threads builds run on. */
  checkers: CheckerPool;
  /** Runs waiting to start; beyond it submit() refuses (the API answers 503). */
  queueCapacity: number;
  /** Runs built and run at the same time. */
  concurrency: number;
  log?: Log;
  /** Called with every run that reaches a terminal status (metrics). */
  onFinish?: (run: FinishedRun) => void;
}

export class Orchestrator implements RunService {
  readonly #o: OrchestratorOptions;
  readonly #executor: RunExecutor;
  readonly #waiting: string[] = [];
  readonly #active = new Map<string, AbortController>();
  readonly #events = new EventEmitter();
  #closed = false;
  #idle: (() => void) | undefined;

  constructor(options: OrchestratorOptions) {
    this.#o = options;
    this.#events.setMaxListeners(0);
    this.#executor = new RunExecutor({ ...options, publish: (id, event) => this.#events.emit(id, event) });
  }

  get queueDepth(): number {
    return this.#waiting.length;
  }

  get running(): number {
    return this.#active.size;
  }

  async submit(request: RunRequest): Promise<RunRecord> {
    if (this.#closed) throw new QueueFullError("the server is shutting down");
    if (this.#waiting.length >= this.#o.queueCapacity) throw new QueueFullError("the run queue is full");
    this.#o.runtimes.assertAvailable(request.runtime); // RuntimeUnavailableError: the API's 503
    const run = await this.#o.store.create(randomUUID(), request);
    this.#enqueue(run.id);
    return run;
  }

  /** CheckerBusyError when every checker is busy and as many checks wait. */
  async check(request: RunRequest): Promise<Diagnostic[]> {
    return this.#o.checkers.diagnose(request, { busy: "refuse" });
  }

  /** Resumes what a previous process left (see RunExecutor.reclaim), then queues every queued run. */
  async recover(): Promise<{ resumed: number; retried: number; failed: number }> {
    const counts = { resumed: 0, retried: 0, failed: 0 };
    for (const status of ["building", "running"] as const) {
      for (const id of await this.#o.store.idsWithStatus(status)) {
        const run = await this.#o.store.get(id);
        if (!run) continue;
        const requeued = await this.#executor.reclaim(run);
        if (status === "running") counts[requeued ? "retried" : "failed"]++;
      }
    }
    for (const id of await this.#o.store.idsWithStatus("queued")) {
      this.#enqueue(id);
      counts.resumed++;
    }
    return counts;
  }

  async cancel(id: string): Promise<RunRecord | undefined> {
    const run = await this.#o.store.get(id);
    if (!run || TERMINAL.has(run.status)) return run;
    const waiting = this.#waiting.indexOf(id);
    if (waiting >= 0) {
      this.#waiting.splice(waiting, 1);
      await this.#executor.finish(id, "cancelled", {}, ["queued"]);
    } else this.#active.get(id)?.abort();
    return this.#o.store.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const run = await this.#o.store.get(id);
    if (!run || run.purged) return false;
    const waiting = this.#waiting.indexOf(id);
    if (waiting >= 0) this.#waiting.splice(waiting, 1);
    // Written, not announced: a deleted run's last word to its subscribers is `gone`. Its executor
    // stops, and nothing it still reports is written (the run is no longer unfinished).
    await this.#o.store.transition(id, "cancelled", { finishedAt: new Date().toISOString() }, UNFINISHED);
    this.#active.get(id)?.abort();
    await this.#o.store.purge(id);
    this.#events.emit(id, { type: "gone" } satisfies LiveEvent);
    return true;
  }

  async subscribe(id: string, listener: (event: LiveEvent) => void): Promise<() => void> {
    const guarded = (event: LiveEvent) => {
      try {
        listener(event);
      } catch (e) {
        this.#o.log?.error({ runId: id, err: e }, "a run's event listener failed");
      }
    };
    this.#events.on(id, guarded);
    return () => this.#events.off(id, guarded);
  }

  async waitForTerminal(id: string, ms: number, signal?: AbortSignal): Promise<RunRecord | undefined> {
    return waitForTerminal(this, this.#o.store, id, ms, signal);
  }

  /** Stops taking runs and waits for the active ones (queued runs stay queued, for the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#waiting.length = 0;
    if (this.#active.size > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
  }

  #enqueue(id: string): void {
    this.#waiting.push(id);
    this.#pump();
  }

  #pump(): void {
    while (!this.#closed && this.#active.size < this.#o.concurrency && this.#waiting.length > 0) {
      const id = this.#waiting.shift()!;
      const controller = new AbortController();
      this.#active.set(id, controller);
      void this.#executor
        .execute(id, controller.signal)
        .catch((e: unknown) => this.#o.log?.error({ runId: id, err: e }, "could not record the run's end"))
        .finally(() => {
          this.#active.delete(id);
          if (this.#active.size === 0) this.#idle?.();
          this.#pump();
        });
    }
  }
}

/**
 * Resolves with the run once a terminal status event or `gone` arrives (or after `ms`): subscribes
 * first, then reads, so an end between the two is not missed. With `pollMs`, the store is also read
 * that often (live messages between nodes are at most once).
 */
export async function waitForTerminal(runs: Pick<RunService, "subscribe">, store: RunStore, id: string, ms: number, signal?: AbortSignal, pollMs?: number): Promise<RunRecord | undefined> {
  if (ms <= 0) return store.get(id);
  let done!: () => void;
  const ended = new Promise<void>((resolve) => (done = resolve));
  const unsubscribe = await runs.subscribe(id, (event) => {
    if (event.type === "gone" || (event.type === "status" && TERMINAL.has((event.data as { status: RunStatus }).status))) done();
  });
  const timer = setTimeout(done, ms);
  const poll = pollMs === undefined ? undefined : setInterval(() => void store.get(id).then((run) => (!run || TERMINAL.has(run.status)) && done(), () => undefined), pollMs);
  signal?.addEventListener("abort", done, { once: true });
  try {
    const run = await store.get(id);
    if (!run || TERMINAL.has(run.status) || signal?.aborted) return run;
    await ended;
    return await store.get(id);
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
    unsubscribe();
    signal?.removeEventListener("abort", done);
  }
}
