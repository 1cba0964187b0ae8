/**
 * The host half of QuickJS's binary object format ("bjson", JS_WriteObject / JS_ReadObject
 * with object references), as built into the pinned engine (format version 5).
 *
 * The guest half is native C inside the sandbox, so values cross with no JavaScript walk on
 * the slow side: the host writes and reads these bytes with V8, the guest with QuickJS's own
 * reader and writer. Anything the format cannot carry (Map, Set, Error, RegExp, DataView,
 * array holes, ...), or an object met twice (the engine reads host messages without object
 * references), makes the writer throw `NeedsTape`; the caller then sends the value in the
 * tagged "tape" form (tape.ts) instead, which is itself plain bjson.
 *
 * The reader treats its input as hostile: every length and index is bounds-checked.
 */
import { IsolatedSerializationError } from "../errors.js";

const VERSION = 5;
const enum Tag {
  Null = 1,
  Undefined = 2,
  False = 3,
  True = 4,
  Int32 = 5,
  Float64 = 6,
  String = 7,
  Object = 8,
  Array = 9,
  BigInt = 10,
  TypedArray = 14,
  ArrayBuffer = 15,
  Date = 17,
  ObjectValue = 18,
  Reference = 19,
}

/** Typed array kinds in the engine's class order (class_id - JS_CLASS_UINT8C_ARRAY). */
const TYPED_ARRAYS = [
  Uint8ClampedArray,
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
  undefined, // Float16Array: not in Node 20
  Float32Array,
  Float64Array,
] as const;
type AnyTypedArray = InstanceType<NonNullable<(typeof TYPED_ARRAYS)[number]>>;

const NOT_RESIZABLE = 0xffffffff;
export const MAX_DEPTH = 2000;

/** Thrown by the writer when a value needs the tape form. */
export class NeedsTape extends Error {}

// ---------------------------------------------------------------------------------------
// Writer

