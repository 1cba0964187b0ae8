/** Blob, after the File API: bytes held in memory (the sandbox has no files); no stream(). */
import { TextDecoder, TextEncoder } from "./encoding.js";

type BlobPart = string | ArrayBuffer | ArrayBufferView | Blob;

export class Blob {
  readonly #bytes: Uint8Array;
  readonly #type: string;

  constructor(parts: Iterable<BlobPart> = [], options: { type?: string } = {}) {
    const chunks: Uint8Array[] = [];
    for (const part of parts) {
      if (part instanceof Blob) chunks.push(part.#bytes);
      else if (part instanceof ArrayBuffer) chunks.push(new Uint8Array(part.slice(0)));
      else if (ArrayBuffer.isView(part)) chunks.push(new Uint8Array(part.buffer, part.byteOffset, part.byteLength).slice());
      else chunks.push(new TextEncoder().encode(String(part)));
    }
    let size = 0;
    for (const c of chunks) size += c.length;
    this.#bytes = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      this.#bytes.set(c, at);
      at += c.length;
    }
    const type = options?.type === undefined ? "" : String(options.type);
    this.#type = /^[\x20-\x7e]*$/.test(type) ? type.toLowerCase() : "";
  }

  get size(): number {
    return this.#bytes.length;
  }
  get type(): string {
    return this.#type;
  }

  slice(start?: number, end?: number, type?: string): Blob {
    return new Blob([this.#bytes.subarray(start, end)], { type: type ?? "" });
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(this.#bytes);
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.#bytes.slice().buffer;
  }
  async bytes(): Promise<Uint8Array> {
    return this.#bytes.slice();
  }

  get [Symbol.toStringTag](): string {
    return "Blob";
  }
}
