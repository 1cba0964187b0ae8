/**
 * The guest prelude: runs inside every new runtime before any guest code. Its source is
 * shipped by `Function.prototype.toString`, so it must stay self-contained.
 *
 * It takes the host's native functions off the global object, captures the built-ins it
 * relies on, and installs the guest-visible API: `IsolatorHost`, `console` and timers. It
 * returns the internal entry points the host keeps as handles (never reachable by guests).
 */
import type { Tape } from "../codec/tape.js";

export interface HostNatives {
  /** Calls a sync host callback; the result arrives as a guest value. */
  call(name: string, args: unknown[]): unknown;
  /** Starts an async host callback; the host settles it through `resolve` / `reject`. */
  callAsync(name: string, args: unknown[], resolve: (v: unknown) => void, reject: (e: unknown) => void): void;
  /** Writes one console entry. */
  console(level: string, text: string): void;
}

export interface GuestInternals {
  toTape(value: unknown): unknown;
  fromTape(tape: unknown): unknown;
  /** Runs every timer due at `now`; returns 0 if any ran, else the next due time, or -1 when none is pending. */
  runTimers(now: number): number;
  /** Wraps a thrown value so the host can copy it out: [name, message, stack, value]. */
  describeError(e: unknown): [string, string, string];
}

export function prelude(g: typeof globalThis, natives: HostNatives, createTape: (g: typeof globalThis) => Tape): GuestInternals {
  const { toTape, fromTape } = createTape(g);
  const O = g.Object;
  const StringCtor = g.String;
  const ErrorCtor = g.Error;
  const MapCtor = g.Map;
  const DateNow = g.Date.now;
  const isArray = g.Array.isArray;
  const keys = O.keys;
  const hostCall = natives.call;
  const hostCallAsync = natives.callAsync;
  const hostConsole = natives.console;
  const PromiseCtor = g.Promise;
  const promiseThen = PromiseCtor.prototype.then;
  const resolved = PromiseCtor.resolve();
  const reflectApply = g.Reflect.apply;
  const tagOf = (v: unknown) => reflectApply(O.prototype.toString, v, []) as string;

  const define = (name: string, value: unknown) =>
    O.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });

  const host = O.freeze({
    invoke<T>(name: string, ...args: unknown[]): T {
      return hostCall(StringCtor(name), args) as T;
    },
    invokeAsync<T>(name: string, ...args: unknown[]): Promise<T> {
      return new PromiseCtor<T>((resolve, reject) => hostCallAsync(StringCtor(name), args, resolve as (v: unknown) => void, reject));
    },
  });
  define("IsolatorHost", host);

  // console: formatted here, as Node's util.format would, then written through the host.
  function inspect(v: unknown, depth: number, seen: unknown[]): string {
    switch (typeof v) {
      case "string":
        return depth === 0 ? v : g.JSON.stringify(v);
      case "bigint":
        return `${v}n`;
      case "function":
        return `[Function: ${(v as { name?: string }).name || "(anonymous)"}]`;
      case "symbol":
        return v.toString();
      case "object":
        break;
      default:
        return StringCtor(v);
    }
    if (v === null) return "null";
    if (seen.includes(v)) return "[Circular]";
    const tag = tagOf(v);
    if (tag === "[object Error]") return StringCtor((v as Error).stack ? `${StringCtor(v)}\n${(v as Error).stack}` : v);
    if (tag === "[object Date]") return (v as Date).toISOString?.() ?? "Invalid Date";
    if (tag === "[object RegExp]") return StringCtor(v);
    if (depth > 2) return isArray(v) ? "[Array]" : "[Object]";
    seen = [...seen, v];
    const item = (x: unknown) => inspect(x, depth + 1, seen);
    if (isArray(v)) return v.length === 0 ? "[]" : `[ ${v.map(item).join(", ")} ]`;
    if (tag === "[object Map]") return `Map(${(v as Map<unknown, unknown>).size}) { ${[...(v as Map<unknown, unknown>)].map(([k, x]) => `${item(k)} => ${item(x)}`).join(", ")} }`;
    if (tag === "[object Set]") return `Set(${(v as Set<unknown>).size}) { ${[...(v as Set<unknown>)].map(item).join(", ")} }`;
    const ks = keys(v);
    const name = (O.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
    const prefix = name && name !== "Object" ? `${name} ` : "";
    if (ks.length === 0) return `${prefix}{}`;
    return `${prefix}{ ${ks.map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : g.JSON.stringify(k)}: ${item((v as Record<string, unknown>)[k])}`).join(", ")} }`;
  }
  function format(args: unknown[]): string {
    let first = args[0];
    let rest = 1;
    if (typeof first === "string" && first.includes("%")) {
      first = first.replace(/%([sdifjoOc%])/g, (m, f: string) => {
        if (f === "%") return "%";
        if (rest >= args.length) return m;
        const a = args[rest++];
        switch (f) {
          case "s":
            return typeof a === "string" ? a : inspect(a, 1, []);
          case "d":
          case "i":
            return typeof a === "bigint" ? `${a}n` : StringCtor(f === "i" ? g.Math.trunc(g.Number(a)) : g.Number(a));
          case "f":
            return StringCtor(g.Number(a));
          case "j":
            return g.JSON.stringify(a) ?? "undefined";
          case "c":
            return "";
          default:
            return inspect(a, 1, []);
        }
      });
    }
    const parts = [inspect(first, 0, [])];
    for (let i = rest; i < args.length; i++) parts.push(inspect(args[i], 0, []));
    return args.length === 0 ? "" : parts.join(" ");
  }
  const counts = new MapCtor<string, number>();
  const timers = new MapCtor<string, number>();
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      hostConsole(level, format(args));
  define(
    "console",
    O.freeze({
      log: log("log"),
      info: log("info"),
      warn: log("warn"),
      error: log("error"),
      debug: log("debug"),
      trace: (...args: unknown[]) => hostConsole("error", `Trace: ${format(args)}\n${(new ErrorCtor().stack ?? "").split("\n").slice(1).join("\n")}`),
      dir: (v: unknown) => hostConsole("log", inspect(v, 1, [])),
      table: log("log"),
      assert: (ok: unknown, ...args: unknown[]) => {
        if (!ok) hostConsole("error", `Assertion failed${args.length ? `: ${format(args)}` : ""}`);
      },
      count: (label = "default") => {
        const n = (counts.get(label) ?? 0) + 1;
        counts.set(label, n);
        hostConsole("log", `${label}: ${n}`);
      },
      countReset: (label = "default") => void counts.delete(label),
      time: (label = "default") => void timers.set(label, DateNow()),
      timeEnd: (label = "default") => {
        const start = timers.get(label);
        if (start !== undefined) hostConsole("log", `${label}: ${DateNow() - start}ms`);
        timers.delete(label);
      },
      timeLog: (label = "default", ...args: unknown[]) => {
        const start = timers.get(label);
        if (start !== undefined) hostConsole("log", `${label}: ${DateNow() - start}ms${args.length ? ` ${format(args)}` : ""}`);
      },
    }),
  );

  // Timers: kept here and fired by the host's event loop while an async call runs.
  interface Timer {
    due: number;
    interval: number;
    fn: (...a: unknown[]) => void;
    args: unknown[];
  }
  const pending = new MapCtor<number, Timer>();
  let nextId = 1;
  const schedule = (repeat: boolean) =>
    function (fn: unknown, ms?: unknown, ...args: unknown[]): number {
      if (typeof fn !== "function") throw new g.TypeError("the callback must be a function");
      const delay = g.Math.max(0, g.Number(ms) || 0);
      const id = nextId++;
      pending.set(id, { due: DateNow() + delay, interval: repeat ? g.Math.max(1, delay) : -1, fn: fn as Timer["fn"], args });
      return id;
    };
  const clear = (id: unknown) => void pending.delete(g.Number(id));
  define("setTimeout", schedule(false));
  define("setInterval", schedule(true));
  define("clearTimeout", clear);
  define("clearInterval", clear);
  define("queueMicrotask", (fn: unknown) => {
    if (typeof fn !== "function") throw new g.TypeError("the callback must be a function");
    reflectApply(promiseThen, resolved, [fn]);
  });

  function runTimers(now: number): number {
    let next = -1;
    for (const [id, t] of [...pending]) {
      if (t.due <= now) {
        if (t.interval < 0) pending.delete(id);
        else t.due = now + t.interval;
        reflectApply(t.fn, undefined, t.args);
        next = 0;
      }
    }
    if (next === 0) return 0;
    for (const t of pending.values()) if (next < 0 || t.due < next) next = t.due;
    return next;
  }

  function describeError(e: unknown): [string, string, string] {
    if (tagOf(e) === "[object Error]") {
      const err = e as Error;
      return [StringCtor(err.name), StringCtor(err.message), StringCtor(err.stack ?? "")];
    }
    return [typeof e === "object" && e !== null ? "Object" : typeof e, inspect(e, 1, []), ""];
  }

  return { toTape, fromTape, runTimers, describeError };
}
