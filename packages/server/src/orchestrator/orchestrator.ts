/**
 * The durable orchestration of runs: queued → building → running → one terminal status. Every
 * transition is written to the store before it is acted on; after a crash, `recover()` resumes
 * queued runs and retries interrupted ones once (then gives up with internal_error), so no
 * accepted run is lost or left unfinished.
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import type { IsolatedRuntimePool, RunResult } from "isolator";
import type { Diagnostic, TypeChecker } from "../build/typecheck.js";
import { TERMINAL, type OutputChunk, type RunEvent, type RunRecord, type RunRequest, type RunStatus, type RunStore } from "../store/store.js";
import { build } from "./build.js";

/** Attempts a run gets when the server dies while it runs: the first, and one retry. */
const MAX_ATTEMPTS = 2;

export interface OrchestratorOptions {
  store: RunStore;
  pool: IsolatedRuntimePool;
  checker: TypeChecker;
  /** Runs waiting to start; beyond it submit() refuses (the API answers 503). */
  queueCapacity: number;
  /** Runs built and run at the same time. */
  concurrency: number;
  log?: { info(o: object, msg: string): void; error(o: object, msg: string): void };
  /** Called with every run that reaches a terminal status (metrics). */
  onFinish?: (run: RunRecord) => void;
}

export class QueueFullError extends Error {}

export class Orchestrator {
  readonly #o: OrchestratorOptions;
  readonly #waiting: string[] = [];
  readonly #active = new Map<string, AbortController>();
  readonly #events = new EventEmitter();
  #closed = false;
  #idle: (() => void) | undefined;

  constructor(options: OrchestratorOptions) {
    this.#o = options;
    this.#events.setMaxListeners(0);
  }

  get queueDepth(): number {
    return this.#waiting.length;
  }

  get running(): number {
    return this.#active.size;
  }

  /** Accepts a run: persisted as queued before this returns. */
  submit(request: RunRequest): RunRecord {
    if (this.#closed) throw new QueueFullError("the server is shutting down");
    if (this.#waiting.length >= this.#o.queueCapacity) throw new QueueFullError("the run queue is full");
    const id = randomUUID();
    this.#o.store.create(id, request);
    this.#enqueue(id);
    return this.#o.store.get(id)!;
  }

  /** The build step alone: diagnostics of a program, nothing run (the playground's live checks). */
  check(request: RunRequest): Diagnostic[] {
    return build(request, this.#o.checker).diagnostics;
  }

  /**
   * Resumes what a previous process left: queued runs proceed; runs caught building go back to
   * the queue (building runs nothing); runs caught running are retried once, their partial output
   * dropped, then end as internal_error.
   */
  recover(): { resumed: number; retried: number; failed: number } {
    const counts = { resumed: 0, retried: 0, failed: 0 };
    for (const id of this.#o.store.idsWithStatus("building")) this.#o.store.transition(id, "queued");
    for (const id of this.#o.store.idsWithStatus("running")) {
      const run = this.#o.store.get(id)!;
      if (run.attempts >= MAX_ATTEMPTS) {
        this.#finish(id, "internal_error", {
          error: { name: "InternalError", message: `the server stopped while the run was running, ${run.attempts} times`, stack: "" },
        });
        counts.failed++;
      } else {
        this.#o.store.clearOutput(id);
        this.#o.store.transition(id, "queued");
        counts.retried++;
      }
    }
    for (const id of this.#o.store.idsWithStatus("queued")) {
      this.#enqueue(id);
      counts.resumed++;
    }
    return counts;
  }

  cancel(id: string): RunRecord | undefined {
    const run = this.#o.store.get(id);
    if (!run || TERMINAL.has(run.status)) return run;
    const waiting = this.#waiting.indexOf(id);
    if (waiting >= 0) {
      this.#waiting.splice(waiting, 1);
      this.#finish(id, "cancelled", {});
    } else this.#active.get(id)?.abort();
    return this.#o.store.get(id);
  }

  /** Cancels the run if it is not finished, then purges its source and output. */
  delete(id: string): boolean {
    const run = this.#o.store.get(id);
    if (!run || run.purged) return false;
    this.cancel(id);
    this.#o.store.purge(id);
    return true;
  }

  /** Live events of a run (status changes, output chunks), as they are stored. */
  subscribe(id: string, listener: (event: RunEvent) => void): () => void {
    this.#events.on(id, listener);
    return () => this.#events.off(id, listener);
  }

  /** The run once it is terminal, or as it is after `ms` milliseconds. */
  async waitForTerminal(id: string, ms: number, signal?: AbortSignal): Promise<RunRecord | undefined> {
    const run = this.#o.store.get(id);
    if (!run || TERMINAL.has(run.status) || ms <= 0) return run;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const unsubscribe = this.subscribe(id, (event) => {
        if (event.type === "status" && TERMINAL.has((event.data as { status: RunStatus }).status)) done();
      });
      signal?.addEventListener("abort", done, { once: true });
    });
    return this.#o.store.get(id);
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
      void this.#process(id, controller.signal)
        .catch((e: unknown) => {
          this.#o.log?.error({ runId: id, err: e }, "run failed inside the server");
          this.#finish(id, "internal_error", { error: { name: "InternalError", message: "the server failed to run the program", stack: "" } });
        })
        .finally(() => {
          this.#active.delete(id);
          if (this.#active.size === 0) this.#idle?.();
          this.#pump();
        });
    }
  }