export class BjsonWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private atoms = new Map<string, number>();
  private atomList: string[] = [];
  private objects = new Set<object>();
  private depth = 0;

  /** Objects for which this says true (registered classes' instances, IsolatedObjects) need the tape, which can say what they are. */
  private constructor(private readonly needsTape?: (o: object) => boolean) {}

  /** Encodes `value`; throws NeedsTape, or IsolatedSerializationError for what can never cross. */
  static encode(value: unknown, maxBytes: number, needsTape?: (o: object) => boolean): Uint8Array {
    const w = new BjsonWriter(needsTape);
    w.value(value);
    return w.finish(maxBytes);
  }

  private finish(maxBytes: number): Uint8Array {
    const body = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(64);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
    this.u8(VERSION);
    this.leb(this.atomList.length);
    for (const atom of this.atomList) this.str(atom);
    const total = this.pos + body.length;
    if (total > maxBytes) throw new IsolatedSerializationError("$", `the message is ${total} bytes, over maxMessageSize (${maxBytes})`);
    const out = new Uint8Array(total);
    out.set(this.buf.subarray(0, this.pos), 0);
    out.set(body, this.pos);
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private u8(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  private leb(v: number): void {
    this.ensure(5);
    v >>>= 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  private str(s: string): void {
    const n = s.length;
    let wide = false;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0xff) {
        wide = true;
        break;
      }
    }
    this.leb(n * 2 + (wide ? 1 : 0));
    this.ensure(wide ? n * 2 : n);
    const buf = this.buf;
    let p = this.pos;
    if (wide) {
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        buf[p++] = c & 0xff;
        buf[p++] = c >> 8;
      }
    } else {
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    }
    this.pos = p;
  }

  private atom(key: string): void {
    let idx = this.atoms.get(key);
    if (idx === undefined) {
      idx = this.atomList.length + 1; // index 0 is the engine's null atom
      this.atoms.set(key, idx);
      this.atomList.push(key);
    }
    this.leb(idx * 2);
  }

  private number(n: number): void {
    if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff && !Object.is(n, -0)) {
      this.u8(Tag.Int32);
      this.leb((n << 1) ^ (n >> 31));
    } else {
      this.ensure(9);
      this.buf[this.pos++] = Tag.Float64;
      this.view.setFloat64(this.pos, n, true);
      this.pos += 8;
    }
  }

  private bigint(n: bigint): void {
    this.u8(Tag.BigInt);
    if (n === 0n) {
      this.leb(0);
      return;
    }
    const bytes: number[] = [];
    let v = n;
    // Two's complement, little-endian, shortest form that keeps the sign bit.
    for (;;) {
      const b = Number(v & 0xffn);
      bytes.push(b);
      v >>= 8n;
      if ((v === 0n && (b & 0x80) === 0) || (v === -1n && (b & 0x80) !== 0)) break;
    }
    this.leb(bytes.length);
    this.ensure(bytes.length);
    for (const b of bytes) this.buf[this.pos++] = b;
  }

  /**
   * The engine reads host messages without object references (its decoder refuses them), so a
   * value that holds one object twice (shared or cyclic) crosses as a tape, which keeps both.
   */
  private enter(o: object): void {
    if (this.objects.has(o)) throw new NeedsTape();
    this.objects.add(o);
  }

  private value(v: unknown): void {
    switch (typeof v) {
      case "undefined":
        return this.u8(Tag.Undefined);
      case "boolean":
        return this.u8(v ? Tag.True : Tag.False);
      case "number":
        return this.number(v);
      case "string":
        this.u8(Tag.String);
        return this.str(v);
      case "bigint":
        return this.bigint(v);
      case "object":
        if (v === null) return this.u8(Tag.Null);
        return this.object(v);
      default:
        throw new NeedsTape(); // functions and symbols: the tape names the path
    }
  }

  private object(o: object): void {
    if (++this.depth > MAX_DEPTH) throw new NeedsTape();
    if (Array.isArray(o)) this.array(o);
    else if (ArrayBuffer.isView(o)) this.typedArray(o);
    else if (o instanceof ArrayBuffer) {
      this.enter(o);
      this.arrayBuffer(o);
    } else if (o instanceof Date) {
      this.enter(o);
      this.u8(Tag.Date);
      this.number(o.getTime());
    } else if (o instanceof Number || o instanceof String || o instanceof Boolean || o instanceof BigInt) {
      this.enter(o);
      this.u8(Tag.ObjectValue);
      this.value(o.valueOf());
    } else if (isPlainData(o)) {
      if (this.needsTape?.(o)) throw new NeedsTape();
      this.enter(o);
      this.plain(o);
    } else throw new NeedsTape();
    this.depth--;
  }

  private array(a: unknown[]): void {
    this.enter(a);
    const n = a.length;
    this.u8(Tag.Array);
    this.leb(n);
    for (let i = 0; i < n; i++) {
      const item = a[i];
      if (item === undefined && !(i in a)) throw new NeedsTape(); // a hole
      this.value(item);
    }
  }

  private plain(o: object): void {
    const keys = Object.keys(o);
    this.u8(Tag.Object);
    this.leb(keys.length);
    const rec = o as Record<string, unknown>;
    for (const key of keys) {
      this.atom(key);
      this.value(rec[key]);
    }
  }

  private arrayBuffer(b: ArrayBuffer): void {
    const resizable = (b as ArrayBuffer & { resizable?: boolean }).resizable === true;
    const max = resizable ? (b as ArrayBuffer & { maxByteLength: number }).maxByteLength : NOT_RESIZABLE;
    this.u8(Tag.ArrayBuffer);
    this.leb(b.byteLength);
    this.leb(max);
    this.ensure(b.byteLength);
    this.buf.set(new Uint8Array(b), this.pos);
    this.pos += b.byteLength;
  }

  private typedArray(view: ArrayBufferView): void {
    const kind = TYPED_ARRAYS.findIndex((ctor) => ctor !== undefined && view instanceof ctor);
    if (kind < 0) throw new NeedsTape(); // DataView
    const ta = view as AnyTypedArray;
    if ((ta.buffer as ArrayBuffer & { resizable?: boolean }).resizable) throw new NeedsTape(); // it may be out of bounds: the tape refuses that by path
    this.enter(view);
    this.u8(Tag.TypedArray);
    this.u8(kind);
    this.leb(ta.length);
    const whole = ta.byteOffset === 0 && ta.byteLength === ta.buffer.byteLength;
    if (whole) {
      this.leb(0);
      this.enter(ta.buffer);
      this.arrayBuffer(ta.buffer as ArrayBuffer);
    } else {
      // A view onto part of a larger buffer (a pooled Node Buffer, a subarray) carries only
      // the bytes it views: the rest of that host memory never enters the guest.
      this.leb(0);
      this.arrayBuffer(new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength).slice().buffer);
    }
  }
}

