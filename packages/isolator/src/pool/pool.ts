/**
 * IsolatedRuntimePool: worker threads (piscina), each with a compiled engine, running every task
 * in a fresh runtime. In-thread limits are cooperative; the pool adds the hard one: a task still
 * running `HARD_KILL_GRACE_MS` after its deadline has its worker terminated (and replaced).
 */
import { availableParallelism } from "node:os";
import type { MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import { IsolatorError } from "../errors.js";
import { lambdaSource } from "../lambda.js";
import { projectDirectory, type ModuleLoader } from "../modules/loaders.js";
import { resolve } from "node:path";
import { assertLimits, withoutUndefined } from "../options.js";
import type { OutputChunk, ProgramOptions, ProgramSource, RunResult, RunStatus } from "../program/runner.js";
import type { HostCallback } from "../runtime.js";
import type { Executor, ExecutorStats, RunOptions } from "../executor.js";
import {
  CANCELLED,
  clock,
  errorFromWire,
  KILLED,
  MODULE_CALL,
  newTaskFlags,
  REPLIED,
  RUNNING,
  STARTED,
  startTime,
  taskThread,
  type HostReply,
  type InvokeOutcome,
  type InvokeTask,
  type RunRefused,
  type RunTask,
  type RuntimeLimits,
  type Task,
  type TaskSkipped,
  type WorkerChannel,
  type WorkerConfig,
  type WorkerMessage,
} from "./messages.js";

/** How long past its deadline a task may run before its worker is terminated. */
const HARD_KILL_GRACE_MS = 20;
const DEFAULT_TIME_LIMIT = 1000;

export interface IsolatedRuntimePoolOptions {
  /** Worker threads. Default: available parallelism. */
  size?: number;
  /** Tasks waiting beyond the running ones; past it, run() and invoke() reject at once. Default 1000. */
  maxQueue?: number;
  /** Limits for every task, unless a task sets its own. */
  runtime?: RuntimeLimits;
  /** Host callbacks, run in the pool's (host) thread, callable from every task. */
  callbacks?: Record<string, HostCallback>;
  /** Show a throwing callback's message to the guest (never its stack). Default false. */
  exposeHostErrors?: boolean;
  /**
   * Module loaders for every task, as on IsolatedRuntimeHost: "project", `{ directory }`, or a
   * custom loader (it runs in the pool's thread; workers ask it synchronously).
   */
  modules?: PoolModuleSource[];
}

export type PoolModuleSource = "project" | { directory: string } | ModuleLoader;

/** onStart is the moment a worker takes the task. */
export type PoolRunOptions = RunOptions;

export interface PoolStats extends ExecutorStats {
  workersReplaced: number;
}

/** The pool's queue is full (maxQueue): retry later. */
export class IsolatedPoolQueueFullError extends IsolatorError {
  override name = "IsolatedPoolQueueFullError";
}

/** The pool is closed. */
export class IsolatedPoolClosedError extends IsolatorError {
  override name = "IsolatedPoolClosedError";
}

type TaskWithoutChannel = Omit<RunTask, "id" | "flags"> | Omit<InvokeTask, "id" | "flags">;

/** What the pool's thread does with a running task's messages. */
interface TaskHandlers {
  flags: Int32Array;
  deliver(chunk: OutputChunk): void;
}

interface Tracked {
  status?: RunStatus;
  /** When the task was submitted and when it started, by the threads' shared clock. */
  submittedAt: number;
  startedAt?: number;
  output: OutputChunk[];
}

export class IsolatedRuntimePool implements Executor {
  readonly #piscina: Piscina<Task, RunResult | InvokeOutcome | RunRefused | TaskSkipped>;
  readonly #callbacks: Map<string, HostCallback>;
  readonly #limits: RuntimeLimits;
  readonly #exposeHostErrors: boolean;
  readonly #moduleLoaders: ModuleLoader[] = [];
  readonly #size: number;
  readonly #maxQueue: number;
  /** Every task submitted and not yet settled, with what its cancellation must do. */
  readonly #inflight = new Map<Promise<unknown>, { cancel(): void }>();
  /** Running or queued tasks by id, for their workers' messages. */
  readonly #tasks = new Map<number, TaskHandlers>();
  /** Every worker's channel (one per worker, for all its tasks). */
  readonly #channels = new Set<MessagePort>();
  #nextTaskId = 1;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Tasks handed to piscina and not yet settled there (a task cancelled while waiting stays in its queue until skipped). */
  #outstanding = 0;
  #counts = { completed: 0, timedOut: 0, crashed: 0, cancelled: 0, workersReplaced: 0 };

  constructor(options: IsolatedRuntimePoolOptions = {}) {
    this.#size = options.size ?? availableParallelism();
    if (!Number.isInteger(this.#size) || this.#size < 1) throw new IsolatorError("option size must be a positive integer");
    const maxQueue = options.maxQueue ?? 1000;
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new IsolatorError("option maxQueue must be a non-negative integer");
    this.#maxQueue = maxQueue;
    this.#callbacks = new Map(Object.entries(options.callbacks ?? {}));
    assertLimits(options.runtime ?? {}, ["timeLimit", "memoryLimit", "stackLimit"]);
    this.#limits = { timeLimit: DEFAULT_TIME_LIMIT, ...withoutUndefined(options.runtime ?? {}) };
    this.#exposeHostErrors = options.exposeHostErrors ?? false;
    const modules = (options.modules ?? []).map((source): WorkerConfig["modules"][number] => {
      if (source === "project") return { directory: projectDirectory() };
      if (typeof source === "function") return { custom: this.#moduleLoaders.push(source) - 1 };
      if (source && typeof source === "object" && typeof source.directory === "string") return { directory: resolve(source.directory) };
      throw new IsolatorError('a pool module source is "project", { directory }, or a loader function');
    });
    const workerData: WorkerConfig = { callbackNames: [...this.#callbacks.keys()], exposeHostErrors: this.#exposeHostErrors, modules };
    this.#piscina = new Piscina({
      filename: new URL("./worker.js", import.meta.url).href,
      minThreads: this.#size,
      maxThreads: this.#size,
      idleTimeout: 2 ** 31 - 1, // workers hold a compiled engine: keep them
      concurrentTasksPerWorker: 1,
      recordTiming: false, // the pool keeps its own stats
      // Deeply nested guest source recurses in the engine's parser: give it room to fail cleanly.
      // A larger young generation: every task leaves short-lived garbage, and fewer scavenges
      // measured ~10% more hello-world tasks per second.
      resourceLimits: { stackSizeMb: 16, maxYoungGenerationSizeMb: 48 },
      workerData,
    });
    this.#piscina.on("workerDestroy", () => {
      if (!this.#closed) this.#counts.workersReplaced++;
    });
    // A worker failing outside any task (piscina replaces it): never an uncaught exception in the host.
    this.#piscina.on("error", () => undefined);
    this.#piscina.on("message", (message: WorkerChannel) => {
      if (message?.type === "isolator:channel") this.#listen(message.port);
    });
  }

  /** A new worker's channel: its messages go to the task they name (those of ended tasks are dropped). */
  #listen(port: MessagePort): void {
    this.#channels.add(port);
    port.on("close", () => this.#channels.delete(port));
    port.on("message", (message: WorkerMessage) => {
      const task = this.#tasks.get(message.task);
      if (!task) return;
      if (message.type === "output") for (const chunk of message.chunks) task.deliver(chunk);
      else void this.#answer(message, port, task.flags);
    });
    port.unref(); // an idle pool does not keep the process alive
  }

  /** Runs a program (a source, or { files, entry }) in a fresh runtime. Never rejects for what the program does. */
  async run(program: ProgramSource, options: PoolRunOptions = {}): Promise<RunResult> {
    const { onOutput, onStart, signal, ...rest } = options;
    validateRun(program, rest);
    const programOptions: ProgramOptions = { ...this.#limits, ...withoutUndefined(rest) };
    const tracked: Tracked = { submittedAt: clock(), output: [] };
    try {
      const outcome = (await this.#submit({ kind: "run", program, options: programOptions }, programOptions.timeLimit!, tracked, { signal, onOutput, onStart })) as RunResult | RunRefused;
      if ("refused" in outcome) throw errorFromWire(outcome.refused);
      const result = outcome;
      result.stats.queuedMs = Math.max(0, tracked.startedAt! - tracked.submittedAt);
      this.#count(result.status);
      return result;
    } catch (e) {
      if (!tracked.status) throw e;
      this.#count(tracked.status);
      const now = clock();
      const startedAt = tracked.startedAt ?? now;
      return {
        status: tracked.status,
        exitCode: null,
        ...(tracked.status === "crashed" ? { error: { name: "IsolatedRuntimeFaultedError", message: describe(e), stack: "" } } : {}),
        ...(tracked.status === "timed_out" ? { error: { name: "IsolatedTimeoutError", message: `the program exceeded its time limit of ${programOptions.timeLimit} ms`, stack: "" } } : {}),
        output: tracked.output,
        stats: { queuedMs: Math.max(0, startedAt - tracked.submittedAt), runMs: now - startedAt, cpuMs: 0, memoryPeakBytes: 0 },
      };
    }
  }

  /** Runs a lambda in a fresh runtime on a worker, like runtime.invokeAsync. */
  async invoke<R = unknown, A extends unknown[] = unknown[]>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
    const lambda = lambdaSource(fn);
    const tracked: Tracked = { submittedAt: clock(), output: [] };
    let outcome: InvokeOutcome;
    try {
      outcome = (await this.#submit({ kind: "invoke", lambda, args, limits: this.#limits }, this.#limits.timeLimit!, tracked)) as InvokeOutcome;
    } catch (e) {
      if (!tracked.status) throw e;
      this.#count(tracked.status);
      if (tracked.status === "cancelled") throw new IsolatorError("the task was cancelled");
      throw errorFromWire({ name: tracked.status === "timed_out" ? "IsolatedTimeoutError" : "IsolatedRuntimeFaultedError", message: describe(e), fields: { timeLimit: this.#limits.timeLimit } });
    }
    this.#count(outcome.ok ? "succeeded" : outcome.error.name === "IsolatedTimeoutError" ? "timed_out" : "failed");
    if (!outcome.ok) throw errorFromWire(outcome.error);
    return outcome.value as Awaited<R>;
  }

  stats(): PoolStats {
    let queued = 0;
    for (const { flags } of this.#tasks.values()) if (Atomics.load(flags, STARTED) === 0) queued++;
    return { size: this.#size, queued, running: this.#tasks.size - queued, ...this.#counts };
  }

  /** Stops taking tasks; finishes what is queued and running, or with `cancel` cancels it all. */
  close(options: { cancel?: boolean } = {}): Promise<void> {
    this.#closed = true;
    // A later close({ cancel: true }) still cancels what an earlier close() was waiting for.
    if (options.cancel) for (const task of this.#inflight.values()) task.cancel();
    return (this.#closing ??= this.#shutDown());
  }

  async #shutDown(): Promise<void> {
    await Promise.allSettled([...this.#inflight.keys()]);
    await this.#piscina.destroy();
    for (const port of this.#channels) port.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #count(status: RunStatus): void {
    this.#counts.completed++;
    if (status === "timed_out") this.#counts.timedOut++;
    else if (status === "crashed") this.#counts.crashed++;
    else if (status === "cancelled") this.#counts.cancelled++;
  }

  /**
   * Sends a task with its shared flags. Its deadline is its start (the worker writes it in the
   * flags) plus its time limit; past it plus the grace, its worker is terminated. Cancelling
   * before the start marks the flags (the worker then skips the task); after it, terminates the
   * worker. No abort signal goes to piscina: an abortable task costs piscina more than the task.
   */
  async #submit(
    task: TaskWithoutChannel,
    timeLimit: number,
    tracked: Tracked,
    { signal, onOutput, onStart }: Pick<PoolRunOptions, "signal" | "onOutput" | "onStart"> = {},
  ): Promise<RunResult | InvokeOutcome | RunRefused> {
    if (this.#closed) throw new IsolatedPoolClosedError("the pool is closed");
    // Running tasks count once every worker has one; the tasks beyond are the queue (cancelled ones
    // too, until a worker has skipped them).
    if (this.#outstanding >= this.#maxQueue + this.#size) throw new IsolatedPoolQueueFullError("the pool's queue is full; retry later");
    if (signal?.aborted) {
      tracked.status = "cancelled";
      throw new IsolatorError("cancelled before it started");
    }
    const id = this.#nextTaskId++;
    const flags = newTaskFlags();
    let settled = false;
    let notified = false;
    const notifyStart = () => {
      if (notified || !onStart) return;
      notified = true;
      callerCallback(onStart);
    };
    // Settles the task the moment the pool decides its fate, without waiting for its worker.
    let stop!: (why: string) => void;
    const stopped = new Promise<never>((_, reject) => (stop = (why) => reject(new IsolatorError(why))));
    /** Ends a running task: only if it is still running (a finished one's result is in flight). */
    const kill = (status: RunStatus): void => {
      if (Atomics.compareExchange(flags, STARTED, RUNNING, KILLED) !== RUNNING) return;
      tracked.status ??= status;
      notifyStart(); // it did start
      this.#terminate(taskThread(flags));
      // Answer once the channel has delivered what the worker sent before it was stopped.
      setImmediate(() => stop("its worker was terminated"));
    };
    const cancel = () => {
      if (Atomics.compareExchange(flags, STARTED, 0, CANCELLED) !== 0) return kill("cancelled");
      tracked.status ??= "cancelled";
      stop("cancelled before it started");
    };
    signal?.addEventListener("abort", cancel, { once: true });
    const grace = timeLimit + HARD_KILL_GRACE_MS;
    let deadline: NodeJS.Timeout;
    const checkDeadline = () => {
      const state = Atomics.load(flags, STARTED);
      if (state !== 0 && state !== RUNNING) return; // done (its result is in flight), cancelled or killed
      const left = state === 0 ? grace : startTime(flags)! + grace - clock();
      if (left > 0) deadline = setTimeout(checkDeadline, left);
      else kill("timed_out");
    };
    deadline = setTimeout(checkDeadline, grace);
    if (onStart) {
      const notice = Atomics.waitAsync(flags, STARTED, 0);
      if (notice.async) void notice.value.then(() => !settled && Atomics.load(flags, STARTED) !== CANCELLED && startTime(flags) !== undefined && notifyStart());
      else notifyStart();
    }
    const deliver = (chunk: OutputChunk) => {
      notifyStart(); // output can arrive before the start notice: it is proof of a start
      tracked.output.push(chunk);
      if (onOutput) callerCallback(() => onOutput(chunk));
    };
    this.#tasks.set(id, { flags, deliver });
    const running = this.#piscina.run({ ...task, id, flags } as Task);
    this.#outstanding++;
    running.then(
      () => this.#outstanding--,
      () => this.#outstanding--, // a cancelled or killed task settles later, unobserved
    );
    this.#inflight.set(running, { cancel });
    try {
      const result = await Promise.race([running, stopped]);
      if ("skipped" in result) throw new IsolatorError("cancelled before it started"); // (the race's rejection comes first)
      notifyStart(); // it ran faster than the start notice arrived
      // Chunks travel on the worker's channel, the result on piscina's: deliver what the channel had not yet.
      if ("output" in result && Array.isArray(result.output)) for (const chunk of result.output.slice(tracked.output.length)) deliver(chunk);
      return result;
    } catch (e) {
      if (e instanceof Error && /closed|destroyed/i.test(e.message) && !tracked.status) throw new IsolatedPoolClosedError("the pool is closed");
      // The caller's own mistake (arguments or options that cannot be copied to a worker), not a crash.
      if (e instanceof Error && e.name === "DataCloneError" && !tracked.status) throw new IsolatorError(`the task cannot be sent to a worker: ${e.message}`);
      tracked.status ??= "crashed"; // the worker died under the task
      throw e;
    } finally {
      settled = true;
      const state = Atomics.load(flags, STARTED);
      tracked.startedAt = state === 0 || state === CANCELLED ? undefined : startTime(flags);
      if (onStart) Atomics.notify(flags, STARTED); // releases the start waiter of a task that never started
      clearTimeout(deadline);
      signal?.removeEventListener("abort", cancel);
      this.#inflight.delete(running);
      this.#tasks.delete(id);
    }
  }

  /** Ends a worker thread at once; piscina fails its task and starts a replacement. */
  #terminate(threadId: number): void {
    void this.#piscina.threads.find((worker) => worker.threadId === threadId)?.terminate();
  }

  /** A worker's module request: [loader index, specifier, referrer] → source or undefined. */
  #loadModule = (index: number, specifier: string, referrer: string | null): string | undefined => this.#moduleLoaders[index]?.(specifier, referrer ?? undefined);

  /** Runs a host callback for a worker and posts the reply (waking a synchronous caller). */
  async #answer(call: Extract<WorkerMessage, { type: "call" }>, port: MessagePort, flags: Int32Array): Promise<void> {
    let reply: HostReply;
    const callback = call.name === MODULE_CALL ? this.#loadModule : this.#callbacks.get(call.name);
    try {
      if (!callback) throw new IsolatorError(`no host callback is registered as '${call.name}'`);
      let value = (callback as (...args: unknown[]) => unknown)(...call.args);
      if (value instanceof Promise) {
        if (call.sync) {
          value.catch(() => undefined);
          reply = { type: "reply", id: call.id, ok: false, message: "", async: true };
          return;
        }
        value = await value;
      }
      reply = { type: "reply", id: call.id, ok: true, value };
    } catch (e) {
      reply = { type: "reply", id: call.id, ok: false, message: this.#exposeHostErrors ? describe(e) : "" };
    } finally {
      try {
        port.postMessage(reply!);
      } catch (e) {
        port.postMessage({ type: "reply", id: call.id, ok: false, message: this.#exposeHostErrors ? describe(e) : "" } satisfies HostReply);
      }
      if (call.sync) {
        Atomics.store(flags, REPLIED, 1);
        Atomics.notify(flags, REPLIED);
      }
    }
  }
}

/** Caller mistakes are refused here, as the in-thread runner would, rather than reported as a program's fate. */
function validateRun(program: ProgramSource, options: ProgramOptions): void {
  if (typeof program !== "string") {
    if (typeof program !== "object" || program === null || typeof program.files !== "object" || program.files === null) {
      throw new IsolatorError("a program is a source string or { files, entry }");
    }
    const names = Object.keys(program.files).map((n) => n.replace(/^\.?\//, ""));
    if (program.entry !== undefined && !names.includes(program.entry.replace(/^\.?\//, ""))) {
      throw new IsolatorError(`the entry file '${program.entry}' is not among the program's files`);
    }
  }
  assertLimits(options, ["timeLimit", "memoryLimit", "stackLimit", "maxOutputBytes"]);
}

/** Runs the caller's onStart/onOutput: what it throws is the caller's, never the pool's or the host process's. */
function callerCallback(fn: () => void): void {
  try {
    fn();
  } catch {
    // ignored (documented)
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

