/** What crosses between the pool (host thread) and its workers. */
import {
  IsolatedCaptureError,
  IsolatedError,
  IsolatedMemoryError,
  IsolatedRuntimeDisposedError,
  IsolatedRuntimeFaultedError,
  IsolatedSerializationError,
  IsolatedTimeoutError,
  IsolatorError,
} from "../errors.js";
import type { MessagePort } from "node:worker_threads";
import type { LambdaSource } from "../lambda.js";
import type { OutputChunk, ProgramOptions, ProgramSource } from "../program/runner.js";

export interface RuntimeLimits {
  memoryLimit?: number;
  timeLimit?: number;
  stackLimit?: number;
}

export interface WorkerConfig {
  callbackNames: string[];
  exposeHostErrors: boolean;
  /** Module loaders in order: a directory, or the index of a custom loader that runs in the pool's thread. */
  modules: ({ directory: string } | { custom: number })[];
}

/** The reserved call name a worker uses to ask a custom module loader for a module, synchronously. */
export const MODULE_CALL = "isolator:module";

interface TaskBase {
  /** The task's number: what the worker's messages about it carry. */
  id: number;
  /**
   * Shared flags: STARTED (the task's state, below), REPLIED (pool → worker: a sync reply is on
   * the channel), the start time and the worker's thread id (see `startTask`).
   */
  flags: Int32Array;
}
export const STARTED = 0;
export const REPLIED = 1;
const THREAD = 4;
/** STARTED's values: set by the worker (1, DONE) or the pool (CANCELLED, KILLED), each by compare-and-swap, so exactly one side decides. */
export const RUNNING = 1;
export const DONE = 2; // the worker has its result: no kill now
export const CANCELLED = 3; // before it started: the worker skips it
export const KILLED = 4; // while it ran: its worker is being terminated

/** A clock both threads share: milliseconds since the epoch, sub-millisecond. */
export const clock = (): number => performance.timeOrigin + performance.now();

/** A task's shared flags: two Int32 flags, its start time as a Float64, its worker's thread id. */
export function newTaskFlags(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(24));
}

/** Worker side: the task starts now, unless the pool cancelled it (time and thread are written before the flag publishes them). */
export function startTask(flags: Int32Array, threadId: number): boolean {
  new Float64Array(flags.buffer, 8, 1)[0] = clock();
  Atomics.store(flags, THREAD, threadId);
  if (Atomics.compareExchange(flags, STARTED, 0, RUNNING) !== 0) return false;
  Atomics.notify(flags, STARTED);
  return true;
}

/** Worker side: the task is done, unless the pool is killing it (then the worker must take no other task). */
export function finishTask(flags: Int32Array): boolean {
  return Atomics.compareExchange(flags, STARTED, RUNNING, DONE) === RUNNING;
}

/** The thread running a started task. */
export function taskThread(flags: Int32Array): number {
  return Atomics.load(flags, THREAD);
}

/** When the task started (by `clock`), or undefined if it has not. */
export function startTime(flags: Int32Array): number | undefined {
  return Atomics.load(flags, STARTED) === 0 ? undefined : new Float64Array(flags.buffer, 8, 1)[0];
}
export interface RunTask extends TaskBase {
  kind: "run";
  program: ProgramSource;
  options: ProgramOptions;
}
export interface InvokeTask extends TaskBase {
  kind: "invoke";
  lambda: LambdaSource;
  args: unknown[];
  limits: RuntimeLimits;
}
export type Task = RunTask | InvokeTask;

/** A worker's first message (through piscina's own): the port it speaks on for all its tasks. */
export interface WorkerChannel {
  type: "isolator:channel";
  port: MessagePort;
}

/** What a worker says about a running task, on its channel. */
export type WorkerMessage =
  | { type: "output"; task: number; chunks: OutputChunk[] }
  | { type: "call"; task: number; id: number; name: string; args: unknown[]; sync: boolean };

export type HostReply =
  | { type: "reply"; id: number; ok: true; value: unknown }
  /** `message` is empty unless the pool exposes host errors; `async`: a sync call reached an async callback. */
  | { type: "reply"; id: number; ok: false; message: string; async?: boolean };

export type InvokeOutcome = { ok: true; value: unknown; stats: { runMs: number; cpuMs: number; memoryPeakBytes: number } } | { ok: false; error: WireError };

/** A run task the runner refused before running anything (a malformed program or options). */
export interface RunRefused {
  refused: WireError;
}

/** A task the pool cancelled before a worker started it. */
export interface TaskSkipped {
  skipped: true;
}

export interface WireError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

export function errorToWire(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: "Error", message: String(e), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const key of ["guestName", "guestStack", "hostDetail", "timeLimit", "memoryLimit", "identifiers", "path"]) {
    if (key in e) fields[key] = (e as unknown as Record<string, unknown>)[key];
  }
  if (e instanceof IsolatedError) fields.cause = e.cause;
  return { name: e.name, message: e.message, fields };
}

/** Rebuilds the library's error types on the host side; anything else becomes an IsolatorError. */
export function errorFromWire(w: WireError): Error {
  const f = w.fields;
  switch (w.name) {
    case "IsolatedError":
      return new IsolatedError(String(f.guestName), w.message, String(f.guestStack ?? ""), f.cause, typeof f.hostDetail === "string" ? f.hostDetail : undefined);
    case "IsolatedTimeoutError":
      return new IsolatedTimeoutError(Number(f.timeLimit));
    case "IsolatedMemoryError":
      return new IsolatedMemoryError(Number(f.memoryLimit));
    case "IsolatedCaptureError":
      return new IsolatedCaptureError(f.identifiers as string[]);
    case "IsolatedSerializationError":
      return Object.assign(new IsolatedSerializationError(String(f.path), ""), { message: w.message });
    case "IsolatedRuntimeFaultedError":
      return new IsolatedRuntimeFaultedError(w.message);
    case "IsolatedRuntimeDisposedError":
      return new IsolatedRuntimeDisposedError(w.message);
    default:
      return new IsolatorError(w.message);
  }
}
