/**
 * Executes one run on this process's pool: claims it (queued → building, a conditional write, so
 * two executors never both take a run), builds it, runs it, and writes its output and its end to
 * the store. Used alike by the embedded orchestrator and by cluster workers.
 */
import type { RunResult } from "isolator";
import type { CheckerPool } from "../build/checker-pool.js";
import { UNFINISHED, type RunEvent, type RunRecord, type RunStatus, type RunStore, type TransitionFields } from "../store/run-store.js";
import { build } from "./build.js";
import { RunJournal } from "./journal.js";
import { RuntimeUnavailableError, type Runtimes } from "./runtimes.js";

/** Attempts a run gets when its executor dies while it runs: the first, and one retry. */
export const MAX_ATTEMPTS = 2;

export interface Log {
  info(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export type FinishedRun = Pick<RunRecord, "runtime" | "status" | "stats">;

export interface ExecutorOptions {
  store: RunStore;
  /** The executors, by runtime (a run names its runtime). */
  runtimes: Runtimes;
  /** The checker threads builds run on. */
  checkers: CheckerPool;
  /** Every event written, as it is written (live subscribers). */
  publish: (id: string, event: RunEvent) => void;
  log?: Log;
  /** Called with every run this executor ends (metrics). */
  onFinish?: (run: FinishedRun) => void;
}

export class RunExecutor {
  constructor(private readonly o: ExecutorOptions) {}

  /** Runs a queued run to its end; a run not queued (taken, cancelled, purged) is left alone. */
  async execute(id: string, signal: AbortSignal): Promise<void> {
    const journal = new RunJournal(this.o.store, id, this.o.publish);
    try {
      await this.#execute(id, signal, journal);
    } catch (e) {
      this.o.log?.error({ runId: id, err: e }, "run failed inside the server");
      await this.finish(id, "internal_error", { error: { name: "InternalError", message: "the server failed to run the program", stack: "" } });
    }
  }

  /**
   * Puts back a run whose executor died: caught building, it is queued again (building runs
   * nothing); caught running, it is retried once, its partial output dropped, then ends as
   * internal_error; a cancel asked for meanwhile ends it cancelled. Answers whether the run is queued now.
   */
  async reclaim(run: RunRecord): Promise<boolean> {
    if (run.cancelRequested && run.status !== "queued") {
      await this.finish(run.id, "cancelled", {}, ["building", "running"]); // cancelled while its executor died
      return false;
    }
    if (run.status === "building") return (await this.o.store.transition(run.id, "queued", {}, ["building"])) !== undefined;
    if (run.status !== "running") return run.status === "queued";
    if (run.attempts >= MAX_ATTEMPTS) {
      await this.finish(run.id, "internal_error", { error: { name: "InternalError", message: `the executor stopped while the run was running, ${run.attempts} times`, stack: "" } }, ["running"]);
      return false;
    }
    await this.o.store.clearOutput(run.id);
    return (await this.o.store.transition(run.id, "queued", {}, ["running"])) !== undefined;
  }

  /** Ends the run (if it is still in one of `from`) and reports it. */
  async finish(id: string, status: RunStatus, fields: TransitionFields, from: readonly RunStatus[] = UNFINISHED, journal = new RunJournal(this.o.store, id, this.o.publish), run?: RunRecord): Promise<boolean> {
    const event = await journal.transition(status, { ...fields, finishedAt: new Date().toISOString() }, from);
    if (!event) return false;
    this.o.log?.info({ runId: id, status }, "run finished");
    const before = run ?? (await this.o.store.get(id));
    if (before) this.o.onFinish?.({ runtime: before.runtime, status, stats: fields.stats ?? before.stats });
    return true;
  }

  async #execute(id: string, signal: AbortSignal, journal: RunJournal): Promise<void> {
    const run = await this.o.store.get(id);
    if (!run?.request || run.status !== "queued" || run.purged) return;
    if (run.cancelRequested) return void (await this.finish(id, "cancelled", {}, ["queued"], journal));
    const { request } = run;
    const queuedMs = Date.now() - Date.parse(run.createdAt);
    if (!(await journal.transition("building", { startedAt: run.startedAt ?? new Date().toISOString() }, ["queued"]))) return;
    const built = await build(request, this.o.checkers, signal);
    const stats = { queuedMs, buildMs: built.buildMs, runMs: null, memoryPeakBytes: null };
    if (signal.aborted) return void (await this.finish(id, "cancelled", { stats }, UNFINISHED, journal));
    if (!built.ok) return void (await this.finish(id, "compile_error", { diagnostics: built.diagnostics, stats }, UNFINISHED, journal));
    let executor;
    try {
      executor = this.o.runtimes.executor(run.runtime);
    } catch (e) {
      // Accepted by a server (or node) that had this runtime, and cannot run here.
      if (!(e instanceof RuntimeUnavailableError)) throw e;
      return void (await this.finish(id, "internal_error", { error: { name: "RuntimeUnavailableError", message: e.message, stack: "" }, stats }, UNFINISHED, journal));
    }
    const result: RunResult = await executor.run(
      { files: request.files, entry: request.entry },
      {
        language: request.language,
        stdin: request.stdin,
        args: request.args,
        timeLimit: request.limits.timeMs,
        memoryLimit: request.limits.memoryMb * 1024 * 1024,
        maxOutputBytes: request.limits.outputKb * 1024,
        onOutput: (chunk) => journal.output(chunk),
        // Running (and an attempt spent) from the moment a worker takes it, not while it waits for one.
        onStart: () => void journal.transition("running", { attempts: run.attempts + 1, diagnostics: built.diagnostics }, ["building"]).catch(() => undefined),
        signal,
      },
    );
    const status: RunStatus = result.status === "crashed" ? "internal_error" : result.status;
    await this.finish(
      id,
      status,
      {
        diagnostics: built.diagnostics,
        exitCode: result.exitCode,
        error: result.error ?? null,
        truncated: result.status === "output_exceeded",
        stats: { queuedMs: queuedMs + result.stats.queuedMs, buildMs: built.buildMs, runMs: result.stats.runMs, memoryPeakBytes: result.stats.memoryPeakBytes },
      },
      UNFINISHED,
      journal,
      run,
    );
  }
}
