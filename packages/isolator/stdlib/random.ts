/**
 * The runtime's cryptographic randomness: SHA-256 in counter mode over a 32-byte key. The key's
 * bytes live in `seed`, whose place in the template image the host finds by the marker it filled
 * them with; every copy of the image (a new runtime, a reused instance) gets fresh bytes from the
 * host's CSPRNG there (engine/sandbox.ts). The key is read afresh for every block, never copied.
 */
import { sha256 } from "@noble/hashes/sha2";

export const SEED_BYTES = 32;
export const seed = new Uint8Array(SEED_BYTES);

/** Fills the seed with the host's marker (hex) so the host can locate it in the image. */
export function markSeed(hex: string): void {
  for (let i = 0; i < SEED_BYTES; i++) seed[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}

const input = new Uint8Array(SEED_BYTES + 8);
const counterView = new DataView(input.buffer, SEED_BYTES);
let counter = 0;
let block: Uint8Array = new Uint8Array(0);
let used = 0;

/** Fills `out` with random bytes. */
export function randomFill(out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) {
    if (used === block.length) {
      input.set(seed, 0);
      counterView.setFloat64(0, counter++);
      block = sha256(input);
      used = 0;
    }
    out[i] = block[used++]!;
  }
}

const INTEGER_ARRAYS = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"];

/** crypto.getRandomValues: integer typed arrays of at most 65,536 bytes, filled in place. */
export function getRandomValues<T extends ArrayBufferView | null>(array: T, quotaError: (message: string) => Error): T {
  const tag = Object.prototype.toString.call(array).slice(8, -1);
  if (!ArrayBuffer.isView(array) || !INTEGER_ARRAYS.includes(tag)) {
    throw new TypeError("The data argument must be an integer-type TypedArray");
  }
  if (array.byteLength > 65536) throw quotaError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`);
  randomFill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return array;
}

/** An RFC 4122 version 4 UUID. */
export function randomUUID(): string {
  const b = new Uint8Array(16);
  randomFill(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  let hex = "";
  for (let i = 0; i < 16; i++) {
    hex += (b[i]! + 0x100).toString(16).slice(1);
    if (i === 3 || i === 5 || i === 7 || i === 9) hex += "-";
  }
  return hex;
}
