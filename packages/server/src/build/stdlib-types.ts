/**
 * Declarations of the sandbox's standard library (packages/isolator/stdlib) for the type checker:
 * the WinterTC globals every runtime has, and Node's everyday modules a program can require or
 * import (with or without "node:"), with the named exports src/stdlib/modules.ts lists. Written
 * for what the sandbox implements, after Node's and the DOM's typings, not copied from them (they
 * would bring fetch, streams and the rest of what the sandbox lacks).
 */
export const STDLIB_GLOBALS = `
type BufferSource = ArrayBuffer | ArrayBufferView;

interface ArrayConstructor {
  fromAsync<T>(items: AsyncIterable<T> | Iterable<T | PromiseLike<T>> | ArrayLike<T | PromiseLike<T>>): Promise<T[]>;
  fromAsync<T, U>(items: AsyncIterable<T> | Iterable<T> | ArrayLike<T>, mapfn: (value: Awaited<T>, index: number) => U, thisArg?: unknown): Promise<Awaited<U>[]>;
}

declare function atob(data: string): string;
declare function btoa(data: string): string;
declare function structuredClone<T>(value: T, options?: { transfer?: unknown[] }): T;

declare class DOMException extends Error {
  constructor(message?: string, name?: string);
  readonly name: string;
  readonly code: number;
}

declare class TextEncoder {
  readonly encoding: "utf-8";
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: BufferSource, options?: { stream?: boolean }): string;
}

declare class URLSearchParams implements Iterable<[string, string]> {
  constructor(init?: string | Record<string, string> | Iterable<[string, string]> | URLSearchParams);
  readonly size: number;
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  forEach(callback: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  toString(): string;
}
declare class URL {
  constructor(url: string | URL, base?: string | URL);
  static canParse(url: string | URL, base?: string | URL): boolean;
  static parse(url: string | URL, base?: string | URL): URL | null;
  hash: string;
  host: string;
  hostname: string;
  href: string;
  readonly origin: string;
  password: string;
  pathname: string;
  port: string;
  protocol: string;
  search: string;
  readonly searchParams: URLSearchParams;
  username: string;
  toString(): string;
  toJSON(): string;
}

interface EventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}
declare class Event {
  constructor(type: string, init?: EventInit);
  readonly type: string;
  readonly target: EventTarget | null;
  readonly currentTarget: EventTarget | null;
  readonly bubbles: boolean;
  readonly cancelable: boolean;
  readonly defaultPrevented: boolean;
  readonly timeStamp: number;
  preventDefault(): void;
  stopPropagation(): void;
  stopImmediatePropagation(): void;
}
type EventListenerOrEventListenerObject = ((event: Event) => void) | { handleEvent(event: Event): void };
declare class EventTarget {
  constructor();
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | { once?: boolean; passive?: boolean; capture?: boolean; signal?: AbortSignal }): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | { capture?: boolean }): void;
  dispatchEvent(event: Event): boolean;
}
declare class AbortSignal extends EventTarget {
  private constructor();
  readonly aborted: boolean;
  readonly reason: any;
  onabort: ((this: AbortSignal, event: Event) => unknown) | null;
  throwIfAborted(): void;
  static abort(reason?: unknown): AbortSignal;
  static timeout(milliseconds: number): AbortSignal;
  static any(signals: Iterable<AbortSignal>): AbortSignal;
}
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

declare class Blob {
  constructor(parts?: Iterable<string | BufferSource | Blob>, options?: { type?: string });
  readonly size: number;
  readonly type: string;
  slice(start?: number, end?: number, contentType?: string): Blob;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
}

type AlgorithmIdentifier = string | { name: string };
declare class SubtleCrypto {
  private constructor();
  /** SHA-1, SHA-256, SHA-384 and SHA-512. */
  digest(algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer>;
}
declare class Crypto {
  private constructor();
  readonly subtle: SubtleCrypto;
  getRandomValues<T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array>(array: T): T;
  randomUUID(): \`\${string}-\${string}-\${string}-\${string}-\${string}\`;
}
declare var crypto: Crypto;

declare var navigator: { readonly userAgent: string; readonly language: string; readonly languages: readonly string[]; readonly hardwareConcurrency: number };

declare var global: typeof globalThis;
declare function setImmediate<A extends unknown[]>(callback: (...args: A) => void, ...args: A): number;
declare function clearImmediate(id?: number): void;

type BufferEncoding = NodeJS.BufferEncoding;
// The classes' constructor types, for modules that re-export them under the same name.
type BlobClass = typeof Blob;
type TextEncoderClass = typeof TextEncoder;
type TextDecoderClass = typeof TextDecoder;
type URLClass = typeof URL;
type URLSearchParamsClass = typeof URLSearchParams;
type WithImplicitCoercion<T> = T | { valueOf(): T };
interface BufferConstructor {
  new (size: number): Buffer;
  from(data: string, encoding?: BufferEncoding): Buffer;
  from(data: ArrayBuffer, byteOffset?: number, length?: number): Buffer;
  from(data: Uint8Array | readonly number[] | WithImplicitCoercion<Uint8Array | readonly number[] | string>): Buffer;
  alloc(size: number, fill?: string | number | Uint8Array, encoding?: BufferEncoding): Buffer;
  allocUnsafe(size: number): Buffer;
  allocUnsafeSlow(size: number): Buffer;
  byteLength(value: string | BufferSource, encoding?: BufferEncoding): number;
  compare(a: Uint8Array, b: Uint8Array): -1 | 0 | 1;
  concat(list: readonly Uint8Array[], totalLength?: number): Buffer;
  isBuffer(value: unknown): value is Buffer;
  isEncoding(encoding: string): encoding is BufferEncoding;
  poolSize: number;
  readonly prototype: Buffer;
}
interface Buffer extends Uint8Array<ArrayBuffer> {
  toString(encoding?: BufferEncoding, start?: number, end?: number): string;
  toJSON(): { type: "Buffer"; data: number[] };
  equals(other: Uint8Array): boolean;
  compare(target: Uint8Array, targetStart?: number, targetEnd?: number, sourceStart?: number, sourceEnd?: number): -1 | 0 | 1;
  copy(target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number): number;
  slice(start?: number, end?: number): Buffer;
  subarray(start?: number, end?: number): Buffer;
  write(text: string, offset?: number, length?: number, encoding?: BufferEncoding): number;
  write(text: string, encoding: BufferEncoding): number;
  fill(value: string | number | Uint8Array, offset?: number, end?: number, encoding?: BufferEncoding): this;
  indexOf(value: string | number | Uint8Array, byteOffset?: number, encoding?: BufferEncoding): number;
  lastIndexOf(value: string | number | Uint8Array, byteOffset?: number, encoding?: BufferEncoding): number;
  includes(value: string | number | Uint8Array, byteOffset?: number, encoding?: BufferEncoding): boolean;
  swap16(): this;
  swap32(): this;
  swap64(): this;
  readUInt8(offset?: number): number;
  readUInt16LE(offset?: number): number;
  readUInt16BE(offset?: number): number;
  readUInt32LE(offset?: number): number;
  readUInt32BE(offset?: number): number;
  readInt8(offset?: number): number;
  readInt16LE(offset?: number): number;
  readInt16BE(offset?: number): number;
  readInt32LE(offset?: number): number;
  readInt32BE(offset?: number): number;
  readFloatLE(offset?: number): number;
  readFloatBE(offset?: number): number;
  readDoubleLE(offset?: number): number;
  readDoubleBE(offset?: number): number;
  readBigUInt64LE(offset?: number): bigint;
  readBigUInt64BE(offset?: number): bigint;
  readBigInt64LE(offset?: number): bigint;
  readBigInt64BE(offset?: number): bigint;
  readUIntLE(offset: number, byteLength: number): number;
  readUIntBE(offset: number, byteLength: number): number;
  readIntLE(offset: number, byteLength: number): number;
  readIntBE(offset: number, byteLength: number): number;
  writeUInt8(value: number, offset?: number): number;
  writeUInt16LE(value: number, offset?: number): number;
  writeUInt16BE(value: number, offset?: number): number;
  writeUInt32LE(value: number, offset?: number): number;
  writeUInt32BE(value: number, offset?: number): number;
  writeInt8(value: number, offset?: number): number;
  writeInt16LE(value: number, offset?: number): number;
  writeInt16BE(value: number, offset?: number): number;
  writeInt32LE(value: number, offset?: number): number;
  writeInt32BE(value: number, offset?: number): number;
  writeFloatLE(value: number, offset?: number): number;
  writeFloatBE(value: number, offset?: number): number;
  writeDoubleLE(value: number, offset?: number): number;
  writeDoubleBE(value: number, offset?: number): number;
  writeBigUInt64LE(value: bigint, offset?: number): number;
  writeBigUInt64BE(value: bigint, offset?: number): number;
  writeBigInt64LE(value: bigint, offset?: number): number;
  writeBigInt64BE(value: bigint, offset?: number): number;
  writeUIntLE(value: number, offset: number, byteLength: number): number;
  writeUIntBE(value: number, offset: number, byteLength: number): number;
  writeIntLE(value: number, offset: number, byteLength: number): number;
  writeIntBE(value: number, offset: number, byteLength: number): number;
}
declare var Buffer: BufferConstructor;

declare namespace NodeJS {
  type Listener = (...args: any[]) => void;
  interface InspectOptions {
    depth?: number | null;
    colors?: boolean;
    compact?: boolean | number;
    breakLength?: number;
  }
  interface Hash {
    update(data: string | BufferSource, inputEncoding?: BufferEncoding): this;
    digest(): Buffer;
    digest(encoding: "hex" | "base64" | "base64url" | "latin1" | "binary"): string;
  }
  interface CopyableHash extends Hash {
    copy(): CopyableHash;
  }
  interface StringDecoder {
    write(buffer: string | BufferSource): string;
    end(buffer?: string | BufferSource): string;
  }
  interface ParsedPath {
    root: string;
    dir: string;
    base: string;
    ext: string;
    name: string;
  }
  interface Path {
    join(...paths: string[]): string;
    resolve(...paths: string[]): string;
    normalize(path: string): string;
    isAbsolute(path: string): boolean;
    relative(from: string, to: string): string;
    dirname(path: string): string;
    basename(path: string, suffix?: string): string;
    extname(path: string): string;
    parse(path: string): ParsedPath;
    format(path: Partial<ParsedPath>): string;
    toNamespacedPath(path: string): string;
    readonly sep: "/";
    readonly delimiter: ":";
    readonly posix: Path;
  }
  interface AssertionErrorOptions {
    message?: string;
    actual?: unknown;
    expected?: unknown;
    operator?: string;
  }
  type AssertPredicate = RegExp | (new (...args: any[]) => object) | ((thrown: unknown) => boolean) | object | Error;
  interface Assert {
    (value: unknown, message?: string | Error): asserts value;
    ok(value: unknown, message?: string | Error): asserts value;
    fail(message?: string | Error): never;
    equal(actual: unknown, expected: unknown, message?: string | Error): void;
    notEqual(actual: unknown, expected: unknown, message?: string | Error): void;
    strictEqual<T>(actual: unknown, expected: T, message?: string | Error): asserts actual is T;
    notStrictEqual(actual: unknown, expected: unknown, message?: string | Error): void;
    deepEqual(actual: unknown, expected: unknown, message?: string | Error): void;
    notDeepEqual(actual: unknown, expected: unknown, message?: string | Error): void;
    deepStrictEqual<T>(actual: unknown, expected: T, message?: string | Error): asserts actual is T;
    notDeepStrictEqual(actual: unknown, expected: unknown, message?: string | Error): void;
    throws(block: () => unknown, error?: AssertPredicate | string, message?: string | Error): void;
    doesNotThrow(block: () => unknown, message?: string | Error): void;
    rejects(block: (() => Promise<unknown>) | Promise<unknown>, error?: AssertPredicate | string, message?: string | Error): Promise<void>;
    doesNotReject(block: (() => Promise<unknown>) | Promise<unknown>, message?: string | Error): Promise<void>;
    match(value: string, regExp: RegExp, message?: string | Error): void;
    doesNotMatch(value: string, regExp: RegExp, message?: string | Error): void;
    ifError(value: unknown): asserts value is null | undefined;
    AssertionError: new (options: AssertionErrorOptions) => AssertionError;
    strict: Assert;
  }
  interface AssertionError extends Error {
    actual: unknown;
    expected: unknown;
    operator: string;
    generatedMessage: boolean;
    code: "ERR_ASSERTION";
  }
}


declare module "buffer" {
  export const Buffer: BufferConstructor;
  export type Buffer = InstanceType<BufferConstructor>;
  export const SlowBuffer: BufferConstructor;
  export const INSPECT_MAX_BYTES: number;
  export const kMaxLength: number;
  export const Blob: BlobClass;
  export const atob: typeof globalThis.atob;
  export const btoa: typeof globalThis.btoa;
}
declare module "events" {
  class EventEmitter {
    constructor();
    static defaultMaxListeners: number;
    static once(emitter: EventEmitter, event: string | symbol): Promise<any[]>;
    static listenerCount(emitter: EventEmitter, event: string | symbol): number;
    static EventEmitter: typeof EventEmitter;
    on(event: string | symbol, listener: NodeJS.Listener): this;
    addListener(event: string | symbol, listener: NodeJS.Listener): this;
    prependListener(event: string | symbol, listener: NodeJS.Listener): this;
    once(event: string | symbol, listener: NodeJS.Listener): this;
    prependOnceListener(event: string | symbol, listener: NodeJS.Listener): this;
    off(event: string | symbol, listener: NodeJS.Listener): this;
    removeListener(event: string | symbol, listener: NodeJS.Listener): this;
    removeAllListeners(event?: string | symbol): this;
    emit(event: string | symbol, ...args: any[]): boolean;
    listenerCount(event: string | symbol): number;
    listeners(event: string | symbol): NodeJS.Listener[];
    rawListeners(event: string | symbol): NodeJS.Listener[];
    eventNames(): (string | symbol)[];
    setMaxListeners(n: number): this;
    getMaxListeners(): number;
}
  export { EventEmitter };
  export const once: typeof EventEmitter.once;
  export const defaultMaxListeners: number;
  export const listenerCount: typeof EventEmitter.listenerCount;
  export default EventEmitter;
}
declare module "path" {
  const path: NodeJS.Path;
  export default path;
  export const join: NodeJS.Path["join"];
  export const resolve: NodeJS.Path["resolve"];
  export const normalize: NodeJS.Path["normalize"];
  export const isAbsolute: NodeJS.Path["isAbsolute"];
  export const relative: NodeJS.Path["relative"];
  export const dirname: NodeJS.Path["dirname"];
  export const basename: NodeJS.Path["basename"];
  export const extname: NodeJS.Path["extname"];
  export const parse: NodeJS.Path["parse"];
  export const format: NodeJS.Path["format"];
  export const sep: NodeJS.Path["sep"];
  export const delimiter: NodeJS.Path["delimiter"];
  export const posix: NodeJS.Path["posix"];
}
declare module "path/posix" {
  export * from "path";
  export { default } from "path";
}
declare module "util" {
  export function format(format?: unknown, ...args: unknown[]): string;
  export function formatWithOptions(options: NodeJS.InspectOptions, format?: unknown, ...args: unknown[]): string;
  export const inspect: ((value: unknown, options?: NodeJS.InspectOptions) => string) & { readonly custom: unique symbol };
  export function promisify<T>(fn: (callback: (err: any, result: T) => void) => void): () => Promise<T>;
  export function promisify<A1, T>(fn: (a1: A1, callback: (err: any, result: T) => void) => void): (a1: A1) => Promise<T>;
  export function promisify<A1, A2, T>(fn: (a1: A1, a2: A2, callback: (err: any, result: T) => void) => void): (a1: A1, a2: A2) => Promise<T>;
  export function promisify(fn: (...args: any[]) => void): (...args: any[]) => Promise<any>;
  export function callbackify<A extends unknown[], T>(fn: (...args: A) => Promise<T>): (...args: [...A, (err: any, result: T) => void]) => void;
  export function inherits(constructor: unknown, superConstructor: unknown): void;
  export function deprecate<T extends (...args: any[]) => any>(fn: T, message: string, code?: string): T;
  export function isDeepStrictEqual(a: unknown, b: unknown): boolean;
  export function isArray(value: unknown): value is unknown[];
  export function stripVTControlCharacters(text: string): string;
  export const types: typeof import("util/types");
  export const TextEncoder: TextEncoderClass;
  export const TextDecoder: TextDecoderClass;
}
declare module "util/types" {
  export function isDate(v: unknown): v is Date;
  export function isRegExp(v: unknown): v is RegExp;
  export function isMap(v: unknown): v is Map<unknown, unknown>;
  export function isSet(v: unknown): v is Set<unknown>;
  export function isWeakMap(v: unknown): v is WeakMap<object, unknown>;
  export function isWeakSet(v: unknown): v is WeakSet<object>;
  export function isPromise(v: unknown): v is Promise<unknown>;
  export function isNativeError(v: unknown): v is Error;
  export function isArrayBuffer(v: unknown): v is ArrayBuffer;
  export function isAnyArrayBuffer(v: unknown): v is ArrayBuffer;
  export function isSharedArrayBuffer(v: unknown): boolean;
  export function isDataView(v: unknown): v is DataView;
  export function isArrayBufferView(v: unknown): v is ArrayBufferView;
  export function isTypedArray(v: unknown): v is ArrayBufferView;
  export function isUint8Array(v: unknown): v is Uint8Array;
  export function isUint8ClampedArray(v: unknown): v is Uint8ClampedArray;
  export function isUint16Array(v: unknown): v is Uint16Array;
  export function isUint32Array(v: unknown): v is Uint32Array;
  export function isInt8Array(v: unknown): v is Int8Array;
  export function isInt16Array(v: unknown): v is Int16Array;
  export function isInt32Array(v: unknown): v is Int32Array;
  export function isFloat32Array(v: unknown): v is Float32Array;
  export function isFloat64Array(v: unknown): v is Float64Array;
  export function isBigInt64Array(v: unknown): v is BigInt64Array;
  export function isBigUint64Array(v: unknown): v is BigUint64Array;
  export function isAsyncFunction(v: unknown): boolean;
  export function isGeneratorFunction(v: unknown): boolean;
  export function isGeneratorObject(v: unknown): boolean;
  export function isMapIterator(v: unknown): boolean;
  export function isSetIterator(v: unknown): boolean;
  export function isBoxedPrimitive(v: unknown): boolean;
  export function isNumberObject(v: unknown): v is Number;
  export function isStringObject(v: unknown): v is String;
  export function isBooleanObject(v: unknown): v is Boolean;
  export function isBigIntObject(v: unknown): v is BigInt;
  export function isSymbolObject(v: unknown): v is Symbol;
  export function isProxy(v: unknown): boolean;
}
declare module "assert" {
  const assert: NodeJS.Assert;
  export default assert;
  export const ok: NodeJS.Assert["ok"];
  export const fail: NodeJS.Assert["fail"];
  export const equal: NodeJS.Assert["equal"];
  export const notEqual: NodeJS.Assert["notEqual"];
  export const strictEqual: NodeJS.Assert["strictEqual"];
  export const notStrictEqual: NodeJS.Assert["notStrictEqual"];
  export const deepEqual: NodeJS.Assert["deepEqual"];
  export const notDeepEqual: NodeJS.Assert["notDeepEqual"];
  export const deepStrictEqual: NodeJS.Assert["deepStrictEqual"];
  export const notDeepStrictEqual: NodeJS.Assert["notDeepStrictEqual"];
  export const throws: NodeJS.Assert["throws"];
  export const doesNotThrow: NodeJS.Assert["doesNotThrow"];
  export const rejects: NodeJS.Assert["rejects"];
  export const doesNotReject: NodeJS.Assert["doesNotReject"];
  export const match: NodeJS.Assert["match"];
  export const doesNotMatch: NodeJS.Assert["doesNotMatch"];
  export const ifError: NodeJS.Assert["ifError"];
  export const AssertionError: NodeJS.Assert["AssertionError"];
  export const strict: NodeJS.Assert["strict"];
}
declare module "assert/strict" {
  export * from "assert";
  export { default } from "assert";
}
declare module "url" {
  export const URL: URLClass;
  export type URL = InstanceType<URLClass>;
  export const URLSearchParams: URLSearchParamsClass;
  export type URLSearchParams = InstanceType<URLSearchParamsClass>;
  export function fileURLToPath(url: string | URL): string;
  export function pathToFileURL(path: string): URL;
  export function format(url: URL | string): string;
}
declare module "string_decoder" {
  export class StringDecoder implements NodeJS.StringDecoder {
    constructor(encoding?: BufferEncoding);
    write(buffer: string | BufferSource): string;
    end(buffer?: string | BufferSource): string;
  }
}
declare module "querystring" {
  export type ParsedUrlQuery = Record<string, string | string[]>;
  export function parse(str: string, sep?: string, eq?: string, options?: { maxKeys?: number }): ParsedUrlQuery;
  export function stringify(obj?: Record<string, unknown>, sep?: string, eq?: string): string;
  export const decode: typeof parse;
  export const encode: typeof stringify;
  export function escape(str: string): string;
  export function unescape(str: string): string;
}
declare module "timers" {
  export const setTimeout: typeof globalThis.setTimeout;
  export const clearTimeout: typeof globalThis.clearTimeout;
  export const setInterval: typeof globalThis.setInterval;
  export const clearInterval: typeof globalThis.clearInterval;
  export const setImmediate: typeof globalThis.setImmediate;
  export const clearImmediate: typeof globalThis.clearImmediate;
}
declare module "timers/promises" {
  export function setTimeout<T = void>(delay?: number, value?: T, options?: { signal?: AbortSignal }): Promise<T>;
  export function setImmediate<T = void>(value?: T, options?: { signal?: AbortSignal }): Promise<T>;
  export function setInterval<T = void>(delay?: number, value?: T, options?: { signal?: AbortSignal }): AsyncIterableIterator<T>;
  export const scheduler: { wait(delay: number, options?: { signal?: AbortSignal }): Promise<void>; yield(): Promise<void> };
}
declare module "perf_hooks" {
  export const performance: NodeJS.Performance;
}
declare module "crypto" {
  export function createHash(algorithm: "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512" | (string & {})): NodeJS.CopyableHash;
  export function createHmac(algorithm: "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512" | (string & {}), key: string | BufferSource): NodeJS.Hash;
  export function getHashes(): string[];
  export function randomBytes(size: number): Buffer;
  export function randomBytes(size: number, callback: (err: Error | null, buf: Buffer) => void): void;
  export function randomFillSync<T extends ArrayBufferView>(buffer: T, offset?: number, size?: number): T;
  export function randomInt(max: number): number;
  export function randomInt(min: number, max: number): number;
  export function randomInt(max: number, callback: (err: Error | null, value: number) => void): void;
  export function randomInt(min: number, max: number, callback: (err: Error | null, value: number) => void): void;
  export function randomUUID(): \`\${string}-\${string}-\${string}-\${string}-\${string}\`;
  export function timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean;
  export const getRandomValues: Crypto["getRandomValues"];
  export const subtle: SubtleCrypto;
  export const webcrypto: Crypto;
}
declare module "node:buffer" { export * from "buffer"; }
declare module "node:events" { export * from "events"; export { default } from "events"; }
declare module "node:path" { export * from "path"; export { default } from "path"; }
declare module "node:path/posix" { import path = require("path"); export = path; }
declare module "node:util" { export * from "util"; }
declare module "node:util/types" { export * from "util/types"; }
declare module "node:assert" { export * from "assert"; export { default } from "assert"; }
declare module "node:assert/strict" { export * from "assert/strict"; export { default } from "assert/strict"; }
declare module "node:url" { export * from "url"; }
declare module "node:string_decoder" { export * from "string_decoder"; }
declare module "node:querystring" { export * from "querystring"; }
declare module "node:timers" { export * from "timers"; }
declare module "node:timers/promises" { export * from "timers/promises"; }
declare module "node:perf_hooks" { export * from "perf_hooks"; }
declare module "node:crypto" { export * from "crypto"; }

declare function require(id: "buffer" | "node:buffer"): typeof import("buffer");
declare function require(id: "events" | "node:events"): typeof import("events").default;
declare function require(id: "path" | "node:path" | "path/posix" | "node:path/posix"): NodeJS.Path;
declare function require(id: "util" | "node:util"): typeof import("util");
declare function require(id: "util/types" | "node:util/types"): typeof import("util/types");
declare function require(id: "assert" | "node:assert" | "assert/strict" | "node:assert/strict"): NodeJS.Assert;
declare function require(id: "url" | "node:url"): typeof import("url");
declare function require(id: "string_decoder" | "node:string_decoder"): typeof import("string_decoder");
declare function require(id: "querystring" | "node:querystring"): typeof import("querystring");
declare function require(id: "timers" | "node:timers"): typeof import("timers");
declare function require(id: "timers/promises" | "node:timers/promises"): typeof import("timers/promises");
declare function require(id: "perf_hooks" | "node:perf_hooks"): typeof import("perf_hooks");
declare function require(id: "crypto" | "node:crypto"): typeof import("crypto");
`;
