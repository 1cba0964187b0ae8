/**
 * The contract every executor keeps — the QuickJS worker pool (`IsolatedRuntimePool`) and the
 * Node.js container executor (`NodeExecutor`, from "isolator/node") — so a service, a CLI or a
 * playground can run a program on either without knowing which.
 */
import type { OutputChunk, ProgramOptions, ProgramSource, RunResult } from "./program/runner.js";

export interface RunOptions extends ProgramOptions {
  /** Each stdout/stderr chunk, as it happens. */
  onOutput?: (chunk: OutputChunk) => void;
  /** The moment the program starts (its deadline starts then). */
  onStart?: () => void;
  /** Cancels the run, queued or running. */
  signal?: AbortSignal;
}

export interface ExecutorStats {
  /** Runs that can run at once. */
  size: number;
  queued: number;
  running: number;
  completed: number;
  timedOut: number;
  crashed: number;
  cancelled: number;
}

export interface Executor extends AsyncDisposable {
  /** Runs a program (a source, or { files, entry }). Never rejects for what the program does. */
  run(program: ProgramSource, options?: RunOptions): Promise<RunResult>;
  stats(): ExecutorStats;
  /** Stops taking runs; finishes what is queued and running, or with `cancel` cancels it all. */
  close(options?: { cancel?: boolean }): Promise<void>;
}
