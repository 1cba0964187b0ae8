import { WeakLifetime, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime } from "quickjs-emscripten-core";
import { BjsonReader, BjsonWriter, NeedsTape } from "./codec/bjson.js";
import { mayWalkHoles, runtimePointer, type EngineHeap } from "./engine/heap-arrays.js";
import type { Tape } from "./codec/tape.js";
import {
  IsolatedCaptureError,
  IsolatedError,
  IsolatedLookupError,
  IsolatedMemoryError,
  IsolatedRuntimeDisposedError,
  IsolatedRuntimeFaultedError,
  IsolatedSerializationError,
  IsolatedTimeoutError,
  IsolatorError,
} from "./errors.js";
import type { GuestInternals } from "./guest/prelude.js";
import { ENGINE_BASE_MEMORY, hostInternals, type EngineInstance, type IsolatedRuntimeHost } from "./host.js";
import { lambdaSource, type LambdaSource } from "./lambda.js";
import { assertLimits, withoutUndefined } from "./options.js";
import { isTypeScript, mapPositions, transpile } from "./transpile.js";
import type { TraceMap } from "@jridgewell/trace-mapping";
import { IsolatedMethod, IsolatedObject, liveObjectId, objectSupport, ownerOf, type ObjectSupport, type OwnerRef } from "./objects.js";
import { asyncCallback, ProgramExit, programSupport, type ModuleResolver, type ProgramMain, type ProgramSupport } from "./program/support.js";
import { UnhandledRejections } from "./program/rejections.js";
import { RefusalDetails } from "./modules/refusals.js";

export type ConsoleLevel = "log" | "info" | "warn" | "error" | "debug";
export interface ConsoleEntry {
  level: ConsoleLevel;
  text: string;
}

export interface IsolatedRuntimeOptions {
  /** Hard cap, in bytes, on this runtime's own WebAssembly memory. Default 64 MiB. */
  memoryLimit?: number;
  /** Milliseconds per top-level call (invoke*, evaluate*), covering all of it. Default 1000. */
  timeLimit?: number;
  /** Bytes of engine stack for guest recursion. Default 256 KiB. */
  stackLimit?: number;
  /** Where guest console output goes. Default "inherit" (the host's console). */
  console?: "inherit" | "ignore" | ((entry: ConsoleEntry) => void);
  /** Console bytes per top-level call; past it, one truncation marker. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Largest encoded value that may cross the boundary, in bytes. Default 32 MiB. */
  maxMessageSize?: number;
  /** Show the message of a host callback's error to the guest (never its stack). Default false. */
  exposeHostErrors?: boolean;
  /** @internal Start with the program environment installed (the program runner's runtimes). */
  [programSupport]?: boolean;
}

export type HostCallback = (...args: never[]) => unknown;

const DEFAULTS = {
  memoryLimit: 64 * 1024 * 1024,
  timeLimit: 1000,
  stackLimit: 256 * 1024,
  maxOutputBytes: 1024 * 1024,
  maxMessageSize: 32 * 1024 * 1024,
};
/** JS_EVAL_FLAG_ASYNC: a global script may use top-level await and evaluates to a promise of { value }. */
const EVAL_FLAG_ASYNC = 1 << 7;
const TRUNCATED = "[isolator] output truncated: maxOutputBytes reached";
const MAX_PENDING_CALLS = 1000;
/** Promise jobs run between two looks at the deadline: small enough to stop a flood promptly, large enough to cost nothing. */
const JOB_BATCH = 64;
const NOT_PRIMITIVE = Symbol("not a primitive");

/** A lambda's arguments as the host passes them: wherever it takes an object, at any depth, an IsolatedObject of the runtime will do (it arrives as the live object). */
export type LambdaArgs<A extends unknown[]> = { [K in keyof A]: Live<A[K]> };
type Live<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends Map<infer K, infer V>
    ? Map<K, Live<V>> | IsolatedObject
    : T extends Set<infer V>
      ? Set<Live<V>> | IsolatedObject
      : T extends object
        ? { [K in keyof T]: Live<T[K]> } | IsolatedObject
        : T;

/** The parts of the engine's context API that quickjs-emscripten keeps protected. */
interface ContextInternals {
  ctx: { value: number };
}

/** What the direct dispatch replaces and uses inside quickjs-emscripten's context. */
interface DispatchInternals {
  cToHostCallbacks: { callFunction: (ctx: number, thisPtr: number, argc: number, argv: number, fnId: number) => number };
  runtime: { hostRefs: { get(id: number): unknown } };
  memory: { copyJSValue: unknown; freeJSValue: unknown };
  errorToHandle(error: unknown): QuickJSHandle;
}

interface ContextMemory {
  memory: { heapValueHandle(ptr: number): QuickJSHandle };
}

type ContextPointer = Parameters<EngineInstance["ffi"]["QTS_bjson_encode"]>[0];

interface AsyncOp {
  settle(): void;
}

/**
 * A sandbox: its own WebAssembly instance and linear memory, a QuickJS runtime and context,
 * with nothing of the host's reachable except the callbacks registered on it.
 */
export class IsolatedRuntime implements Disposable {
  readonly #host: IsolatedRuntimeHost;
  readonly #options: Required<Omit<IsolatedRuntimeOptions, "console" | typeof programSupport>> & { console: NonNullable<IsolatedRuntimeOptions["console"]> };
  readonly #engine: EngineInstance;
  readonly #rt: QuickJSRuntime;
  readonly #ctx: QuickJSContext;
  readonly #ctxPtr: ContextPointer;
  readonly #heap: EngineHeap;
  readonly #sources: { prelude: string; tape: string; format: string; objects: string };
  /** The host half of the tape (the host's, with its registered classes). */
  readonly #tapeOfHost: Tape;
  /** The guest's table of isolated objects, compiled on first use. */
  #objects: QuickJSHandle | undefined;
  /** The object table's lookup by id, for IsolatedObjects inside copied values. */
  #liveObjects: QuickJSHandle | undefined;
  /** Module namespaces and self-contained classes the host referred to, by specifier or source. */
  readonly #owners = new Map<string, QuickJSHandle>();
  readonly #internals: { [K in keyof GuestInternals]: QuickJSHandle };
  /** The guest half of the tape codec, compiled on first need. */
  #tape: { toTape: QuickJSHandle; fromTape: QuickJSHandle } | undefined;
  readonly #lambdas = new Map<string, QuickJSHandle>();
  /** Source maps of the TypeScript this runtime ran: guest positions are reported in the sources. */
  readonly #sourceMaps = new Map<string, TraceMap>();
  readonly #callbacks = new Map<string, HostCallback>();
  /** What the host knows of refused imports beyond what the guest was told. */
  readonly #refusals = new RefusalDetails();
  #disposed = false;
  #fault: unknown = undefined;
  #depth = 0;
  #deadline = Infinity;
  #timeLimit = 0;
  #interrupted = false;
  #outputBytes = 0;
  #asyncActive = false;
  #asyncQueue: Promise<unknown> = Promise.resolve();
  /** Completions of async host callbacks, applied by the event loop of the running async call. */
  #completions: AsyncOp[] = [];
  #pendingOps = 0;
  /** Bytes of arguments held by pending async host calls. */
  #pendingBytes = 0;
  /** Which async call is running: completions of an earlier one are dropped. */
  #generation = 0;
  #wake: (() => void) | undefined;
  #copyingError = false;
  /** Set by a program's exit: the running call stops at the engine's next interrupt poll. */
  #exitCode: number | undefined;
  /** A program runner's work at each interrupt poll (sending held-back output). */
  #onPoll: (() => void) | undefined;
  /** A program's promises rejected with no handler yet (a program's runtime only). */
  #unhandled: UnhandledRejections | undefined;

