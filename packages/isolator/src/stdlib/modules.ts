/**
 * Node's built-in modules as a program imports them: each name's named exports (the guest module
 * objects' keys, checked by a test), served from the program environment's `builtins` table.
 * The environment's own (fs, readline, process) come first; the standard library's
 * (stdlib/index.ts) follow.
 */
const BUFFER = ["Buffer", "SlowBuffer", "INSPECT_MAX_BYTES", "kMaxLength", "Blob", "atob", "btoa"];
const ASSERT = ["ok", "fail", "strictEqual", "notStrictEqual", "deepStrictEqual", "notDeepStrictEqual", "equal", "notEqual", "deepEqual", "notDeepEqual", "throws", "doesNotThrow", "rejects", "doesNotReject", "match", "doesNotMatch", "ifError", "AssertionError", "strict"];
const PATH = ["resolve", "normalize", "isAbsolute", "join", "relative", "dirname", "basename", "extname", "format", "parse", "sep", "delimiter", "posix", "win32", "_makeLong"];
const UTIL_TYPES = ["isDate", "isRegExp", "isMap", "isSet", "isWeakMap", "isWeakSet", "isPromise", "isNativeError", "isArrayBuffer", "isAnyArrayBuffer", "isSharedArrayBuffer", "isDataView", "isArrayBufferView", "isTypedArray", "isUint8Array", "isUint8ClampedArray", "isUint16Array", "isUint32Array", "isInt8Array", "isInt16Array", "isInt32Array", "isFloat32Array", "isFloat64Array", "isBigInt64Array", "isBigUint64Array", "isAsyncFunction", "isGeneratorFunction", "isGeneratorObject", "isMapIterator", "isSetIterator", "isBoxedPrimitive", "isNumberObject", "isStringObject", "isBooleanObject", "isBigIntObject", "isSymbolObject", "isProxy"];
const TIMERS_PROMISES = ["setTimeout", "setImmediate", "setInterval", "scheduler"];

export const BUILTIN_MODULES: Record<string, string[]> = {
  fs: ["readFileSync"],
  readline: ["createInterface", "Interface"],
  "readline/promises": ["createInterface", "Interface"],
  process: ["argv", "env", "exit", "stdin", "stdout", "stderr", "nextTick"],
  assert: ASSERT,
  "assert/strict": ASSERT,
  buffer: BUFFER,
  crypto: ["createHash", "createHmac", "getHashes", "Hash", "Hmac", "randomBytes", "randomFillSync", "randomInt", "randomUUID", "timingSafeEqual", "getRandomValues", "subtle", "webcrypto"],
  events: ["EventEmitter", "once", "defaultMaxListeners", "init", "listenerCount"],
  path: PATH,
  "path/posix": PATH,
  perf_hooks: ["performance"],
  querystring: ["parse", "stringify", "decode", "encode", "escape", "unescape"],
  string_decoder: ["StringDecoder"],
  timers: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate"],
  "timers/promises": TIMERS_PROMISES,
  url: ["URL", "URLSearchParams", "fileURLToPath", "pathToFileURL", "format"],
  util: ["format", "formatWithOptions", "inspect", "promisify", "callbackify", "inherits", "deprecate", "isDeepStrictEqual", "isArray", "stripVTControlCharacters", "types", "TextEncoder", "TextDecoder"],
  "util/types": UTIL_TYPES,
};

/** A program's module for a built-in: the environment's object as default export, its names as named exports. */
export function builtinModuleSource(name: string): string | undefined {
  if (!Object.hasOwn(BUILTIN_MODULES, name)) return undefined; // "toString" is no module
  const names = BUILTIN_MODULES[name]!;
  return `const m = globalThis[Symbol.for("isolator.builtins")][${JSON.stringify(name)}];\nexport default m;\nexport const { ${names.join(", ")} } = m;\n`;
}