  async #process(id: string, signal: AbortSignal): Promise<void> {
    const store = this.#o.store;
    const run = store.get(id);
    if (!run || run.status !== "queued" || run.purged) return;
    const queuedMs = Date.now() - Date.parse(run.createdAt);
    this.#transition(id, "building", { startedAt: run.startedAt ?? new Date().toISOString() });
    const built = build(run.request, this.#o.checker);
    if (signal.aborted) return this.#finish(id, "cancelled", { stats: { queuedMs, buildMs: built.buildMs, runMs: null, memoryPeakBytes: null } });
    if (!built.ok) {
      return this.#finish(id, "compile_error", { diagnostics: built.diagnostics, stats: { queuedMs, buildMs: built.buildMs, runMs: null, memoryPeakBytes: null } });
    }
    const { request } = run;
    const result: RunResult = await this.#o.pool.run(
      { files: request.files, entry: request.entry },
      {
        language: request.language,
        stdin: request.stdin,
        args: request.args,
        timeLimit: request.limits.timeMs,
        memoryLimit: request.limits.memoryMb * 1024 * 1024,
        maxOutputBytes: request.limits.outputKb * 1024,
        onOutput: (chunk) => this.#output(id, [chunk]),
        // Running (and an attempt spent) from the moment a worker takes it, not while it waits for one.
        onStart: () => this.#transition(id, "running", { attempts: run.attempts + 1, diagnostics: built.diagnostics }),
        signal,
      },
    );
    const status: RunStatus = result.status === "crashed" ? "internal_error" : result.status;
    this.#finish(id, status, {
      diagnostics: built.diagnostics,
      exitCode: result.exitCode,
      error: result.error ?? null,
      truncated: result.status === "output_exceeded",
      stats: { queuedMs: queuedMs + result.stats.queuedMs, buildMs: built.buildMs, runMs: result.stats.runMs, memoryPeakBytes: result.stats.memoryPeakBytes },
    });
  }

  #output(id: string, chunks: OutputChunk[]): void {
    for (const event of this.#o.store.appendOutput(id, chunks)) this.#events.emit(id, event);
  }

  #transition(id: string, status: RunStatus, fields: Parameters<RunStore["transition"]>[2]): void {
    this.#events.emit(id, this.#o.store.transition(id, status, fields));
  }

  #finish(id: string, status: RunStatus, fields: Parameters<RunStore["transition"]>[2]): void {
    this.#transition(id, status, { ...fields, finishedAt: new Date().toISOString() });
    this.#o.log?.info({ runId: id, status }, "run finished");
    const run = this.#o.store.get(id);
    if (run) this.#o.onFinish?.(run);
  }
}
