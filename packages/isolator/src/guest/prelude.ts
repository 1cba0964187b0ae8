/**
 * The guest prelude: runs inside every new runtime before any guest code. Its source is
 * shipped by `Function.prototype.toString`, so it must stay self-contained, and small: it is
 * parsed for every runtime. The tape codec and the console formatter are compiled lazily.
 *
 * It takes the host's native functions off the global object, captures the built-ins the
 * machinery relies on, and installs the guest-visible API: `IsolatorHost`, `console`, timers.
 * It returns the internal entry points the host keeps as handles (never reachable by guests).
 */
import type { Formatter } from "./format.js";
import type { Intrinsics, captureIntrinsics } from "./intrinsics.js";

export interface HostNatives {
  /** Calls a sync host callback; the result arrives as a guest value. */
  call(name: string, ...args: unknown[]): unknown;
  /** Starts an async host callback; the host settles it through `resolve` / `reject`. */
  callAsync(name: string, args: unknown[], resolve: (v: unknown) => void, reject: (e: unknown) => void): void;
  /** Writes one console entry. */
  console(level: string, text: string): void;
  /** Compiles a lazily loaded part of the machinery ("format"), given the captured intrinsics. */
  load(name: "format", intrinsics: Intrinsics): Formatter;
}

export interface GuestInternals {
  intrinsics: Intrinsics;
  /** Runs every timer due at `now`; returns 0 if any ran, else the next due time, or -1 when none is pending. */
  runTimers(now: number): number;
  /** [name, message, stack] of a thrown value. */
  describeError(e: unknown): [string, string, string];
}

