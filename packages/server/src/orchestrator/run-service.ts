/**
 * What the HTTP API asks of the runs behind it, whichever deployment serves them: the embedded
 * orchestrator (one process) or a cluster node (runs queued in Redis, executed by any worker).
 */
import type { Diagnostic } from "../build/typecheck.js";
import type { RunEvent, RunRecord, RunRequest } from "../store/run-store.js";

export class QueueFullError extends Error {}

/** What subscribers hear: each stored event of the run, then `gone` if it is deleted (nothing follows). */
export type LiveEvent = RunEvent | { type: "gone" };

export interface RunService {
  /** Accepts a run: committed as queued before this resolves; QueueFullError beyond the queue's bound, RuntimeUnavailableError for a runtime not offered. */
  submit(request: RunRequest): Promise<RunRecord>;
  /**
   * The build step alone: diagnostics of a program, nothing run (the playground's live checks);
   * CheckerBusyError when the checkers are saturated.
   */
  check(request: RunRequest): Promise<Diagnostic[]>;
  /** Cancels the run if it is not finished; answers it as it is then. */
  cancel(id: string): Promise<RunRecord | undefined>;
  /**
   * Ends the run as cancelled if it is not finished (its subscribers hear no status for it), purges
   * its source and output, then its subscribers hear `gone`.
   */
  delete(id: string): Promise<boolean>;
  /**
   * Live events of a run (status changes, output chunks) as they are stored, and `gone`; resolves
   * once listening. What the listener throws is logged, never thrown into the run's processing.
   */
  subscribe(id: string, listener: (event: LiveEvent) => void): Promise<() => void>;
  /** The run once it is terminal (or deleted: then purged), or as it is after `ms` milliseconds. */
  waitForTerminal(id: string, ms: number, signal?: AbortSignal): Promise<RunRecord | undefined>;
}
