/**
 * node:util: format and inspect (the console's formatter, guest/format.ts), promisify,
 * callbackify, inherits, deprecate, types, isDeepStrictEqual, TextEncoder / TextDecoder.
 */
import { createFormatter } from "../../src/guest/format.js";
import { captureIntrinsics } from "../../src/guest/intrinsics.js";
import { TextDecoder, TextEncoder } from "../encoding.js";
import { deepEqual } from "./deep-equal.js";

const formatter = createFormatter(captureIntrinsics(globalThis));
const tagOf = (v: unknown) => Object.prototype.toString.call(v).slice(8, -1);
type Callback = (error: unknown, value?: unknown) => void;
type AnyFunction = (...args: unknown[]) => unknown;

export const format = (...args: unknown[]): string => formatter.format(args);
export const formatWithOptions = (_options: unknown, ...args: unknown[]): string => formatter.format(args);
export const inspect = Object.assign((value: unknown) => formatter.inspect(value), { custom: Symbol.for("nodejs.util.inspect.custom"), defaultOptions: {} });

const promisifyCustom = Symbol.for("nodejs.util.promisify.custom");
export const promisify = Object.assign(
  (original: AnyFunction) => {
    if (typeof original !== "function") throw new TypeError('The "original" argument must be of type function');
    const custom = (original as unknown as Record<symbol, unknown>)[promisifyCustom];
    if (typeof custom === "function") return custom;
    function promisified(this: unknown, ...args: unknown[]) {
      return new Promise((resolve, reject) => {
        Reflect.apply(original, this, [...args, (error: unknown, value: unknown) => (error ? reject(error) : resolve(value))]);
      });
    }
    Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
    return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
  },
  { custom: promisifyCustom },
);

export function callbackify(original: AnyFunction) {
  if (typeof original !== "function") throw new TypeError('The "original" argument must be of type function');
  return function (this: unknown, ...args: unknown[]) {
    const callback = args.pop() as Callback;
    if (typeof callback !== "function") throw new TypeError('The last argument must be of type function');
    (Reflect.apply(original, this, args) as Promise<unknown>).then(
      (value) => queueMicrotask(() => callback(null, value)),
      (reason) => queueMicrotask(() => callback(reason || Object.assign(new Error("Promise was rejected with a falsy value"), { reason }))),
    );
  };
}

export function inherits(ctor: AnyFunction, superCtor: AnyFunction): void {
  Object.defineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

export function deprecate<T extends AnyFunction>(fn: T, message: string, code?: string): T {
  let warned = false;
  return function (this: unknown, ...args: unknown[]) {
    if (!warned) {
      warned = true;
      console.error(`(node:1) ${code ? `[${code}] ` : ""}DeprecationWarning: ${message}`);
    }
    return Reflect.apply(fn, this, args);
  } as T;
}

export const isDeepStrictEqual = (a: unknown, b: unknown): boolean => deepEqual(a, b, true);
export const isArray = Array.isArray;

export function stripVTControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/[\u001b\u009b][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g, "");
}

const is = (name: string) => (v: unknown) => tagOf(v) === name;
const typedArray = (name: string) => (v: unknown) => ArrayBuffer.isView(v) && tagOf(v) === name;
export const types = {
  isDate: is("Date"),
  isRegExp: is("RegExp"),
  isMap: is("Map"),
  isSet: is("Set"),
  isWeakMap: is("WeakMap"),
  isWeakSet: is("WeakSet"),
  isPromise: is("Promise"),
  isNativeError: (v: unknown) => v instanceof Error,
  isArrayBuffer: is("ArrayBuffer"),
  isAnyArrayBuffer: is("ArrayBuffer"),
  isSharedArrayBuffer: () => false,
  isDataView: is("DataView"),
  isArrayBufferView: (v: unknown) => ArrayBuffer.isView(v),
  isTypedArray: (v: unknown) => ArrayBuffer.isView(v) && tagOf(v) !== "DataView",
  isUint8Array: typedArray("Uint8Array"),
  isUint8ClampedArray: typedArray("Uint8ClampedArray"),
  isUint16Array: typedArray("Uint16Array"),
  isUint32Array: typedArray("Uint32Array"),
  isInt8Array: typedArray("Int8Array"),
  isInt16Array: typedArray("Int16Array"),
  isInt32Array: typedArray("Int32Array"),
  isFloat32Array: typedArray("Float32Array"),
  isFloat64Array: typedArray("Float64Array"),
  isBigInt64Array: typedArray("BigInt64Array"),
  isBigUint64Array: typedArray("BigUint64Array"),
  isAsyncFunction: (v: unknown) => typeof v === "function" && /^Async/.test(tagOf(v)),
  isGeneratorFunction: (v: unknown) => typeof v === "function" && /GeneratorFunction$/.test(tagOf(v)),
  isGeneratorObject: (v: unknown) => tagOf(v) === "Generator",
  isMapIterator: is("Map Iterator"),
  isSetIterator: is("Set Iterator"),
  isBoxedPrimitive: (v: unknown) => v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt || v instanceof Symbol,
  isNumberObject: (v: unknown) => v instanceof Number,
  isStringObject: (v: unknown) => v instanceof String,
  isBooleanObject: (v: unknown) => v instanceof Boolean,
  isBigIntObject: (v: unknown) => v instanceof BigInt,
  isSymbolObject: (v: unknown) => v instanceof Symbol,
  isProxy: () => false,
};

export { TextDecoder, TextEncoder };