export function prelude(g: typeof globalThis, natives: HostNatives, capture: typeof captureIntrinsics): GuestInternals {
  const I = capture(g);
  const O = g.Object;
  const { String: StringCtor, tagOf } = I;
  const DateNow = g.Date.now;
  const MathMax = g.Math.max;
  const TypeErrorCtor = g.TypeError;
  const PromiseCtor = g.Promise;
  const promiseThen = PromiseCtor.prototype.then;
  const resolved = PromiseCtor.resolve();
  const reflectApply = g.Reflect.apply;
  const { call: hostCall, callAsync: hostCallAsync, console: hostConsole, load } = natives;
  let formatter: Formatter | undefined;
  const formatterOf = () => (formatter ??= load("format", I));

  const define = (name: string, value: unknown) => O.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });

  // Guest-facing functions print like built-ins, `function log() {\n    [native code]\n}`: the
  // machinery's source stays out of sight. Function.prototype.toString is replaced by one that
  // knows them (by identity, under the name they were given) and looks native itself.
  const functionSource = g.Function.prototype.toString;
  const builtInNames = new g.WeakMap<object, string>();
  const weakGet = g.WeakMap.prototype.get;
  const weakSet = g.WeakMap.prototype.set;
  const looksBuiltIn = (fn: unknown, name: string) => {
    O.defineProperty(fn, "name", { value: name, configurable: true });
    reflectApply(weakSet, builtInNames, [fn, name]);
  };
  /** Every function among an object's own properties (methods, accessors), under its key. */
  const builtInsOf = (o: object) => {
    for (const key of g.Reflect.ownKeys(o)) {
      if (typeof key !== "string" || key === "constructor") continue;
      const d = O.getOwnPropertyDescriptor(o, key)!;
      if (typeof d.value === "function") looksBuiltIn(d.value, key);
      if (d.get) looksBuiltIn(d.get, `get ${key}`);
      if (d.set) looksBuiltIn(d.set, `set ${key}`);
    }
    return o;
  };
  /**
   * The standard library's values as it builds them (a class, a module object): their functions,
   * their own properties' and their prototype's, keep their names and print as built-ins.
   */
  const builtInsDeep = (value: unknown, name: string) => {
    const seen = new g.WeakMap<object, number>(); // the depth each was walked to
    const visit = (v: unknown, key: string, depth: number) => {
      if (typeof v !== "function" && (typeof v !== "object" || v === null)) return;
      const walked = reflectApply(weakGet, seen, [v]) as number | undefined;
      if (walked !== undefined && walked >= depth) return;
      reflectApply(weakSet, seen, [v, depth]);
      if (typeof v === "function" && !I.hasText(reflectApply(functionSource, v, []) as string, "[native code]")) {
        reflectApply(weakSet, builtInNames, [v, (v as { name?: unknown }).name || key]);
      }
      if (depth === 0) return;
      for (const k of g.Reflect.ownKeys(v as object)) {
        if (typeof k !== "string" || k === "constructor") continue;
        const d = O.getOwnPropertyDescriptor(v, k)!;
        visit(d.value, k, k === "prototype" ? depth : depth - 1);
        if (d.get) visit(d.get, `get ${k}`, 0);
        if (d.set) visit(d.set, `set ${k}`, 0);
      }
    };
    visit(value, name, 2);
  };
  const toStringMethod = {
    toString(this: unknown): string {
      const name = typeof this === "function" ? (reflectApply(weakGet, builtInNames, [this]) as string | undefined) : undefined;
      return name === undefined ? (reflectApply(functionSource, this, []) as string) : `function ${name}() {\n    [native code]\n}`; // as the engine prints its own
    },
  };
  builtInsOf(toStringMethod);
  O.defineProperty(g.Function.prototype, "toString", { value: toStringMethod.toString, writable: true, configurable: true, enumerable: false });
  // The program environment, installed next, marks its functions too; the host deletes this then.
  define("__isolatorBuiltIns", { of: builtInsOf, deep: builtInsDeep });

  const callbackName = (name: unknown) => {
    const text = StringCtor(name);
    if (text.length > 256) throw new TypeErrorCtor("a callback name has at most 256 characters");
    // The host reads names as C strings: "a\0b" must not reach the callback "a".
    if (I.hasText(text, "\0")) throw new TypeErrorCtor("a callback name cannot contain a NUL character");
    return text;
  };
  define(
    "IsolatorHost",
    O.freeze(builtInsOf({
      invoke<T>(name: string, ...args: unknown[]): T {
        I.unshift(args, callbackName(name)); // no spread: it would use the guest's array iterator
        return reflectApply(hostCall, undefined, args) as T;
      },
      invokeAsync<T>(name: string, ...args: unknown[]): Promise<T> {
        const text = callbackName(name);
        return new PromiseCtor<T>((resolve, reject) => hostCallAsync(text, args, resolve as (v: unknown) => void, reject));
      },
    })),
  );

  // Resizable and transferable buffers are where the engine's known memory-safety bugs live
  // (bellard/quickjs#478, #492); shared memory has no use without threads.
  for (const name of ["resize", "transfer", "transferToFixedLength"]) delete (g.ArrayBuffer.prototype as unknown as Record<string, unknown>)[name];
  delete (g as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
  delete (g as { Atomics?: unknown }).Atomics;

  // console: strings are joined here; anything else is formatted as Node's util.format would.
  function format(args: unknown[]): string {
    let plain = true;
    for (let i = 0; i < args.length; i++) if (typeof args[i] !== "string" || (i === 0 && I.hasText(args[0] as string, "%"))) plain = false;
    return plain ? I.join(args, " ") : formatterOf().format(args);
  }
  const counts = new I.Map<string, number>();
  const timers = new I.Map<string, number>();
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      hostConsole(level, format(args));
  const elapsed = (label: string) => `${label}: ${DateNow() - (I.mapGet(timers, label) as number)}ms`;
  define(
    "console",
    O.freeze(builtInsOf({
      log: log("log"),
      info: log("info"),
      warn: log("warn"),
      error: log("error"),
      debug: log("debug"),
      trace: (...args: unknown[]) => hostConsole("error", `Trace: ${format(args)}\n${I.join((new g.Error().stack ?? "").split("\n").slice(1), "\n")}`),
      dir: (v: unknown) => hostConsole("log", formatterOf().inspect(v)),
      table: log("log"),
      assert: (ok: unknown, ...args: unknown[]) => {
        if (!ok) hostConsole("error", `Assertion failed${args.length ? `: ${format(args)}` : ""}`);
      },
      count: (label = "default") => {
        const n = ((I.mapGet(counts, label) as number | undefined) ?? 0) + 1;
        I.mapSet(counts, label, n);
        hostConsole("log", `${label}: ${n}`);
      },
      countReset: (label = "default") => void I.mapDelete(counts, label),
      time: (label = "default") => void I.mapSet(timers, label, DateNow()),
      timeLog: (label = "default", ...args: unknown[]) => {
        if (I.mapGet(timers, label) !== undefined) hostConsole("log", `${elapsed(label)}${args.length ? ` ${format(args)}` : ""}`);
      },
      timeEnd: (label = "default") => {
        if (I.mapGet(timers, label) !== undefined) hostConsole("log", elapsed(label));
        I.mapDelete(timers, label);
      },
    })),
  );

  // Timers: kept here and fired by the host's event loop while an async call runs.
  interface Timer {
    due: number;
    interval: number;
    fn: (...a: unknown[]) => void;
    args: unknown[];
  }
  const pending = new I.Map<number, Timer>();
  let nextId = 1;
  const schedule =
    (repeat: boolean) =>
    (fn: unknown, ms?: unknown, ...args: unknown[]): number => {
      if (typeof fn !== "function") throw new TypeErrorCtor("the callback must be a function");
      const delay = MathMax(0, I.Number(ms) || 0);
      const id = nextId++;
      I.mapSet(pending, id, { due: DateNow() + delay, interval: repeat ? MathMax(1, delay) : -1, fn: fn as Timer["fn"], args });
      return id;
    };
  const clear = (id: unknown) => void I.mapDelete(pending, I.Number(id));
  const timerFunctions = builtInsOf({
    setTimeout: schedule(false),
    setInterval: schedule(true),
    clearTimeout: (id: unknown) => clear(id),
    clearInterval: (id: unknown) => clear(id),
    queueMicrotask: (fn: unknown) => {
      if (typeof fn !== "function") throw new TypeErrorCtor("the callback must be a function");
      reflectApply(promiseThen, resolved, [fn]);
    },
  });
  for (const name of O.keys(timerFunctions)) define(name, timerFunctions[name as keyof typeof timerFunctions]);

  /**
   * Fires one due timer and returns 0, or returns when the next is due (-1: none). One at a time,
   * so the host drains microtasks (and checks for unhandled rejections) between timers, as Node
   * does. Timers due together form a batch, in due-time order, ties in creation order; a timer
   * they schedule waits for the next batch.
   */
  let batch: [number, Timer][] = [];
  let batchAt = 0;
  function runTimers(now: number): number {
    if (batchAt >= batch.length) {
      batch = [];
      batchAt = 0;
      I.mapForEach(pending, (t, id) => {
        if ((t as Timer).due <= now) I.push(batch, [id as number, t as Timer]);
      });
      I.sort(batch, (a: [number, Timer], b: [number, Timer]) => a[1].due - b[1].due || a[0] - b[0]);
    }
    while (batchAt < batch.length) {
      const [id, t] = batch[batchAt++]!;
      if (I.mapGet(pending, id) !== t) continue; // cleared by an earlier timer
      if (t.interval < 0) I.mapDelete(pending, id);
      else t.due = now + t.interval;
      reflectApply(t.fn, undefined, t.args);
      return 0;
    }
    let next = -1;
    I.mapForEach(pending, (t) => {
      if (next < 0 || (t as Timer).due < next) next = (t as Timer).due;
    });
    return next;
  }

  function describeError(e: unknown): [string, string, string] {
    if (tagOf(e) === "[object Error]") {
      const err = e as Error;
      return [StringCtor(err.name), StringCtor(err.message), StringCtor(err.stack ?? "")];
    }
    return [typeof e === "object" && e !== null ? "Object" : typeof e, formatterOf().inspect(e), ""];
  }

  return { intrinsics: I, runTimers, describeError };
}
