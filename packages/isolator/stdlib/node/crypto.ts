/**
 * node:crypto: hashes and HMACs over @noble/hashes (md5, sha1, sha224, sha256, sha384, sha512),
 * randomBytes / randomInt / randomUUID / getRandomValues from the runtime-seeded generator
 * (random.ts), timingSafeEqual, and webcrypto (the `crypto` global).
 */
import { Buffer } from "buffer";
import { hmac } from "@noble/hashes/hmac";
import { md5, sha1 } from "@noble/hashes/legacy";
import { sha224, sha256, sha384, sha512 } from "@noble/hashes/sha2";
import { randomFill as fill, randomUUID } from "../random.js";
import { crypto as webcrypto } from "../webcrypto.js";

type HashFn = typeof sha256;
const ALGORITHMS: Record<string, HashFn> = { md5, sha1, sha224, sha256, sha384, sha512, "sha-1": sha1, "sha-256": sha256, "sha-384": sha384, "sha-512": sha512 };
type Encoding = "hex" | "base64" | "base64url" | "latin1" | "binary" | "utf8" | "utf-8";

function algorithm(name: string): HashFn {
  const fn = ALGORITHMS[String(name).toLowerCase()];
  if (fn === undefined) throw Object.assign(new Error(`Digest method not supported: ${name} (the sandbox has ${getHashes().join(", ")})`), { code: "ERR_CRYPTO_INVALID_DIGEST" });
  return fn;
}

function toBytes(data: unknown, encoding?: string): Uint8Array {
  if (typeof data === "string") return Buffer.from(data, (encoding ?? "utf8") as BufferEncoding);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw Object.assign(new TypeError(`The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${data === null ? "null" : typeof data}`), { code: "ERR_INVALID_ARG_TYPE" });
}

function output(bytes: Uint8Array, encoding?: Encoding): Buffer | string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding === undefined ? buffer : buffer.toString(encoding);
}

interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(): Uint8Array;
  clone(): Hasher;
}

class Digest {
  #state: Hasher | undefined;

  constructor(state: Hasher) {
    this.#state = state;
  }

  update(data: unknown, encoding?: string): this {
    if (this.#state === undefined) throw Object.assign(new Error("Digest already called"), { code: "ERR_CRYPTO_HASH_FINALIZED" });
    this.#state.update(toBytes(data, encoding).slice());
    return this;
  }

  digest(): Buffer;
  digest(encoding: Encoding): string;
  digest(encoding?: Encoding): Buffer | string {
    if (this.#state === undefined) throw Object.assign(new Error("Digest already called"), { code: "ERR_CRYPTO_HASH_FINALIZED" });
    const bytes = this.#state.digest();
    this.#state = undefined;
    return output(bytes, encoding);
  }

  protected get state(): Hasher | undefined {
    return this.#state;
  }
}

export class Hash extends Digest {
  copy(): Hash {
    if (this.state === undefined) throw Object.assign(new Error("Digest already called"), { code: "ERR_CRYPTO_HASH_FINALIZED" });
    return new Hash(this.state.clone());
  }
}
export class Hmac extends Digest {}

export const createHash = (name: string): Hash => new Hash(algorithm(name).create() as unknown as Hasher);
export const createHmac = (name: string, key: unknown, encoding?: string): Hmac => new Hmac(hmac.create(algorithm(name), toBytes(key, encoding).slice()) as unknown as Hasher);
export const getHashes = (): string[] => ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

export function randomBytes(size: number, callback?: (error: Error | null, bytes: Buffer) => void): Buffer | undefined {
  if (!Number.isInteger(size) || size < 0 || size > 2 ** 31 - 1) throw Object.assign(new RangeError(`The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ${String(size)}`), { code: "ERR_OUT_OF_RANGE" });
  const bytes = Buffer.alloc(size);
  fill(bytes);
  if (callback === undefined) return bytes;
  queueMicrotask(() => callback(null, bytes));
  return undefined;
}

export function randomFillSync<T extends ArrayBufferView>(view: T, offset = 0, size?: number): T {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  fill(bytes.subarray(offset, size === undefined ? undefined : offset + size));
  return view;
}

/** A uniform integer in [min, max) by rejection sampling (no modulo bias). */
export function randomInt(min: number, max?: number | ((e: Error | null, n: number) => void), callback?: (e: Error | null, n: number) => void): number | undefined {
  if (typeof max !== "number") {
    callback = max;
    max = min;
    min = 0;
  }
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min > 2 ** 48 - 1) {
    throw Object.assign(new RangeError(`The value of "max" is out of range. It must be greater than the value of "min" (${min}) and the range at most 2^48 - 1. Received ${String(max)}`), { code: "ERR_OUT_OF_RANGE" });
  }
  const range = max - min;
  const limit = 2 ** 48 - (2 ** 48 % range);
  const six = new Uint8Array(6);
  let n: number;
  do {
    fill(six);
    n = six.reduce((acc, b) => acc * 256 + b, 0);
  } while (n >= limit);
  const result = min + (n % range);
  if (callback === undefined) return result;
  queueMicrotask(() => callback(null, result));
  return undefined;
}

export function timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = toBytes(a);
  const y = toBytes(b);
  if (x.length !== y.length) throw Object.assign(new RangeError("Input buffers must have the same byte length"), { code: "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH" });
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

export const getRandomValues = <T extends ArrayBufferView>(array: T): T => webcrypto.getRandomValues(array);
export const subtle = webcrypto.subtle;
export { randomUUID, webcrypto };