  constructor(host: IsolatedRuntimeHost, options: IsolatedRuntimeOptions = {}) {
    this.#host = host;
    this.#options = { ...DEFAULTS, console: "inherit", exposeHostErrors: false, ...withoutUndefined(options) };
    validateOptions(this.#options);
    const internals = host[hostInternals];
    this.#sources = internals.sources;
    this.#tapeOfHost = internals.tape;
    const sandbox = internals.newSandbox(
      options[programSupport] ? "program" : "plain",
      this.#options.memoryLimit,
      (reason) => {
        this.#fault ??= reason;
      },
      {
        call: (name, ...args) => this.#hostCall(name!, args),
        callAsync: (name, args, resolve, reject) => this.#hostCallAsync(name!, args!, resolve!, reject!),
        console: (level, text) => this.#native(() => this.#write(level!, text!)),
        load: (name, intrinsics) => this.#native(() => this.#compile(this.#ctx.getString(name!) as "format", intrinsics!)),
      },
    );
    this.#engine = sandbox.engine;
    this.#rt = sandbox.rt;
    this.#ctx = sandbox.ctx;
    this.#internals = sandbox.internals;
    this.#rt.setMemoryLimit(this.#options.memoryLimit);
    this.#rt.setMaxStackSize(this.#options.stackLimit);
    this.#rt.setInterruptHandler(() => {
      this.#onPoll?.();
      if (performance.now() <= this.#deadline) return false;
      this.#interrupted = true;
      return true;
    });
    this.#ctxPtr = (this.#ctx as unknown as ContextInternals).ctx.value as unknown as ContextPointer;
    this.#heap = { memory: this.#engine.memory, runtimePointer: runtimePointer(this.#rt) };
    if (options[programSupport]) {
      const unhandled = new UnhandledRejections(this.#engine, this.#ctxPtr, (ptr) => (this.#ctx as unknown as ContextMemory).memory.heapValueHandle(ptr), this.#options.memoryLimit);
      this.#engine.onRejection = (promise, reason, handled) => unhandled.track(promise, reason, handled);
      this.#unhandled = unhandled;
    }
    this.#dispatchDirectly();
    this.#useModules();
    internals.track(this);
  }

  /**
   * quickjs-emscripten routes every call of a host function through a generic path built for
   * async variants (generators, scopes): most of a callback's cost. Our natives are synchronous,
   * so they are called directly, with the same contract: borrowed argument handles, the result
   * duplicated for the engine, an error thrown into the guest as an Error with its message.
   */
  #dispatchDirectly(): void {
    const ctx = this.#ctx as unknown as DispatchInternals;
    const { ffi } = this.#engine;
    const ctxPtr = this.#ctxPtr;
    const { copyJSValue, freeJSValue } = ctx.memory;
    const owner = this.#rt;
    ctx.cToHostCallbacks.callFunction = (_ctx, _this, argc, argv, fnId) => {
      const fn = ctx.runtime.hostRefs.get(fnId) as (...args: QuickJSHandle[]) => QuickJSHandle | void;
      const args = new Array<QuickJSHandle>(argc);
      for (let i = 0; i < argc; i++) {
        args[i] = new WeakLifetime(ffi.QTS_ArgvGetJSValueConstPointer(argv as never, i), copyJSValue as never, freeJSValue as never, owner) as unknown as QuickJSHandle;
      }
      try {
        const result = fn(...args);
        if (!result) return 0;
        const ptr = ffi.QTS_DupValuePointer(ctxPtr, result.value as never);
        result.dispose();
        return ptr as unknown as number;
      } catch (error) {
        const handle = ctx.errorToHandle(error);
        const thrown = ffi.QTS_Throw(ctxPtr, handle.value as never);
        handle.dispose();
        return thrown as unknown as number;
      }
    };
  }

  // ---------------------------------------------------------------------------------------
  // Public API

  /** Runs a lambda inside the runtime; arguments are copied in, the result copied out. */
  invoke<R = unknown, A extends unknown[] = unknown[]>(fn: (...args: A) => R, ...args: LambdaArgs<A>): Awaited<R> extends R ? R : never {
    const lambda = this.#lambda(fn);
    return this.#sync(() => this.#copyOut(this.#call(lambda, args))) as Awaited<R> extends R ? R : never;
  }

