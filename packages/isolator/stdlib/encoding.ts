/**
 * TextEncoder / TextDecoder for UTF-8 (the only encoding WinterTC requires), after the WHATWG
 * Encoding Standard: lone surrogates encode as U+FFFD; the decoder replaces or (fatal) rejects
 * ill-formed sequences, strips a BOM unless told not to, and keeps partial sequences across
 * `stream: true` calls.
 */
const LABELS = ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"];

function toBytes(input: unknown): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError("The \"input\" argument must be an instance of ArrayBuffer or ArrayBufferView");
}

export class TextEncoder {
  get encoding(): string {
    return "utf-8";
  }

  encode(input: unknown = ""): Uint8Array {
    const text = String(input);
    const out = new Uint8Array(text.length * 3);
    return out.slice(0, encodeInto(text, out).written);
  }

  encodeInto(source: unknown, destination: Uint8Array): { read: number; written: number } {
    if (!(destination instanceof Uint8Array)) throw new TypeError("The \"destination\" argument must be a Uint8Array");
    return encodeInto(String(source), destination);
  }

  get [Symbol.toStringTag](): string {
    return "TextEncoder";
  }
}

function encodeInto(text: string, out: Uint8Array): { read: number; written: number } {
  let read = 0;
  let written = 0;
  const length = out.length;
  while (read < text.length) {
    let c = text.charCodeAt(read);
    let units = 1;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = read + 1 < text.length ? text.charCodeAt(read + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        units = 2;
      } else c = 0xfffd;
    }
    if (c < 0x80) {
      if (written + 1 > length) break;
      out[written++] = c;
    } else if (c < 0x800) {
      if (written + 2 > length) break;
      out[written++] = 0xc0 | (c >> 6);
      out[written++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      if (written + 3 > length) break;
      out[written++] = 0xe0 | (c >> 12);
      out[written++] = 0x80 | ((c >> 6) & 0x3f);
      out[written++] = 0x80 | (c & 0x3f);
    } else {
      if (written + 4 > length) break;
      out[written++] = 0xf0 | (c >> 18);
      out[written++] = 0x80 | ((c >> 12) & 0x3f);
      out[written++] = 0x80 | ((c >> 6) & 0x3f);
      out[written++] = 0x80 | (c & 0x3f);
    }
    read += units;
  }
  return { read, written };
}

export class TextDecoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  /** The decoder's state between `stream: true` calls. */
  #needed = 0;
  #seen = 0;
  #codePoint = 0;
  #lower = 0x80;
  #upper = 0xbf;
  #bomSeen = false;

  constructor(label: unknown = "utf-8", options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const name = String(label).trim().toLowerCase();
    if (!LABELS.includes(name)) throw new RangeError(`The "${String(label)}" encoding is not supported (the sandbox decodes UTF-8 only)`);
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }

  get encoding(): string {
    return "utf-8";
  }
  get fatal(): boolean {
    return this.#fatal;
  }
  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }

  decode(input?: unknown, options: { stream?: boolean } = {}): string {
    const bytes = toBytes(input);
    const stream = Boolean(options?.stream);
    const units: number[] = [];
    let text = "";
    const emit = (cp: number) => {
      if (cp > 0xffff) {
        cp -= 0x10000;
        units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      } else units.push(cp);
      if (units.length >= 8192) {
        text += String.fromCharCode.apply(null, units);
        units.length = 0;
      }
    };
    const error = () => {
      if (this.#fatal) {
        this.#reset();
        throw new TypeError("The encoded data was not valid for encoding utf-8");
      }
      emit(0xfffd);
    };
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (this.#needed === 0) {
        if (byte <= 0x7f) emit(byte);
        else if (byte >= 0xc2 && byte <= 0xdf) {
          this.#needed = 1;
          this.#codePoint = byte & 0x1f;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) this.#lower = 0xa0;
          if (byte === 0xed) this.#upper = 0x9f;
          this.#needed = 2;
          this.#codePoint = byte & 0xf;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) this.#lower = 0x90;
          if (byte === 0xf4) this.#upper = 0x8f;
          this.#needed = 3;
          this.#codePoint = byte & 0x7;
        } else error();
        continue;
      }
      if (byte < this.#lower || byte > this.#upper) {
        this.#reset();
        error();
        i--; // the byte starts over
        continue;
      }
      this.#lower = 0x80;
      this.#upper = 0xbf;
      this.#codePoint = (this.#codePoint << 6) | (byte & 0x3f);
      if (++this.#seen === this.#needed) {
        const cp = this.#codePoint;
        this.#reset();
        emit(cp);
      }
    }
    if (!stream && this.#needed !== 0) {
      this.#reset();
      error();
    }
    text += String.fromCharCode.apply(null, units);
    if (!this.#bomSeen && text.length > 0) {
      this.#bomSeen = true;
      if (!this.#ignoreBOM && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (!stream) this.#bomSeen = false;
    return text;
  }

  #reset(): void {
    this.#needed = 0;
    this.#seen = 0;
    this.#codePoint = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }

  get [Symbol.toStringTag](): string {
    return "TextDecoder";
  }
}
