/**
 * The sandbox's standard library, bundled at build time (build.mjs) and run once in each template
 * (host.ts), so every runtime starts with it in its memory image. It installs the WinterTC globals
 * and keeps Node's everyday modules in a table the program environment serves `require` and
 * `import` from. Each global and module is initialised on first use: a runtime that never touches
 * one pays only for its compiled code in the image.
 */
import { markSeed } from "./random.js";

/** esbuild's require: a module built on first call (CommonJS exports, or an ES module's namespace). */
declare const require: (id: string) => Record<string, unknown>;

const g = globalThis as unknown as Record<string | symbol, unknown>;
const SEED = "__isolatorStdlibSeed";
markSeed(String(g[SEED]));
delete g[SEED];

/** The prelude's: what the library builds prints as built-ins, its source out of sight (kept: the global goes once templates are made). */
const builtIns = (g.__isolatorBuiltIns as { deep(value: unknown, name: string): void } | undefined)?.deep ?? (() => undefined);
const define = (target: object, name: string, value: unknown) => Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });

/**
 * A global that is built when first read (or replaced when first written). While one (or a Node
 * module) is being built, all read as absent: the libraries look for native versions of what
 * they implement, and must not find each other half-built.
 */
let building = false;
function build<T>(init: () => T): T {
  const outer = building;
  building = true;
  try {
    return init();
  } finally {
    building = outer;
  }
}
function lazy(name: string, init: () => unknown): void {
  Object.defineProperty(g, name, {
    get() {
      if (building) return undefined;
      const value = build(init);
      builtIns(value, name);
      define(g, name, value);
      return value;
    },
    set(value: unknown) {
      define(g, name, value);
    },
    configurable: true,
    enumerable: false,
  });
}

const web = {
  encoding: () => require("./encoding.js"),
  url: () => require("./node/url.js"),
  events: () => require("event-target-shim"),
  abort: () => require("./abort.js"),
  crypto: () => require("./webcrypto.js"),
};
lazy("TextEncoder", () => web.encoding().TextEncoder);
lazy("TextDecoder", () => web.encoding().TextDecoder);
lazy("URL", () => web.url().URL);
lazy("URLSearchParams", () => web.url().URLSearchParams);
lazy("Event", () => web.events().Event);
lazy("EventTarget", () => web.events().EventTarget);
lazy("AbortController", () => web.abort().AbortController);
lazy("AbortSignal", () => web.abort().AbortSignal);
lazy("DOMException", () => require("./dom-exception.js").DOMException);
lazy("Blob", () => require("./blob.js").Blob);
lazy("crypto", () => web.crypto().crypto);
lazy("Crypto", () => web.crypto().Crypto);
lazy("SubtleCrypto", () => web.crypto().SubtleCrypto);
lazy("atob", () => require("./base64.js").atob);
lazy("btoa", () => require("./base64.js").btoa);
lazy("structuredClone", () => require("./clone.js").structuredClone);

let origin: number | undefined;
define(g, "performance", {
  now: () => Date.now() - (origin ??= Date.now()),
  get timeOrigin() {
    return (origin ??= Date.now());
  },
});
builtIns(g.performance, "performance");
define(g, "navigator", Object.freeze({ userAgent: "Isolator (QuickJS)", language: "en-US", languages: Object.freeze(["en-US"]), hardwareConcurrency: 1 }));
if (typeof (Array as { fromAsync?: unknown }).fromAsync !== "function") {
  define(Array, "fromAsync", {
    fromAsync(this: unknown, ...args: unknown[]) {
      return Reflect.apply(require("./from-async.js").fromAsync as (...a: unknown[]) => Promise<unknown[]>, this, args);
    },
  }.fromAsync);
  builtIns((Array as { fromAsync?: unknown }).fromAsync, "fromAsync");
}

// Intl, and the locale-sensitive methods that use it (en-US only: intl.ts).
const intl = () => require("./intl.js") as unknown as typeof import("./intl.js");
lazy("Intl", () => intl().Intl);
const method = (proto: object, name: string, fn: (this: never, ...args: unknown[]) => unknown) => {
  const named = { [name]: fn }[name];
  builtIns(named, name);
  define(proto, name, named);
};
method(Number.prototype, "toLocaleString", function (this: number, locales?: unknown, options?: unknown) {
  return new (intl().NumberFormat)(locales, options as Record<string, unknown>).format(Number.prototype.valueOf.call(this));
});
method(BigInt.prototype, "toLocaleString", function (this: bigint, locales?: unknown, options?: unknown) {
  return new (intl().NumberFormat)(locales, options as Record<string, unknown>).format(BigInt.prototype.valueOf.call(this));
});
for (const [name, which] of [["toLocaleString", "any"], ["toLocaleDateString", "date"], ["toLocaleTimeString", "time"]] as const) {
  method(Date.prototype, name, function (this: Date, locales?: unknown, options?: unknown) {
    return intl().dateToLocale(this, which, locales, options);
  });
}
method(String.prototype, "localeCompare", function (this: string, that: unknown, locales?: unknown, options?: unknown) {
  if (this === null || this === undefined) throw new TypeError("String.prototype.localeCompare called on null or undefined");
  return new (intl().Collator)(locales, options as Record<string, unknown>).compare(String(this), String(that));
});

/** Node's modules, by name (without "node:"), built on first require / import. */
const copy = (m: Record<string, unknown>) => ({ ...m });
const NODE_MODULES: Record<string, () => unknown> = {
  assert: () => require("./node/assert.js").assert,
  "assert/strict": () => require("./node/assert.js").strict,
  buffer: () => require("./node/buffer.js").nodeBuffer,
  crypto: () => copy(require("./node/crypto.js")),
  events: () => require("events"),
  path: () => require("path-browserify"),
  "path/posix": () => require("path-browserify"),
  perf_hooks: () => ({ performance: g.performance }),
  querystring: () => ({ ...require("querystring-es3"), escape: encodeURIComponent, unescape: decodeURIComponent }),
  string_decoder: () => copy(require("string_decoder")),
  timers: () => require("./node/timers.js").timers,
  "timers/promises": () => require("./node/timers.js").timersPromises,
  url: () => copy(require("./node/url.js")),
  util: () => copy(require("./node/util.js")),
  "util/types": () => require("./node/util.js").types,
};
const loaded: Record<string, unknown> = {};
const nodeModule = (name: string): unknown => {
  if (!Object.hasOwn(NODE_MODULES, name)) return undefined;
  if (!Object.hasOwn(loaded, name)) builtIns((loaded[name] = build(NODE_MODULES[name]!)), name);
  return loaded[name];
};
define(g, Symbol.for("isolator.stdlib") as unknown as string, Object.assign(nodeModule, { names: Object.keys(NODE_MODULES) }));