  /** Runs a lambda that may be async: promise jobs, timers and async host callbacks all run until it settles. */
  invokeAsync<R = unknown, A extends unknown[] = unknown[]>(fn: (...args: A) => R, ...args: LambdaArgs<A>): Promise<Awaited<R>> {
    return this.#async(() => {
      const lambda = this.#lambda(fn);
      return this.#call(lambda, args);
    }) as Promise<Awaited<R>>;
  }

  /**
   * Evaluates a script (not a module); returns its completion value. Guest globals persist.
   * A `.ts` filename means TypeScript: transpiled on the host, errors pointing at its lines.
   */
  evaluate<R = unknown>(source: string, options: { filename?: string } = {}): R {
    this.#assertUsable();
    return this.#sync(() => this.#copyOut(this.#evalScript(source, options.filename ?? "script.js", 0))) as R;
  }

  /** Evaluates a script that may use top-level `await`; resolves with its completion value. */
  evaluateAsync<R = unknown>(source: string, options: { filename?: string } = {}): Promise<R> {
    return this.#async(() => this.#evalScript(source, options.filename ?? "script.js", EVAL_FLAG_ASYNC), true) as Promise<R>;
  }

  /**
   * Creates an object inside the runtime: from a self-contained class (`createObject(Counter, 10)`)
   * or from a module's export (`createObject("./model/person.js", "Person", "Ann", 3)`). The
   * constructor runs in the guest with copied arguments; the object stays there.
   */
  createObject(classOrModule: (abstract new (...args: never[]) => unknown) | string, ...rest: unknown[]): IsolatedObject {
    const [owner, args] = ownerOf(classOrModule, rest, (cls) => this.#registeredOwner(cls));
    return new IsolatedObject(this, this[objectSupport].construct(owner, args));
  }

  /** A method of a class (self-contained, or a module's export), or a module's exported function. */
  getMethod(classOrModule: (abstract new (...args: never[]) => unknown) | string, name: string): IsolatedMethod {
    const owner: OwnerRef =
      typeof classOrModule === "string" ? { specifier: classOrModule } : (this.#registeredOwner(classOrModule) ?? { source: lambdaSource(classOrModule as never, "class") });
    return new IsolatedMethod(this, owner, name);
  }

  /** Where the guest finds a class the host registered with withClass (its module's export, or its source). */
  #registeredOwner(cls: abstract new (...args: never[]) => unknown): OwnerRef | undefined {
    return this.#host[hostInternals].classes.find((c) => c.ctor === cls)?.owner;
  }

  /** Makes a host function callable from the guest as `IsolatorHost.invoke(name, ...args)` (or `invokeAsync`). */
  registerCallback(name: string, callback: HostCallback): this {
    this.#assertUsable();
    if (typeof name !== "string" || name === "" || name.includes("\0")) throw new IsolatorError("a callback needs a non-empty name without NUL characters");
    if (typeof callback !== "function") throw new IsolatorError(`callback '${name}' must be a function`);
    this.#callbacks.set(name, callback);
    return this;
  }

  /** @internal What the program runner (pool workers) needs beyond the public API. */
  get [programSupport](): ProgramSupport {
    return {
      runMain: (main, resolve, maps) => {
        for (const [file, map] of maps ?? []) this.#sourceMaps.set(file, map);
        return this.#runMain(main, resolve);
      },
      invokeLambda: (lambda, args) => this.#async(() => this.#call(this.#compiledLambda(lambda), args)),
      exit: (code) => {
        if (this.#depth === 0 || this.#exitCode !== undefined) return;
        this.#exitCode = code;
        this.#deadline = -Infinity;
        this.#wake?.();
      },
      onPoll: (fn) => {
        this.#onPoll = fn;
      },
    };
  }

  /** The limits this runtime enforces, defaults applied. */
  get limits(): { memoryLimit: number; timeLimit: number; stackLimit: number } {
    const { memoryLimit, timeLimit, stackLimit } = this.#options;
    return { memoryLimit, timeLimit, stackLimit };
  }

  /** @internal What isolated objects and methods need: calls on the guest's object table. */
  get [objectSupport](): ObjectSupport {
    return {
      runtime: this,
      construct: (owner, args) => this.#sync(() => this.#readNumber(this.#objectCall("construct", [this.#owner(owner)], args))),
      call: (id, name, args) => this.#sync(() => this.#copyOut(this.#objectCall("call", [this.#ctx.newNumber(id), this.#ctx.newString(name)], args))),
      callAsync: (id, name, args) => this.#async(() => this.#objectCall("call", [this.#ctx.newNumber(id), this.#ctx.newString(name)], args)),
      apply: (owner, name, id, args) =>
        this.#sync(() => {
          const fn = this.#objectCall("method", [this.#owner(owner), this.#ctx.newString(name)], undefined);
          try {
            return this.#copyOut(this.#objectCall("apply", [fn.dup(), this.#ctx.newNumber(id)], args));
          } finally {
            fn.dispose();
          }
        }),
      check: (owner, name) =>
        this.#sync(() => {
          this.#objectCall("method", [this.#owner(owner), this.#ctx.newString(name)], undefined).dispose();
        }),
      release: (id) => {
        if (this.#disposed || this.#fault !== undefined || this.#objects === undefined) return;
        this.#sync(() => this.#objectCall("release", [this.#ctx.newNumber(id)], undefined).dispose());
      },
    };
  }

  /**
   * Bytes of linear memory this runtime has used: the engine's program break (static data, stack
   * and heap; the heap only grows, so this is also its peak). Not the memory's size, which a
   * reused instance may have from an earlier runtime.
   */
  get memoryUsage(): number {
    return this.#engine.programBreak();
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Releases the runtime. Never throws; a faulted runtime's instance is simply dropped. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#host[hostInternals].untrack(this);
    this.#wake?.();
    // Nothing to free inside the engine: the instance belongs to this runtime alone and goes
    // with it (freeing object by object would only cost time, and after a fault could abort).
    // A healthy runtime's instance is handed back to the host, which wipes its memory before any reuse.
    this.#lambdas.clear();
    this.#unhandled = undefined;
    this.#tape = undefined;
    if (this.#fault === undefined && this.#depth === 0) this.#host[hostInternals].recycle(this.#engine, this.#options.memoryLimit);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---------------------------------------------------------------------------------------
  // Calls

  #assertUsable(): void {
    if (this.#disposed) throw new IsolatedRuntimeDisposedError("the IsolatedRuntime has been disposed");
    if (this.#host.disposed) throw new IsolatedRuntimeDisposedError("the IsolatedRuntimeHost has been disposed");
    if (this.#fault !== undefined) {
      throw new IsolatedRuntimeFaultedError("the runtime faulted earlier and can no longer be used; dispose it and create another", {
        cause: this.#fault,
      });
    }
  }

  /** A top-level (or nested, from a callback) synchronous call under the time limit. */
  #sync<T>(body: () => T): T {
    this.#assertUsable();
    const outer = this.#enter();
    try {
      return this.#guard(body);
    } finally {
      this.#leave(outer);
    }
  }

  #enter(): { deadline: number; timeLimit: number } {
    const outer = { deadline: this.#deadline, timeLimit: this.#timeLimit };
    if (this.#depth++ === 0) {
      this.#outputBytes = 0;
      this.#interrupted = false;
      this.#exitCode = undefined;
      this.#timeLimit = this.#options.timeLimit;
      this.#deadline = performance.now() + this.#options.timeLimit;
    }
    return outer;
  }

  #leave(outer: { deadline: number; timeLimit: number }): void {
    if (--this.#depth === 0) {
      this.#deadline = outer.deadline;
      this.#timeLimit = outer.timeLimit;
    }
  }

  /** Maps what escapes the engine: our errors pass, anything else from inside it is a fault. */
  #guard<T>(body: () => T): T {
    try {
      return body();
    } catch (e) {
      if (e instanceof IsolatorError) throw e;
      if (e instanceof CallerValueError) throw e.error;
      this.#fault ??= e;
      // QuickJS can corrupt its heap when it runs out of memory (docs/security.md): a trap then is that limit.
      if (e instanceof WebAssembly.RuntimeError && this.#nearMemoryLimit()) throw new IsolatedMemoryError(this.#options.memoryLimit, { cause: e });
      throw new IsolatedRuntimeFaultedError(`the engine faulted (${e instanceof Error ? e.message : String(e)}); the runtime can no longer be used`, {
        cause: e,
      });
    }
  }

  #async(start: () => QuickJSHandle, unwrapCompletion = false, untilIdle = false): Promise<unknown> {
    const run = async () => {
      this.#assertUsable();
      const outer = this.#enter();
      this.#asyncActive = true;
      this.#generation++;
      try {
        const promise = this.#guard(start);
        let settled = await this.#settle(promise, untilIdle);
        if (untilIdle) return void settled.dispose(); // a program's completion value is not its result
        if (unwrapCompletion) {
          // A script's completion value that is a promise is awaited, as an async lambda's result is.
          const value = this.#ctx.getProp(settled, "value");
          settled.dispose();
          settled = this.#engine.ffi.QTS_PromiseState(this.#ctxPtr, value.value) < 0 ? value : await this.#settle(value);
        }
        return this.#guard(() => this.#copyOut(settled));
      } finally {
        this.#asyncActive = false;
        this.#completions = [];
        this.#pendingOps = 0;
        this.#pendingBytes = 0;
        this.#generation++;
        this.#leave(outer);
      }
    };
    // One async call at a time per runtime: its event loop owns the guest until it settles.
    const next = this.#asyncQueue.then(run, run);
    this.#asyncQueue = next.catch(() => undefined);
    return next;
  }

  /**
   * The event loop of an async call: jobs, timers and host callbacks until `promise` settles
   * (and, `untilIdle`, as a program runs: until no job, timer or host call is pending either).
   */
  async #settle(promise: QuickJSHandle, untilIdle = false): Promise<QuickJSHandle> {
    let result: QuickJSHandle | undefined;
    try {
      for (;;) {
        this.#guard(() => this.#drain());
        // As Node does once microtasks have drained: a rejection still without a handler ends the
        // program, unless it listens for "unhandledRejection" (then it may have scheduled work).
        if (this.#unhandled?.count) {
          if (!this.#guard(() => this.#emitUnhandled(this.#unhandled!))) throw this.#guard(() => this.#unhandledRejection(this.#unhandled!));
          continue;
        }
        if (result === undefined) {
          const state = this.#ctx.getPromiseState(promise);
          if (state.type === "fulfilled") {
            result = state.notAPromise ? promise.dup() : state.value;
            if (!untilIdle) return result;
          } else if (state.type === "rejected") throw this.#guard(() => this.#guestError(state.error));
        }
        const nextTimer = this.#guard(() => this.#runTimers());
        if (nextTimer === 0 || this.#rt.hasPendingJob()) continue; // something ran: look again
        if (this.#completions.length > 0) continue;
        if (this.#interrupted || performance.now() > this.#deadline) throw this.#interruption();
        if (nextTimer < 0 && this.#pendingOps === 0) {
          if (result !== undefined) return result;
          throw new IsolatedError("Error", "the guest's promise can never settle: no jobs, timers or host calls are pending", "", undefined);
        }
        const wait = Math.max(0, Math.min(nextTimer < 0 ? Infinity : nextTimer - Date.now(), this.#deadline - performance.now()));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => resolve(), wait);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        this.#assertUsable();
        if (performance.now() > this.#deadline) throw this.#interruption();
      }
    } catch (e) {
      result?.dispose();
      throw e;
    } finally {
      promise.dispose();
    }
  }

  /** Why the running call was interrupted: its deadline, or a program's exit. */
  #interruption(): IsolatorError {
    return this.#exitCode === undefined ? new IsolatedTimeoutError(this.#timeLimit) : new ProgramExit(this.#exitCode);
  }

  /**
   * Runs queued host-callback completions and promise jobs, a batch at a time with the deadline
   * checked between batches: QuickJS turns an interrupt inside a promise reaction into a rejection
   * and goes on with the next job, so a flood of jobs would never end on its own. A program's exit
   * (deadline -Infinity) stops at once.
   */
  #drain(): void {
    for (;;) {
      const completions = this.#completions;
      this.#completions = [];
      for (const op of completions) op.settle();
      for (let ran = JOB_BATCH; ran === JOB_BATCH; ) {
        // Past the deadline, jobs run on until the interrupt has landed in the guest, which ends an
        // endless async loop (its function rejects) so later calls do not inherit it; a flood, whose
        // jobs swallow the interrupt, is cut off then, or at the latest half a time limit later.
        const late = performance.now() - this.#deadline;
        if (late > 0 && (this.#interrupted || late > this.#timeLimit / 2)) throw this.#interruption();
        const result = this.#rt.executePendingJobs(JOB_BATCH);
        if (result.error) throw this.#guestError(result.error);
        ran = result.value;
      }
      if (this.#completions.length === 0) return;
    }
  }

  /**
   * Emits "unhandledRejection" on the program's process for each held rejection: false if nothing
   * listens. A listener that throws ends the program with that error, as in Node.
   */
  #emitUnhandled(unhandled: UnhandledRejections): boolean {
    const source = `(reason, promise, emit) => {
      const p = globalThis.process;
      if (typeof p?.listenerCount !== "function" || !(p.listenerCount("unhandledRejection") > 0)) return false;
      if (emit) p.emit("unhandledRejection", reason, promise);
      return true;
    }`;
    const compiled = this.#ctx.evalCode(source, "isolator:rejections");
    if (compiled.error) throw this.#guestError(compiled.error);
    const dispatch = compiled.value;
    const call = (...args: QuickJSHandle[]): boolean => {
      const result = this.#ctx.callFunction(dispatch, this.#ctx.undefined, ...args);
      if (result.error) throw this.#guestError(result.error);
      const listened = this.#ctx.typeof(result.value) === "boolean" && this.#ctx.getNumber(result.value) === 1;
      result.value.dispose();
      return listened;
    };
    try {
      if (!call(this.#ctx.undefined, this.#ctx.undefined, this.#ctx.false)) return false;
      // Listeners see the held rejections (the first 16); the rest were only counted.
      // Taken first: what the listeners reject afresh counts as new, and ends the program if nothing handles it.
      const batch = unhandled.take();
      try {
        for (const [reason, promise] of batch) call(reason, promise, this.#ctx.true);
      } finally {
        for (const handles of batch) for (const h of handles) h.dispose();
      }
      return true;
    } finally {
      dispatch.dispose();
    }
  }

  /** The first unhandled rejection as Node reports it: an Error as thrown, anything else wrapped. */
  #unhandledRejection(unhandled: UnhandledRejections): IsolatorError {
    const why = "This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch().";
    const reason = unhandled.firstReason();
    if (!reason) return new IsolatedError("UnhandledPromiseRejection", `${why} (${unhandled.count} promises were rejected without a handler.)`, "", undefined);
    const error = this.#guestError(reason);
    if (!(error instanceof IsolatedError) || error.cause instanceof Error) return error;
    return new IsolatedError("UnhandledPromiseRejection", `${why} The promise rejected with the reason "${error.message}".`, "", error.cause);
  }

  #runTimers(): number {
    const now = this.#ctx.newNumber(Date.now());
    const result = this.#ctx.callFunction(this.#internals.runTimers, this.#ctx.undefined, now);
    now.dispose();
    if (result.error) throw this.#guestError(result.error);
    const next = this.#ctx.getNumber(result.value);
    result.value.dispose();
    return next;
  }

  /** Runs a program's entry (script or module) until it and everything it scheduled are done. */
  async #runMain(main: ProgramMain, resolve?: ModuleResolver): Promise<number | undefined> {
    if (resolve) this.#useModules(resolve, main.filename);
    try {
      await this.#async(
        () => {
          const result = this.#ctx.evalCode(main.source, main.filename, main.module ? { type: "module", strict: true } : EVAL_FLAG_ASYNC);
          if (result.error) throw this.#guestError(result.error);
          return result.value;
        },
        false,
        true,
      ).then(() => undefined);
      return undefined;
    } catch (e) {
      if (e instanceof ProgramExit) return e.code;
      throw e;
    } finally {
      if (resolve) this.#useModules();
    }
  }

  /**
   * Imports go through the host's module loaders (and first, for a program, its own files). The
   * engine asks for each module name once per runtime; the host caches the sources across runtimes.
   * The engine drops a normalizer's error, so a refused import gets a name the loader then fails.
   */
  #useModules(program?: ModuleResolver, entry?: string): void {
    const registry = this.#host[hostInternals].modules;
    const modules = new Map<string, (() => string) | Error>();
    // A program's own files have virtual names: what they import from the host's loaders resolves
    // as from a script.
    const programFiles = new Set(entry === undefined ? [] : [entry]);
    let refused = 0;
    this.#rt.setModuleLoader(
      (name) => {
        const found = modules.get(name);
        if (found === undefined) return { error: new Error(`cannot find module '${name}'`) };
        if (found instanceof Error) return { error: found };
        try {
          const source = found();
          const map = registry.sourceMap(name);
          if (map) this.#sourceMaps.set(name, map);
          return source;
        } catch (e) {
          return { error: new Error(e instanceof Error ? e.message : String(e)) };
        }
      },
      (referrer, specifier) => {
        const own = program?.(specifier, referrer);
        if (own !== undefined) {
          modules.set(own.filename, () => own.source);
          programFiles.add(own.filename);
          return own.filename;
        }
        try {
          const resolved = registry.resolve(specifier, programFiles.has(referrer) ? undefined : referrer);
          modules.set(resolved.name, resolved.load);
          return resolved.name;
        } catch (e) {
          this.#refusals.note(e);
          const name = `refused:${++refused}:${specifier}`;
          modules.set(name, e instanceof Error ? new Error(e.message) : new Error(String(e)));
          return name;
        }
      },
    );
  }

  #lambda(fn: (...args: never[]) => unknown): QuickJSHandle {
    return this.#compiledLambda(lambdaSource(fn));
  }

  #compiledLambda({ expression, freeIdentifiers }: LambdaSource): QuickJSHandle {
    this.#assertUsable();
    let handle = this.#lambdas.get(expression);
    if (handle === undefined) {
      const missing = this.#missingGlobals(freeIdentifiers);
      if (missing.length > 0) throw new IsolatedCaptureError(missing);
      handle = this.#sync(() => {
        const result = this.#ctx.evalCode(`(${expression})`, "lambda.js", { type: "global", strict: false });
        if (result.error) throw this.#guestError(result.error);
        return result.value;
      });
      this.#lambdas.set(expression, handle);
    }
    return handle;
  }

  /** Which of `names` the guest's global object lacks (guest globals persist between calls). */
  #missingGlobals(names: readonly string[]): string[] {
    const candidates = names.filter((n) => n !== "arguments");
    if (candidates.length === 0) return [];
    const probe = `${JSON.stringify(candidates)}.filter((n) => !(n in globalThis))`;
    const missing = this.#sync(() => this.#copyOut(this.#evalScript(probe, "isolator:globals", 0)));
    return Array.isArray(missing) ? missing.filter((n): n is string => typeof n === "string") : candidates;
  }

  #call(fn: QuickJSHandle, args: readonly unknown[]): QuickJSHandle {
    const handles: QuickJSHandle[] = [];
    try {
      for (const arg of args) handles.push(this.#copyIn(arg, `$[${handles.length}]`));
      const result = this.#ctx.callFunction(fn, this.#ctx.undefined, handles);
      if (result.error) throw this.#guestError(result.error);
      return result.value;
    } finally {
      for (const h of handles) h.dispose();
    }
  }

  #evalScript(source: string, filename: string, flags: number): QuickJSHandle {
    if (typeof source !== "string") throw new IsolatorError("evaluate expects source text");
    if (isTypeScript(filename)) {
      const out = transpile(filename, source);
      const first = out.diagnostics[0];
      if (first) throw new IsolatedError("SyntaxError", `${first.file}:${first.line}:${first.column}: ${first.message}`, "", undefined);
      if (out.map) this.#sourceMaps.set(filename, out.map);
      source = out.code;
    }
    const result = this.#ctx.evalCode(source, filename, flags === 0 ? { type: "global" } : flags);
    if (result.error) throw this.#guestError(result.error);
    return result.value;
  }

  // ---------------------------------------------------------------------------------------
  // Values across the boundary

  /** Compiles a lazily loaded part of the guest machinery and instantiates it with the captured intrinsics. */
  #compile(name: "tape" | "format" | "objects", intrinsics: QuickJSHandle): QuickJSHandle {
    const compiled = this.#ctx.evalCode(this.#sources[name], `isolator:${name}`, { type: "global", strict: true });
    if (compiled.error) {
      // Our source is valid: compiling it fails only for want of memory, which QuickJS's parser may
      // even report as a bogus SyntaxError. That is the guest's limit, not a fault.
      compiled.error.dispose();
      throw new IsolatedMemoryError(this.#options.memoryLimit);
    }
    const factory = compiled.value;
    const result = this.#ctx.callFunction(factory, this.#ctx.undefined, intrinsics);
    factory.dispose();
    if (result.error) throw this.#guestError(result.error);
    return result.value;
  }

  #guestTape(): { toTape: QuickJSHandle; fromTape: QuickJSHandle } {
    if (this.#tape === undefined) {
      const tape = this.#compile("tape", this.#internals.intrinsics);
      this.#tape = { toTape: this.#ctx.getProp(tape, "toTape"), fromTape: this.#ctx.getProp(tape, "fromTape") };
      // The host's registered classes, as the guest knows them (a module's export, or their own source).
      const register = this.#ctx.getProp(tape, "registerClass");
      try {
        for (const { name, owner } of this.#host[hostInternals].classes) {
          const nameHandle = this.#ctx.newString(name);
          const ctor = this.#owner(owner);
          const result = this.#ctx.callFunction(register, tape, nameHandle, ctor);
          nameHandle.dispose();
          ctor.dispose();
          if (result.error) throw this.#guestError(result.error);
          result.value.dispose();
        }
      } finally {
        register.dispose();
        tape.dispose();
      }
    }
    return this.#tape;
  }

  /** Calls a function of the guest's object table; `fixed` handles are consumed, `args` copied in as an array. */
  #objectCall(op: "construct" | "call" | "apply" | "method" | "release", fixed: QuickJSHandle[], args: readonly unknown[] | undefined): QuickJSHandle {
    this.#objects ??= this.#compile("objects", this.#internals.intrinsics);
    const handles = [...fixed];
    try {
      if (args !== undefined) handles.push(this.#argsArray(args));
      const fn = this.#ctx.getProp(this.#objects, op);
      const result = this.#ctx.callFunction(fn, this.#objects, handles);
      fn.dispose();
      if (result.error) throw this.#lookupError(this.#guestError(result.error));
      return result.value;
    } finally {
      for (const h of handles) h.dispose();
    }
  }

  /** A guest array of copied arguments; an IsolatedObject argument arrives as its live guest object. */
  #argsArray(args: readonly unknown[]): QuickJSHandle {
    const array = this.#ctx.newArray();
    args.forEach((arg, i) => {
      const handle = this.#copyIn(arg, `$[${i}]`);
      this.#ctx.setProp(array, i, handle);
      handle.dispose();
    });
    return array;
  }

  #readNumber(handle: QuickJSHandle): number {
    const n = this.#ctx.getNumber(handle);
    handle.dispose();
    return n;
  }

  /** Guest errors the object table raises on purpose become IsolatedLookupError. */
  #lookupError(error: IsolatorError): IsolatorError {
    const m = error instanceof IsolatedError ? /^IsolatorLookupError:(\w+)$/.exec(error.guestName) : null;
    return m ? new IsolatedLookupError(m[1] as IsolatedLookupError["kind"], error.message) : error;
  }

  /** A class (self-contained source) or a module export, as a guest handle (cached per runtime). */
  #owner(owner: OwnerRef): QuickJSHandle {
    const key = "source" in owner ? `class:${owner.source.expression}` : `module:${owner.specifier}`;
    let handle = this.#owners.get(key);
    if (handle === undefined) {
      handle = "source" in owner ? this.#classHandle(owner.source) : this.#importSync(owner.specifier);
      this.#owners.set(key, handle);
    }
    if ("source" in owner || owner.exportName === undefined) return handle.dup();
    const value = this.#ctx.getProp(handle, owner.exportName);
    if (this.#ctx.typeof(value) === "undefined") {
      value.dispose();
      throw new IsolatedLookupError("export", `module '${owner.specifier}' has no export '${owner.exportName}'`);
    }
    return value;
  }

  #classHandle(source: LambdaSource): QuickJSHandle {
    const missing = this.#missingGlobals(source.freeIdentifiers);
    if (missing.length > 0) throw new IsolatedCaptureError(missing);
    const result = this.#ctx.evalCode(`(${source.expression})`, "class.js", { type: "global", strict: true });
    if (result.error) throw this.#guestError(result.error);
    return result.value;
  }

  /** Imports a module now: its namespace (a module with top-level await cannot be imported this way). */
  #importSync(specifier: string): QuickJSHandle {
    const promise = this.#evalScript(`import(${JSON.stringify(specifier)})`, "isolator:import", 0);
    try {
      this.#drain();
      const state = this.#ctx.getPromiseState(promise);
      if (state.type === "fulfilled") return state.notAPromise ? promise.dup() : state.value;
      if (state.type === "rejected") {
        const error = this.#guestError(state.error);
        throw new IsolatedLookupError("module", error.message);
      }
      throw new IsolatedLookupError("module", `module '${specifier}' did not finish loading synchronously (top-level await?)`);
    } finally {
      promise.dispose();
    }
  }

  /** Host value -> new guest handle. Natively decoded bjson; the tape when the format falls short. */
  #copyIn(value: unknown, path = "$"): QuickJSHandle {
    const primitive = this.#primitiveIn(value);
    if (primitive !== undefined) return primitive;
    const { bytes, tape } = this.#encode(value, path);
    const buffer = this.#newArrayBuffer(bytes);
    const decoded = this.#ctx.decodeBinaryJSON(buffer);
    buffer.dispose();
    this.#throwIfException(decoded);
    if (!tape) return decoded;
    // IsolatedObjects in the value become their live guest objects, found in the object table.
    const live = this.#objects === undefined ? [] : [this.#ctx.undefined, (this.#liveObjects ??= this.#ctx.getProp(this.#objects, "get"))];
    const result = this.#ctx.callFunction(this.#guestTape().fromTape, this.#ctx.undefined, decoded, ...live);
    decoded.dispose();
    if (result.error) {
      // The tape's own refusal (a registered class's instance shadowing its class) is the value's fault.
      const error = this.#guestError(result.error);
      throw error instanceof IsolatedError && error.guestName === "TypeError" ? new IsolatedSerializationError(path, error.message) : error;
    }
    return result.value;
  }

  /** A guest ArrayBuffer holding a copy of `bytes`; the engine's allocator may say no. */
  #newArrayBuffer(bytes: Uint8Array): QuickJSHandle {
    const ptr = this.#engine.malloc(bytes.length);
    if (!ptr) throw new IsolatedMemoryError(this.#options.memoryLimit);
    new Uint8Array(this.#engine.memory.buffer, ptr, bytes.length).set(bytes); // after malloc: memory may have grown
    const value = this.#engine.ffi.QTS_NewArrayBuffer(this.#ctxPtr, ptr as never, bytes.length);
    return (this.#ctx as unknown as ContextMemory).memory.heapValueHandle(value as unknown as number);
  }

  /** A host value as bytes for the engine: natively, or as a tape. Host-side work only: it never faults the runtime. */
  #encode(value: unknown, path: string): { bytes: Uint8Array; tape: boolean } {
    const tape = this.#tapeOfHost;
    // IsolatedObjects and registered classes' instances need the tape; another runtime's or a disposed IsolatedObject is refused.
    const liveId = (o: object) => (o instanceof IsolatedObject ? liveObjectId(o, this) : undefined);
    const needsTape = (o: object) => o instanceof IsolatedObject || (tape.hasClasses && tape.classOf(o) !== undefined);
    try {
      return { bytes: BjsonWriter.encode(value, this.#options.maxMessageSize, needsTape), tape: false };
    } catch (e) {
      if (!(e instanceof NeedsTape)) throw callerError(e, path);
    }
    try {
      const t = tape.toTape(value, liveId);
      if (Array.isArray(t) && t[0] === "!") throw new IsolatedSerializationError(path + String(t[1]).slice(1), String(t[2]));
      return { bytes: BjsonWriter.encode(t, this.#options.maxMessageSize), tape: true };
    } catch (e) {
      throw callerError(e, path);
    }
  }

  /** Guest handle -> host value; the handle is consumed. */
  #copyOut(handle: QuickJSHandle): unknown {
    try {
      return this.#read(handle);
    } finally {
      handle.dispose();
    }
  }

  /** Guest handle -> host value; the handle stays the caller's. `budget` spans several reads. */
  #read(handle: QuickJSHandle, budget = { left: this.#options.maxMessageSize }): unknown {
    const primitive = this.#primitiveOut(handle);
    if (primitive !== NOT_PRIMITIVE) return primitive;
    // The native encoder cannot name classes: with registered classes, values take the tape.
    const direct = this.#tapeOfHost.hasClasses ? undefined : this.#readNative(handle, budget);
    if (direct !== undefined && !direct.sawUndefinedInArray) return direct.value;
    const tapeResult = this.#ctx.callFunction(this.#guestTape().toTape, this.#ctx.undefined, handle);
    if (tapeResult.error) throw this.#guestError(tapeResult.error);
    const tape = this.#readNative(tapeResult.value, budget, true);
    tapeResult.value.dispose();
    if (tape === undefined) throw new IsolatedSerializationError("$", "the value could not be encoded");
    const t = tape.value;
    if (Array.isArray(t) && t[0] === "!") throw new IsolatedSerializationError(String(t[1]), String(t[2]));
    try {
      return this.#tapeOfHost.fromTape(t, tape.bytes);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new IsolatedSerializationError("$", reason.startsWith("malformed") ? `malformed value from the guest (${reason})` : reason);
    }
  }

  /** Numbers, booleans, nullish (and going in, short well-formed strings) skip the encoder. */
  #primitiveIn(value: unknown): QuickJSHandle | undefined {
    switch (typeof value) {
      case "number":
        return this.#ctx.newNumber(value);
      case "boolean":
        return value ? this.#ctx.true : this.#ctx.false;
      case "undefined":
        return this.#ctx.undefined;
      case "string":
        // The engine's string API is UTF-8 and NUL-terminated: others go through the encoder.
        return value.length <= 256 && value.isWellFormed() && !value.includes("\0") ? this.#ctx.newString(value) : undefined;
      default:
        return value === null ? this.#ctx.null : undefined;
    }
  }

  /** A guest string's length, in UTF-16 units. */
  #stringLength(handle: QuickJSHandle): number {
    const length = this.#ctx.getProp(handle, "length");
    try {
      return this.#ctx.getNumber(length);
    } finally {
      length.dispose();
    }
  }

  #primitiveOut(handle: QuickJSHandle): unknown {
    const ffi = this.#engine.ffi;
    switch (this.#ctx.typeof(handle)) {
      case "number":
        return ffi.QTS_GetFloat64(this.#ctxPtr, handle.value);
      case "boolean":
        return ffi.QTS_GetFloat64(this.#ctxPtr, handle.value) === 1;
      case "undefined":
        return undefined;
      default:
        // Strings too: the engine's string API is UTF-8 and NUL-terminated, the encoder is exact.
        return NOT_PRIMITIVE;
    }
  }

  /**
   * The engine's native encoder; undefined when the value needs the tape. It walks arrays up to
   * their length, holes included, without interrupt polls: unless the value is known `dense` (made
   * by our own guest code), it runs only while the guest's arrays hold few holes.
   */
  #readNative(handle: QuickJSHandle, budget = { left: this.#options.maxMessageSize }, dense = false): ReturnType<typeof BjsonReader.decode> | undefined {
    if (!dense && mayWalkHoles(this.#heap, handle.value as unknown as number)) return undefined;
    const { ffi } = this.#engine;
    const ptr = ffi.QTS_bjson_encode(this.#ctxPtr, handle.value);
    const errorPtr = ffi.QTS_ResolveException(this.#ctxPtr, ptr);
    if (errorPtr) {
      ffi.QTS_FreeValuePointer(this.#ctxPtr, ptr);
      // An encoder stopped by the deadline or out of memory (one large copy can be refused far below the cap) is that limit.
      const error = this.#guestError((this.#ctx as unknown as ContextMemory).memory.heapValueHandle(errorPtr as unknown as number));
      if (error instanceof IsolatedTimeoutError || error instanceof IsolatedMemoryError || error instanceof ProgramExit) throw error;
      return undefined;
    }
    try {
      const length = ffi.QTS_GetArrayBufferLength(this.#ctxPtr, ptr);
      if (length > budget.left) {
        throw new IsolatedSerializationError("$", `the message is ${length} bytes, over what maxMessageSize (${this.#options.maxMessageSize}) leaves`);
      }
      budget.left -= length;
      const data = ffi.QTS_GetArrayBuffer(this.#ctxPtr, ptr);
      if (!data) throw new IsolatedMemoryError(this.#options.memoryLimit);
      try {
        const heap = new Uint8Array(this.#engine.memory.buffer, data, length);
        return BjsonReader.decode(heap, this.#options.maxMessageSize);
      } finally {
        this.#engine.free(data);
      }
    } finally {
      ffi.QTS_FreeValuePointer(this.#ctxPtr, ptr);
    }
  }

  #throwIfException(handle: QuickJSHandle): void {
    const errorPtr = this.#engine.ffi.QTS_ResolveException(this.#ctxPtr, handle.value as Parameters<EngineInstance["ffi"]["QTS_ResolveException"]>[1]);
    if (!errorPtr) return;
    handle.dispose();
    const error = (this.#ctx as unknown as ContextMemory).memory.heapValueHandle(errorPtr as unknown as number);
    throw this.#guestError(error);
  }

  /** Turns a thrown guest value (consumed) into the right host error. */
  #guestError(error: QuickJSHandle): IsolatorError {
    if (this.#interrupted || this.#exitCode !== undefined) {
      error.dispose();
      return this.#interruption();
    }
    let thrown: unknown;
    // Copying the thrown value may itself throw in the guest (a hostile getter, a broken
    // built-in): that error is described, never copied, so this cannot recurse.
    if (!this.#copyingError) {
      this.#copyingError = true;
      try {
        thrown = this.#copyOut(error.dup());
      } catch (copyError) {
        if (copyError instanceof IsolatedTimeoutError) {
          error.dispose();
          return copyError;
        }
      } finally {
        this.#copyingError = false;
      }
    }
    const described = this.#describe(error);
    // At the cap the engine throws null when it cannot build the error, or an InternalError whose message it could not set.
    const outOfMemory =
      (described[0] === "InternalError" && described[1] === "out of memory") ||
      ((thrown === null || (described[0] === "InternalError" && described[1] === "")) && this.#nearMemoryLimit());
    if (outOfMemory) return new IsolatedMemoryError(this.#options.memoryLimit);
    const [name, message, stack] = described;
    return new IsolatedError(name, mapPositions(message, this.#sourceMaps), mapPositions(stack, this.#sourceMaps), thrown, this.#refusals.detailOf(message));
  }

  #describe(error: QuickJSHandle): [string, string, string] {
    try {
      const result = this.#ctx.callFunction(this.#internals.describeError, this.#ctx.undefined, error);
      if (result.error) {
        result.error.dispose();
        return this.#nearMemoryLimit() ? ["InternalError", "out of memory", ""] : ["Error", "the guest threw a value that could not be described", ""];
      }
      const value = this.#readNative(result.value, undefined, true);
      result.value.dispose();
      const d = value?.value;
      if (Array.isArray(d) && d.length === 3 && d.every((x) => typeof x === "string")) return d as [string, string, string];
      return ["Error", "the guest threw a value that could not be described", ""];
    } catch (e) {
      if (e instanceof IsolatedMemoryError || this.#nearMemoryLimit()) return ["InternalError", "out of memory", ""];
      throw e;
    } finally {
      error.dispose();
    }
  }

  /** Whether the memory has grown close to its cap: a failure then is most likely out-of-memory. */
  #nearMemoryLimit(): boolean {
    const max = Math.max(this.#options.memoryLimit, ENGINE_BASE_MEMORY);
    return this.#engine.programBreak() >= max * 0.9;
  }

  // ---------------------------------------------------------------------------------------
  // Host natives, called by the guest

  /**
   * Every native the guest calls runs through here. Past the deadline it refuses at once, so a
   * guest loop of costly native calls cannot outrun the engine's coarse interrupt polling. A
   * GuestFacingError becomes a guest exception; our own limit errors reach the guest as
   * exceptions too (the interrupt then ends the call); anything else that escapes is an engine
   * fault, and the runtime is marked faulted.
   */
  #native<T>(body: () => T): T {
    if (performance.now() > this.#deadline) {
      this.#interrupted = true;
      throw new GuestFacingError("interrupted");
    }
    try {
      return body();
    } catch (e) {
      if (e instanceof GuestFacingError) throw e;
      // Out of memory reaches the guest as the engine's own error does, and the host as IsolatedMemoryError.
      if (e instanceof IsolatedMemoryError) throw new GuestFacingError("out of memory", "InternalError");
      if (e instanceof IsolatorError) throw new GuestFacingError(e.message);
      this.#fault ??= e;
      throw e;
    }
  }

  #hostCall(nameHandle: QuickJSHandle, argHandles: QuickJSHandle[]): QuickJSHandle {
    return this.#native(() => {
      const name = this.#ctx.getString(nameHandle); // the guest caps names at 256 characters
      const callback = this.#callbacks.get(name);
      if (callback === undefined) throw new GuestFacingError(`no host callback is registered as '${name}'`);
      // One budget for all the arguments: a value passed many times is copied many times.
      const budget = { left: this.#options.maxMessageSize };
      const args = argHandles.map((h) => this.#read(h, budget)) as never[];
      let result: unknown;
      try {
        result = callback(...args);
      } catch (e) {
        throw new GuestFacingError(this.#redact(name, e).message);
      }
      if (result instanceof Promise) {
        result.catch(() => undefined);
        throw new GuestFacingError(`host callback '${name}' is async; call it with IsolatorHost.invokeAsync`);
      }
      return this.#callbackResult(name, result);
    });
  }

  /** A callback's result, copied in; whatever goes wrong reading it is redacted like a throw. */
  #callbackResult(name: string, result: unknown): QuickJSHandle {
    try {
      return this.#copyIn(result);
    } catch (e) {
      if (e instanceof IsolatedSerializationError) throw new GuestFacingError(`host callback '${name}' returned ${e.message}`);
      if (e instanceof IsolatorError && !(e instanceof IsolatedSerializationError)) throw e;
      throw new GuestFacingError(this.#redact(name, e).message);
    }
  }

  #hostCallAsync(nameHandle: QuickJSHandle, argsHandle: QuickJSHandle, resolveHandle: QuickJSHandle, rejectHandle: QuickJSHandle): void {
    this.#native(() => {
      if (!this.#asyncActive) throw new GuestFacingError("IsolatorHost.invokeAsync needs an async call: use runtime.invokeAsync or runtime.evaluateAsync");
      const name = this.#ctx.getString(nameHandle); // the guest caps names at 256 characters
      const registered = this.#callbacks.get(name);
      if (registered === undefined) throw new GuestFacingError(`no host callback is registered as '${name}'`);
      if (this.#pendingOps >= MAX_PENDING_CALLS) throw new GuestFacingError(`more than ${MAX_PENDING_CALLS} host calls are pending`);
      const callback = (registered as { [asyncCallback]?: HostCallback })[asyncCallback] ?? registered;
      // Arguments held by pending calls share one budget, so pending calls cannot pile up copies.
      const budget = { left: this.#options.maxMessageSize - this.#pendingBytes };
      const args = this.#read(argsHandle, budget) as never[];
      const held = this.#options.maxMessageSize - this.#pendingBytes - budget.left;
      const generation = this.#generation;
      const resolve = resolveHandle.dup();
      const reject = rejectHandle.dup();
      this.#pendingOps++;
      this.#pendingBytes += held;
      /** Queues the settlement for the running call's event loop; `settlement` runs in the guest then. */
      const complete = (settlement: () => [QuickJSHandle, QuickJSHandle]) => {
        if (generation !== this.#generation || this.#disposed) return; // its call already ended
        this.#pendingOps--;
        this.#pendingBytes -= held;
        this.#completions.push({
          settle: () => {
            const [fn, arg] = settlement();
            const result = this.#ctx.callFunction(fn, this.#ctx.undefined, arg);
            arg.dispose();
            resolve.dispose();
            reject.dispose();
            if (result.error) throw this.#guestError(result.error);
            result.value.dispose();
          },
        });
        this.#wake?.();
      };
      Promise.resolve()
        .then(() => callback(...args))
        .then(
          (value) =>
            complete(() => {
              try {
                return [resolve, this.#callbackResult(name, value)];
              } catch (e) {
                if (!(e instanceof GuestFacingError)) throw e;
                return [reject, this.#ctx.newError(e.message)];
              }
            }),
          (error: unknown) => complete(() => [reject, this.#ctx.newError(this.#redact(name, error).message)]),
        );
    });
  }

  #redact(name: string, error: unknown): Error {
    const detail = this.#options.exposeHostErrors && error instanceof Error ? `: ${error.message}` : "";
    return new Error(`host callback '${name}' failed${detail}`);
  }

  #write(levelHandle: QuickJSHandle, textHandle: QuickJSHandle): void {
    const sink = this.#options.console;
    const limit = this.#options.maxOutputBytes;
    if (sink === "ignore" || this.#outputBytes >= limit) return; // before reading the text: it may be huge
    const level = this.#ctx.getString(levelHandle) as ConsoleLevel;
    let text = this.#ctx.getString(textHandle);
    // The string API stops at a NUL: text that came back short is read exactly, through the encoder.
    if (text.length !== this.#stringLength(textHandle)) text = String(this.#read(textHandle));
    const bytes = Buffer.byteLength(text);
    this.#outputBytes += bytes;
    if (this.#outputBytes > limit) {
      text = `${Buffer.from(text).subarray(0, Math.max(0, limit - (this.#outputBytes - bytes))).toString()}\n${TRUNCATED}`;
    }
    if (sink === "inherit") (console[level] as (t: string) => void)(text);
    else sink({ level, text });
  }
}

/**
 * What goes wrong while the host walks a caller's value (its getter throws, its proxy trap, the
 * host's stack overflows on its depth) is the caller's error, never an engine fault.
 */
function callerError(e: unknown, path: string): unknown {
  if (e instanceof IsolatorError) return e;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return new IsolatedSerializationError(path, "the value nests too deeply");
  return new CallerValueError(e);
}

/** Carries a caller's own exception (a throwing getter) out through the fault guard unchanged. */
class CallerValueError {
  constructor(readonly error: unknown) {}
}

/** An error meant for the guest: quickjs-emscripten turns it into a guest error with this name and message only. */
class GuestFacingError extends Error {
  constructor(
    message: string,
    override readonly name = "Error",
  ) {
    super(message);
    this.stack = "";
  }
}

function validateOptions(o: Required<Omit<IsolatedRuntimeOptions, "console" | typeof programSupport>> & { console: unknown }): void {
  assertLimits(o, ["memoryLimit", "timeLimit", "stackLimit", "maxOutputBytes", "maxMessageSize"]);
  if (!(o.console === "inherit" || o.console === "ignore" || typeof o.console === "function")) {
    throw new IsolatorError('option console must be "inherit", "ignore" or a function');
  }
}
