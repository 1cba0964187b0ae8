/**
 * The sandbox's standard library, bundled at build time (build.mjs) and run once in each template
 * (host.ts), so every runtime starts with it built in its memory image: the WinterTC globals, Intl,
 * and Node's everyday modules in a table the program environment serves `require` and `import`
 * from. Everything is built here, not on first use: measured, building it adds under 1% to the
 * image (the parser's garbage dominates it) and spares each runtime up to 8 ms (core-js's URL).
 */
import { restoreRandom } from "./template-random.js";
import { markSeed } from "./random.js";
import { TextDecoder, TextEncoder } from "./encoding.js";
import * as url from "./node/url.js";
import { Event, EventTarget } from "event-target-shim";
import { AbortController, AbortSignal } from "./abort.js";
import { DOMException } from "./dom-exception.js";
import { Blob } from "./blob.js";
import { crypto, Crypto, SubtleCrypto } from "./webcrypto.js";
import { atob, btoa } from "./base64.js";
import { structuredClone } from "./clone.js";
import { fromAsync } from "./from-async.js";
import { Collator, dateToLocale, Intl, NumberFormat } from "./intl.js";
import { assert, strict } from "./node/assert.js";
import { nodeBuffer } from "./node/buffer.js";
import * as nodeCrypto from "./node/crypto.js";
import events from "events";
import path from "path-browserify";
import * as querystring from "querystring-es3";
import * as stringDecoder from "string_decoder";
import { timers, timersPromises } from "./node/timers.js";
import * as util from "./node/util.js";

const g = globalThis as unknown as Record<string | symbol, unknown>;
const SEED = "__isolatorStdlibSeed";
markSeed(String(g[SEED]));
delete g[SEED];

/** The prelude's: what the library builds prints as built-ins, its source out of sight. */
const builtIns = (g.__isolatorBuiltIns as { deep(value: unknown, name: string): void } | undefined)?.deep ?? (() => undefined);
const define = (target: object, name: string | symbol, value: unknown) => Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });

const performance = {
  now: () => Date.now() - (origin ??= Date.now()),
  get timeOrigin() {
    return (origin ??= Date.now());
  },
};
let origin: number | undefined;

const globals: Record<string, unknown> = {
  TextEncoder,
  TextDecoder,
  URL: url.URL,
  URLSearchParams: url.URLSearchParams,
  Event,
  EventTarget,
  AbortController,
  AbortSignal,
  DOMException,
  Blob,
  crypto,
  Crypto,
  SubtleCrypto,
  atob,
  btoa,
  structuredClone,
  Intl,
  performance,
  navigator: Object.freeze({ userAgent: "Isolator (QuickJS)", language: "en-US", languages: Object.freeze(["en-US"]), hardwareConcurrency: 1 }),
};
for (const [name, value] of Object.entries(globals)) {
  builtIns(value, name);
  define(g, name, value);
}
if (typeof (Array as { fromAsync?: unknown }).fromAsync !== "function") {
  builtIns(fromAsync, "fromAsync");
  define(Array, "fromAsync", fromAsync);
}

// The locale-sensitive methods, on Intl (en-US only: intl.ts).
const method = (proto: object, name: string, fn: (this: never, ...args: unknown[]) => unknown) => {
  const named = { [name]: fn }[name];
  builtIns(named, name);
  define(proto, name, named);
};
method(Number.prototype, "toLocaleString", function (this: number, locales?: unknown, options?: unknown) {
  return new NumberFormat(locales, options as Record<string, unknown>).format(Number.prototype.valueOf.call(this));
});
method(BigInt.prototype, "toLocaleString", function (this: bigint, locales?: unknown, options?: unknown) {
  return new NumberFormat(locales, options as Record<string, unknown>).format(BigInt.prototype.valueOf.call(this));
});
for (const [name, which] of [["toLocaleString", "any"], ["toLocaleDateString", "date"], ["toLocaleTimeString", "time"]] as const) {
  method(Date.prototype, name, function (this: Date, locales?: unknown, options?: unknown) {
    return dateToLocale(this, which, locales, options);
  });
}
method(String.prototype, "localeCompare", function (this: string, that: unknown, locales?: unknown, options?: unknown) {
  if (this === null || this === undefined) throw new TypeError("String.prototype.localeCompare called on null or undefined");
  return new Collator(locales, options as Record<string, unknown>).compare(String(this), String(that));
});

/** Node's modules, by name (without "node:"). */
const NODE_MODULES: Record<string, unknown> = Object.assign(Object.create(null), {
  assert,
  "assert/strict": strict,
  buffer: nodeBuffer,
  crypto: { ...nodeCrypto },
  events,
  path,
  "path/posix": path,
  perf_hooks: { performance },
  querystring: { parse: querystring.parse, stringify: querystring.stringify, decode: querystring.parse, encode: querystring.stringify, escape: encodeURIComponent, unescape: decodeURIComponent },
  string_decoder: { StringDecoder: stringDecoder.StringDecoder },
  timers,
  "timers/promises": timersPromises,
  url: { ...url },
  util: { ...util },
  "util/types": util.types,
});
for (const [name, value] of Object.entries(NODE_MODULES)) builtIns(value, name);
const nodeModule = (name: string): unknown => (Object.hasOwn(NODE_MODULES, name) ? NODE_MODULES[name] : undefined);
define(g, Symbol.for("isolator.stdlib"), Object.assign(nodeModule, { names: Object.keys(NODE_MODULES) }));

restoreRandom();
