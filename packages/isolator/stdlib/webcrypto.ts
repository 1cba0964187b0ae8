/**
 * The `crypto` global of WinterTC: getRandomValues, randomUUID (runtime-seeded randomness,
 * random.ts) and subtle.digest for SHA-1/256/384/512 (@noble/hashes). No keys, no ciphers.
 */
import { sha1 } from "@noble/hashes/legacy";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2";
import { DOMException } from "./dom-exception.js";
import { getRandomValues, randomUUID } from "./random.js";

const DIGESTS: Record<string, (data: Uint8Array) => Uint8Array> = { "SHA-1": sha1, "SHA-256": sha256, "SHA-384": sha384, "SHA-512": sha512 };
const token = Symbol();

export function bufferSource(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("Failed to execute 'digest' on 'SubtleCrypto': parameter 2 is not of type 'BufferSource'");
}

export class SubtleCrypto {
  constructor(key?: symbol) {
    if (key !== token) throw new TypeError("Illegal constructor");
  }

  async digest(algorithm: string | { name: string }, data: unknown): Promise<ArrayBuffer> {
    const name = String(typeof algorithm === "object" && algorithm !== null ? algorithm.name : algorithm).toUpperCase();
    const hash = DIGESTS[name];
    if (hash === undefined) throw new DOMException(`Unrecognized algorithm name: ${name} (the sandbox digests SHA-1, SHA-256, SHA-384 and SHA-512)`, "NotSupportedError");
    const bytes = hash(bufferSource(data).slice());
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  get [Symbol.toStringTag](): string {
    return "SubtleCrypto";
  }
}

export class Crypto {
  readonly #subtle = new SubtleCrypto(token);

  constructor(key?: symbol) {
    if (key !== token) throw new TypeError("Illegal constructor");
  }

  get subtle(): SubtleCrypto {
    return this.#subtle;
  }

  getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    return getRandomValues(array, (message) => new DOMException(message, "QuotaExceededError"));
  }

  randomUUID(): string {
    return randomUUID();
  }

  get [Symbol.toStringTag](): string {
    return "Crypto";
  }
}

export const crypto = new Crypto(token);