/**
 * Plain objects and class instances cross as their own enumerable string-keyed properties,
 * read with [[Get]] like structured clone does; built-in exotic objects (Map, Error, Promise,
 * WeakMap, ...) carry another tag and go to the tape, which copies or refuses them by name.
 */
const objectToString = Object.prototype.toString;
function isPlainData(o: object): boolean {
  return objectToString.call(o) === "[object Object]";
}

// ---------------------------------------------------------------------------------------
// Reader

export interface ReadResult {
  value: unknown;
  /** The message's size: an upper bound on the containers any faithful reading of it builds. */
  bytes: number;
  /** An array held `undefined`, which may have been a hole the writer could not keep. */
  sawUndefinedInArray: boolean;
}

class Malformed extends Error {}

export class BjsonReader {
  private pos = 0;
  private atoms: string[] = [];
  private objects: unknown[] = [];
  private depth = 0;
  private inArray = 0;
  sawUndefinedInArray = false;
  private readonly view: DataView;
  private readonly buf: Buffer;

  private constructor(
    bytes: Uint8Array,
    /** Bytes of address space the message's resizable buffers may still reserve (their maxByteLength). */
    private reservable: number,
  ) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** `maxReserved`: what all resizable buffers of the message may reserve together (the sum of their maxByteLength). */
  static decode(bytes: Uint8Array, maxReserved: number): ReadResult {
    const r = new BjsonReader(bytes, maxReserved);
    try {
      if (r.u8() !== VERSION) throw new Malformed("unknown format version");
      const atomCount = r.leb();
      for (let i = 0; i < atomCount; i++) r.atoms.push(r.str());
      const value = r.value();
      if (r.pos !== bytes.length) throw new Malformed("trailing bytes");
      return { value, bytes: bytes.length, sawUndefinedInArray: r.sawUndefinedInArray };
    } catch (e) {
      if (e instanceof IsolatedSerializationError) throw e;
      const reason = e instanceof Malformed ? e.message : String(e);
      throw new IsolatedSerializationError("$", `malformed message from the guest (${reason})`);
    }
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Malformed("truncated");
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  private leb(): number {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.u8();
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (v > 0xffffffff) throw new Malformed("varint overflow");
        return v;
      }
    }
    throw new Malformed("varint too long");
  }

  private str(): string {
    const head = this.leb();
    const len = Math.floor(head / 2);
    const wide = head & 1;
    const bytes = wide ? len * 2 : len;
    this.need(bytes);
    const start = this.pos;
    this.pos += bytes;
    if (len < 24) {
      let s = "";
      if (wide) for (let i = 0; i < len; i++) s += String.fromCharCode(this.buf[start + 2 * i]! | (this.buf[start + 2 * i + 1]! << 8));
      else for (let i = 0; i < len; i++) s += String.fromCharCode(this.buf[start + i]!);
      return s;
    }
    return this.buf.toString(wide ? "utf16le" : "latin1", start, start + bytes);
  }

  private atom(): string {
    const v = this.leb();
    if (v & 1) return String(Math.floor(v / 2));
    const idx = v / 2;
    const atom = this.atoms[idx - 1];
    if (atom === undefined) throw new Malformed("bad atom index");
    return atom;
  }

  private add<T>(o: T): T {
    this.objects.push(o);
    return o;
  }

  private value(): unknown {
    const tag = this.u8();
    switch (tag) {
      case Tag.Null:
        return null;
      case Tag.Undefined:
        if (this.inArray > 0) this.sawUndefinedInArray = true;
        return undefined;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Int32: {
        const z = this.leb();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case Tag.Float64: {
        this.need(8);
        const d = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return d;
      }
      case Tag.String:
        return this.str();
      case Tag.BigInt:
        return this.bigint();
      case Tag.Reference: {
        const idx = this.leb();
        if (idx >= this.objects.length || this.objects[idx] === undefined) throw new Malformed("bad object reference");
        return this.objects[idx];
      }
      default:
        return this.nested(tag);
    }
  }

  private nested(tag: number): unknown {
    if (++this.depth > MAX_DEPTH) throw new IsolatedSerializationError("$", `the value nests deeper than ${MAX_DEPTH} levels`);
    let result: unknown;
    switch (tag) {
      case Tag.Object: {
        const o = this.add({} as Record<string, unknown>);
        const n = this.leb();
        const saved = this.inArray;
        this.inArray = 0;
        for (let i = 0; i < n; i++) {
          const key = this.atom();
          const v = this.value();
          if (key === "__proto__") Object.defineProperty(o, key, { value: v, writable: true, enumerable: true, configurable: true });
          else o[key] = v;
        }
        this.inArray = saved;
        result = o;
        break;
      }
      case Tag.Array: {
        const n = this.leb();
        this.need(n); // every element takes at least one byte
        const a = this.add(new Array<unknown>(n));
        this.inArray++;
        for (let i = 0; i < n; i++) a[i] = this.value();
        this.inArray--;
        result = a;
        break;
      }
      case Tag.ArrayBuffer:
        result = this.arrayBuffer(this.objects.push(undefined) - 1);
        break;
      case Tag.TypedArray: {
        const slot = this.objects.push(undefined) - 1;
        const Ctor = TYPED_ARRAYS[this.u8()];
        if (Ctor === undefined) throw new IsolatedSerializationError("$", "a typed array kind the host lacks (Float16Array)");
        const length = this.leb();
        const offset = this.leb();
        const buffer = this.value();
        if (!(buffer instanceof ArrayBuffer)) throw new Malformed("typed array without a buffer");
        if (offset + length * Ctor.BYTES_PER_ELEMENT > buffer.byteLength) throw new Malformed("typed array out of bounds");
        result = this.objects[slot] = new Ctor(buffer, offset, length);
        break;
      }
      case Tag.Date: {
        const slot = this.objects.push(undefined) - 1;
        const time = this.value();
        if (typeof time !== "number") throw new Malformed("bad date");
        result = this.objects[slot] = new Date(time);
        break;
      }
      case Tag.ObjectValue: {
        const slot = this.objects.push(undefined) - 1;
        const inner = this.value();
        if (inner === null || inner === undefined || typeof inner === "object" || typeof inner === "function" || typeof inner === "symbol") {
          throw new Malformed("bad boxed value");
        }
        result = this.objects[slot] = Object(inner) as object;
        break;
      }
      default:
        throw new Malformed(`unsupported tag ${tag}`);
    }
    this.depth--;
    return result;
  }

  private arrayBuffer(slot: number): ArrayBuffer {
    const length = this.leb();
    const max = this.leb();
    this.need(length);
    if (max !== NOT_RESIZABLE && max < length) throw new Malformed("bad resizable buffer");
    let b: ArrayBuffer;
    if (max === NOT_RESIZABLE) b = new ArrayBuffer(length);
    else {
      // A guest-chosen maxByteLength reserves host address space: a small message must not reserve gigabytes.
      if (max > this.reservable) throw new IsolatedSerializationError("$", "its resizable ArrayBuffers' maxByteLength add up to more than maxMessageSize");
      this.reservable -= max;
      b = new (ArrayBuffer as new (length: number, options: { maxByteLength: number }) => ArrayBuffer)(length, { maxByteLength: max });
    }
    new Uint8Array(b).set(this.buf.subarray(this.pos, this.pos + length));
    this.pos += length;
    this.objects[slot] = b;
    return b;
  }

  /** Two's complement, little-endian; parsed as one hex string (linear, where shifting byte by byte is quadratic). */
  private bigint(): bigint {
    const len = this.leb();
    this.need(len);
    if (len === 0) return 0n;
    const bytes = Buffer.from(this.buf.subarray(this.pos, this.pos + len)).reverse();
    this.pos += len;
    let v = BigInt(`0x${bytes.toString("hex")}`);
    if (bytes[0]! & 0x80) v -= 1n << BigInt(len * 8);
    return v;
  }
}
