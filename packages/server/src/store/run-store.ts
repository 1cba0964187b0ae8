/**
 * The run store's contract: every run and every event of it (status changes, output chunks).
 * Two implementations keep the same semantics: SQLite (embedded, one process) and PostgreSQL
 * (shared by API and worker nodes). Every method is asynchronous because the shared one is.
 *
 * Transitions are conditional: a transition names the statuses it may leave, and is written (with
 * its status event, in one transaction) only if the run is in one of them, so two nodes racing on
 * a run (a worker finishing it, an API node cancelling it) cannot both win.
 */
import type { OutputChunk } from "isolator";
import type { Diagnostic } from "../build/typecheck.js";
import type { Runtime } from "../orchestrator/runtimes.js";

export type RunStatus =
  | "queued"
  | "building"
  | "running"
  | "succeeded"
  | "failed"
  | "compile_error"
  | "timed_out"
  | "memory_exceeded"
  | "output_exceeded"
  | "cancelled"
  | "internal_error";

export const TERMINAL: ReadonlySet<RunStatus> = new Set(["succeeded", "failed", "compile_error", "timed_out", "memory_exceeded", "output_exceeded", "cancelled", "internal_error"]);

/** The statuses a run can still leave. */
export const UNFINISHED: readonly RunStatus[] = ["queued", "building", "running"];

export interface RunRequest {
  language: "typescript" | "javascript";
  /** The executor the run needs (a cluster queues runs per runtime). */
  runtime: Runtime;
  files: Record<string, string>;
  entry: string;
  stdin: string;
  args: string[];
  typecheck: boolean;
  limits: { timeMs: number; memoryMb: number; outputKb: number };
}

/** A shared program, as the playground saves it. */
export interface Snippet {
  language: "typescript" | "javascript";
  runtime: Runtime;
  files: Record<string, string>;
  entry: string;
  stdin: string;
  args: string[];
}

/** Output as the executors report it (ordered segments of stdout and stderr: see outputSegments). */
export type { OutputChunk };

export interface RunRecord {
  id: string;
  status: RunStatus;
  /** Kept apart from the request: it outlives the purged request (metrics, the run's view). */
  runtime: Runtime;
  /** Null once purged: check `purged` (or this) before reading it. */
  request: RunRequest | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  exitCode: number | null;
  error: { name: string; message: string; stack: string } | null;
  diagnostics: Diagnostic[];
  stats: { queuedMs: number | null; buildMs: number | null; runMs: number | null; memoryPeakBytes: number | null };
  truncated: boolean;
  purged: boolean;
  /** A cancel was asked for while the run was building or running (honoured by a retry too). */
  cancelRequested: boolean;
}

export interface RunEvent {
  seq: number;
  type: "status" | "output";
  data: unknown;
}

/** A page of a run's output: its chunks, the last one's event number, and whether it reaches the end. */
export interface OutputPage {
  chunks: OutputChunk[];
  lastSeq: number;
  complete: boolean;
}

/** What a transition may write beside the status. */
export type TransitionFields = Partial<Omit<RunRecord, "id" | "status" | "runtime" | "request" | "createdAt" | "purged" | "cancelRequested">>;

/** The store does not answer (a shared store's server or network is down): the API's 503. */
export class StoreUnavailableError extends Error {}

export interface RunStore {
  /** Stores a new run as queued, with its first event, in one transaction. */
  create(id: string, request: RunRequest, now?: Date): Promise<RunRecord>;
  get(id: string): Promise<RunRecord | undefined>;
  /**
   * Moves the run to `status` (with any other fields) and appends its status event, in one
   * transaction, if the run is in one of the `from` statuses; otherwise writes nothing and
   * answers undefined.
   */
  transition(id: string, status: RunStatus, fields: TransitionFields, from: readonly RunStatus[]): Promise<RunEvent | undefined>;
  /** Records that the run is to be cancelled, for whichever executor holds it now or later. */
  requestCancel(id: string): Promise<void>;
  /**
   * Appends output chunks as events, numbered after the run's last event, if the run is unfinished
   * and not purged; otherwise writes nothing (a cancelled or deleted run's late output is dropped).
   * With a `key`, a repeated append (a retry after a lost answer) writes nothing again and answers
   * the events the first one wrote: output is never doubled.
   */
  appendOutput(id: string, chunks: OutputChunk[], key?: string): Promise<RunEvent[]>;
  /** The run's events after `seq`, in order; at most `limit` of them (all by default). */
  eventsAfter(id: string, seq: number, limit?: number): Promise<RunEvent[]>;
  /**
   * The run's output chunks after event `after`, in order, up to about `maxBytes` of text (at least
   * one chunk if any): a response holds a bounded part of a run's output, the rest is paged.
   */
  outputPage(id: string, after: number, maxBytes: number): Promise<OutputPage>;
  /** Runs in `status`, purged ones excepted. */
  idsWithStatus(status: RunStatus): Promise<string[]>;
  countsByStatus(): Promise<Record<string, number>>;
  /** Drops a run's output events (an interrupted attempt's, before a retry). */
  clearOutput(id: string): Promise<void>;
  /** Drops a run's source, output and details; the run itself stays, marked purged. */
  purge(id: string): Promise<void>;
  expiredBefore(cutoff: Date): Promise<string[]>;
  /** Stores a shared snippet; snippets are immutable (a fork is a new snippet). */
  addSnippet(id: string, snippet: Snippet): Promise<void>;
  getSnippet(id: string): Promise<(Snippet & { createdAt: string }) | undefined>;
  /** Whether the store answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The columns a transition may write, each with how its value is stored; `bool` is the store's encoding of a boolean. */
export function transitionColumns(bool: (v: boolean) => unknown): Record<keyof TransitionFields, [string, (v: never) => unknown]> {
  const json = (v: unknown) => JSON.stringify(v);
  return {
    startedAt: ["started_at", (v: string | null) => v],
    finishedAt: ["finished_at", (v: string | null) => v],
    attempts: ["attempts", (v: number) => v],
    exitCode: ["exit_code", (v: number | null) => v],
    error: ["error", (v: unknown) => (v === null ? null : json(v))],
    diagnostics: ["diagnostics", json],
    stats: ["stats", json],
    truncated: ["truncated", bool],
  };
}
