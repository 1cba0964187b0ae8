/**
 * The tape: a tagged form of any cloneable value, made only of what the binary format carries
 * natively (primitives, arrays, typed arrays, buffers, boxed primitives). Values the format
 * cannot hold (Map, Set, Error, RegExp, DataView, holes, accessors, proxies, shared references
 * across all of these) cross as a tape, which is itself encoded natively.
 *
 * `createTape` is realm-independent and self-contained: the host calls it with its own realm's
 * intrinsics; a runtime compiles its source on first need and calls it with the intrinsics its
 * prelude captured before any guest code ran, so tampering with guest built-ins cannot reach it.
 *
 * Containers are arrays whose first item is a tag, so data can never pose as a tag:
 *   ["#", id]                 a reference to the id-th container already read (cycles, sharing)
 *   ["o", k, v, ...]          object (own enumerable string keys)
 *   ["c", name, k, v, ...]    instance of a registered class: rebuilt with that class's prototype
 *                             (the constructor is not run); an unregistered name arrives plain.
 *                             An own property that would shadow an accessor or method of the
 *                             prototype chain is refused: own data must not pose as the class's logic
 *   ["a", length, i, v, ...]  array: its index properties (holes absent; like the native
 *                             format, non-index properties of arrays are not copied)
 *   ["m", k, v, ...] / ["s", v, ...]   Map / Set
 *   ["d", time]  ["r", source, flags]   Date / RegExp (lastIndex is not copied: it arrives 0)
 *   ["e", name, message, stack, hasCause, cause, errors, k, v, ...]   Error and subclasses
 *                             (message: undefined when not an own data property, as in structured
 *                             clone; errors: AggregateError's list, else undefined)
 *   ["x", value]              an ArrayBuffer or boxed primitive, carried natively
 *   ["t", kind, buffer, offset, length]   typed array (kind: index in intrinsics.typedArrays)
 *   ["v", buffer, offset, length]      DataView
 *   ["l", id]                 (host to guest only) an IsolatedObject: the live guest object of that id
 *   ["!", path, reason]       (top level only) the value cannot be copied
 */
import type { Intrinsics } from "../guest/intrinsics.js";

export interface Tape {
  /** Instances of `ctor` (by prototype) cross as `["c", name, ...]` and are rebuilt with its prototype. */
  registerClass(name: string, ctor: { prototype: object }): void;
  /** Whether any class is registered (then values with instances must take the tape). */
  readonly hasClasses: boolean;
  /** The registered name of an instance's class, if any. */
  classOf(o: object): string | undefined;
  /**
   * Converts a value; returns ["!", path, reason] when something in it cannot cross. Objects
   * `liveId` knows cross as a reference to the receiver's live object of that id.
   */
  toTape(value: unknown, liveId?: (o: object) => number | undefined): unknown;
  /**
   * Rebuilds a value; throws TypeError on a malformed tape ("malformed tape: ...") or one of more
   * than `maxNodes` containers, or on a class instance whose own data would shadow its class's
   * accessors or methods. Live references are resolved by `live`; without it, they are malformed.
   */
  fromTape(tape: unknown, maxNodes?: number, live?: (id: number) => unknown): unknown;
}

export interface TapeOptions {
  /**
   * A typed array viewing part of a larger buffer carries only the bytes it views (the host's
   * rule: a pooled Node Buffer must not carry the rest of its pool into the guest).
   */
  privateViews?: boolean;
}

export function createTape(I: Intrinsics, options: TapeOptions = {}): Tape {
  const { keys, defineProperty, getOwnPropertyDescriptor, getOwnPropertyNames, getPrototypeOf, isArray, isView, tagOf, mapForEach, setForEach, mapSet, mapGet, setAdd, getTime } = I;
  const { regexpSource, regexpFlags, regexpTest, viewBuffer, viewOffset, viewLength, typedArrayAt, push, join, pop, quote, errors } = I;
  const { Map: MapCtor, Set: SetCtor, Date: DateCtor, RegExp: RegExpCtor, DataView: DataViewCtor } = I;
  const { ArrayBuffer: ArrayBufferCtor, TypeError: TypeErrorCtor, String: StringCtor, typedArrays, bufferSlice } = I;
  const MAX_DEPTH = 2000;
  const namesByPrototype = new MapCtor<object, string>();
  const prototypesByName = new MapCtor<string, object>();
  const classOf = (o: object) => mapGet(namesByPrototype, getPrototypeOf(o)) as string | undefined;
  const identifier = /^[A-Za-z_$][\w$]*$/;
  const index = /^(0|[1-9]\d*)$/;
  const boxed: Record<string, true> = { "[object Number]": true, "[object String]": true, "[object Boolean]": true, "[object BigInt]": true };
  const typedKind = (o: object): number => {
    for (let k = 0; k < typedArrays.length; k++) if (typedArrays[k] && o instanceof typedArrays[k]!) return k;
    return -1;
  };
  const setProp = (o: Record<string, unknown>, k: string, v: unknown) => {
    if (k === "__proto__") defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
    else o[k] = v;
  };
  /** Appends as an own property: setters a guest put on Array.prototype never see the tape. */
  const append = (out: unknown[], v: unknown) => {
    defineProperty(out, out.length, { value: v, writable: true, enumerable: true, configurable: true });
  };
  const hasOwn = (o: object, k: string) => I.hasOwn(o, k);

  class Unclonable {
    constructor(
      readonly path: string,
      readonly reason: string,
    ) {}
  }

  function toTape(value: unknown, liveId?: (o: object) => number | undefined): unknown {
    const seen = new MapCtor<object, number>();
    const path: string[] = ["$"];
    const fail = (reason: string): never => {
      throw new Unclonable(join(path, ""), reason);
    };
    const pushKey = (k: string, inArray: boolean) => {
      append(path, inArray && regexpTest(index, k) ? `[${k}]` : regexpTest(identifier, k) ? `.${k}` : `[${quote(k)}]`);
    };
    const props = (out: unknown[], o: Record<string, unknown>, isError = false) => {
      const ks = keys(o);
      const inArray = isArray(o);
      for (let i = 0; i < ks.length; i++) {
        const k = ks[i]!;
        if (inArray && !regexpTest(index, k)) continue;
        if (isError && (k === "name" || k === "message" || k === "stack" || k === "cause" || k === "errors")) continue;
        pushKey(k, inArray);
        append(out, k);
        append(out, walk(o[k]));
        pop(path);
      }
    };
    let depth = 0;
    function walk(v: unknown): unknown {
      if (++depth > MAX_DEPTH) fail(`the value nests deeper than ${MAX_DEPTH} levels`);
      try {
        return walkValue(v);
      } finally {
        depth--;
      }
    }
    function walkValue(v: unknown): unknown {
      const t = typeof v;
      if (t === "function") return fail("functions cannot be copied");
      if (t === "symbol") return fail("symbols cannot be copied");
      if (t !== "object" || v === null) return v;
      const o = v as Record<string, unknown>;
      const live = liveId?.(o);
      if (live !== undefined) return ["l", live];
      const id = mapGet(seen, o) as number | undefined;
      if (id !== undefined) return ["#", id];
      mapSet(seen, o, seen.size);
      const tag = tagOf(o);
      if (isArray(o)) {
        const out: unknown[] = ["a", o.length];
        props(out, o);
        return out;
      }
      if (tag === "[object Map]") {
        const out: unknown[] = ["m"];
        let i = 0;
        mapForEach(o, (val, key) => {
          append(path, `.<map key ${i}>`);
          append(out, walk(key));
          pop(path);
          append(path, `.<map value ${i++}>`);
          append(out, walk(val));
          pop(path);
        });
        return out;
      }
      if (tag === "[object Set]") {
        const out: unknown[] = ["s"];
        let i = 0;
        setForEach(o, (val) => {
          append(path, `.<set item ${i++}>`);
          append(out, walk(val));
          pop(path);
        });
        return out;
      }
      if (tag === "[object Date]") return ["d", getTime(o)];
      if (tag === "[object RegExp]") return ["r", regexpSource(o), regexpFlags(o)];
      if (tag === "[object Error]") {
        const hasCause = "cause" in o;
        const message = getOwnPropertyDescriptor(o, "message");
        const ownMessage = message !== undefined && "value" in message ? StringCtor(message.value) : undefined;
        const out: unknown[] = ["e", StringCtor(o.name), ownMessage, StringCtor(o.stack ?? ""), hasCause, undefined, undefined];
        if (hasCause) {
          append(path, ".cause");
          out[5] = walk(o.cause);
          pop(path);
        }
        if (isArray(o.errors)) {
          append(path, ".errors");
          out[6] = walk(o.errors);
          pop(path);
        }
        props(out, o, true);
        return out;
      }
      if (tag === "[object DataView]") {
        const bounds = viewBounds(o);
        return bounds === undefined ? fail("a DataView out of its buffer's bounds cannot be copied") : ["v", walk(viewBuffer(o)), bounds[0], bounds[1]];
      }
      if (isView(o)) {
        const kind = typedKind(o);
        if (kind < 0) return fail(`${tag.slice(8, -1)} objects cannot be copied`);
        const ta = o as unknown as Uint8Array;
        if (outOfBounds(ta)) return fail("a typed array out of its buffer's bounds cannot be copied");
        if (options.privateViews && (ta.byteOffset !== 0 || ta.byteLength !== ta.buffer.byteLength)) {
          const own = bufferSlice(ta.buffer, ta.byteOffset, ta.byteOffset + ta.byteLength);
          mapSet(seen, own, seen.size);
          return ["t", kind, ["x", own], 0, ta.length];
        }
        return ["t", kind, walk(ta.buffer), ta.byteOffset, ta.length];
      }
      if (tag === "[object ArrayBuffer]" || boxed[tag]) return ["x", o];
      if (tag === "[object Object]" || getPrototypeOf(o) === null || !isBuiltinTag(tag)) {
        const name = classOf(o);
        const out: unknown[] = name === undefined ? ["o"] : ["c", name];
        props(out, o);
        return out;
      }
      return fail(`${tag.slice(8, -1)} objects cannot be copied`);
    }
    try {
      return walk(value);
    } catch (e) {
      if (e instanceof Unclonable) return ["!", e.path, e.reason];
      throw e;
    }
  }

  /** A DataView's [offset, length], or undefined when its (shrunk, resizable) buffer no longer holds it. */
  function viewBounds(o: object): [number, number] | undefined {
    try {
      return [viewOffset(o), viewLength(o)];
    } catch {
      return undefined;
    }
  }

  function outOfBounds(ta: Uint8Array): boolean {
    try {
      typedArrayAt(ta, 0);
      return false;
    } catch {
      return true;
    }
  }

  /** Tags of built-ins that hold internal state a copy would lose: refused, not flattened. */
  function isBuiltinTag(tag: string): boolean {
    switch (tag) {
      case "[object WeakMap]":
      case "[object WeakSet]":
      case "[object WeakRef]":
      case "[object Promise]":
      case "[object FinalizationRegistry]":
      case "[object Generator]":
      case "[object AsyncGenerator]":
      case "[object SharedArrayBuffer]":
      case "[object Symbol]":
        return true;
      default:
        return false;
    }
  }

  /**
   * `maxNodes` bounds the containers built. A well-formed tape never holds one node twice
   * (sharing is spelled ["#", id]), so a node met again is refused: re-reading shared nodes
   * would let a few kilobytes expand into billions of objects.
   */
  function fromTape(tape: unknown, maxNodes = Infinity, live?: (id: number) => unknown): unknown {
    const objects: unknown[] = [];
    const visited = new SetCtor<unknown>();
    const bad = (what: string): never => {
      throw new TypeErrorCtor(`malformed tape: ${what}`);
    };
    const str = (v: unknown): string => (typeof v === "string" ? v : bad("expected a string"));
    /**
     * Per prototype, the names of accessors and methods along its chain (own data may not shadow
     * them), as a null-prototype record: a property read is the guest's cheapest lookup.
     */
    const logicOf = new MapCtor<object, Record<string, true>>();
    const logic = (proto: object): Record<string, true> => {
      let names = mapGet(logicOf, proto) as Record<string, true> | undefined;
      if (names !== undefined) return names;
      names = I.create(null) as Record<string, true>;
      for (let p: object | null = proto; p !== null; p = getPrototypeOf(p)) {
        const own = getOwnPropertyNames(p);
        for (let i = 0; i < own.length; i++) {
          const d = getOwnPropertyDescriptor(p, own[i]!)!;
          if (!("value" in d) || typeof d.value === "function") names[own[i]!] = true;
        }
      }
      mapSet(logicOf, proto, names);
      return names;
    };
    /** `own`: define, never assign (a class prototype's setters must not run on the receiving side). */
    const props = (o: Record<string, unknown>, t: unknown[], from: number, own = false) => {
      if ((t.length - from) % 2) bad("odd property list");
      for (let i = from; i < t.length; i += 2) {
        const k = str(t[i]);
        const v = read(t[i + 1]);
        if (own) defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
        else setProp(o, k, v);
      }
    };
    function read(t: unknown): unknown {
      if (typeof t !== "object" || t === null) return t;
      if (!isArray(t) || t.length === 0) return bad("expected a tagged array");
      if (I.setHas(visited, t)) return bad("a node appears twice");
      setAdd(visited, t);
      if (visited.size > maxNodes) return bad(`more than ${maxNodes} nodes`);
      switch (t[0]) {
        case "#": {
          const id = t[1];
          if (typeof id !== "number" || !(id >= 0 && id < objects.length)) bad("bad reference");
          return objects[id as number];
        }
        case "l": {
          if (live === undefined || typeof t[1] !== "number") return bad("unexpected live reference");
          return live(t[1]);
        }
        case "o": {
          const o: Record<string, unknown> = {};
          push(objects, o);
          props(o, t, 1);
          return o;
        }
        case "c": {
          const name = str(t[1]);
          const proto = mapGet(prototypesByName, name) as object | undefined;
          const o = (proto ? I.create(proto) : {}) as Record<string, unknown>;
          push(objects, o);
          if (proto) {
            const names = logic(proto);
            for (let i = 2; i < t.length; i += 2) {
              if (typeof t[i] === "string" && names[t[i] as string] === true) throw new TypeErrorCtor(`an instance of ${name} has an own property '${str(t[i])}' that would shadow an accessor or method of its class`);
            }
          }
          props(o, t, 2, true);
          return o;
        }
        case "a": {
          const length = t[1];
          if (typeof length !== "number" || !(length >= 0 && length <= 0xffffffff) || length % 1) bad("bad array length");
          const a: unknown[] = [];
          push(objects, a);
          a.length = length as number;
          props(a as unknown as Record<string, unknown>, t, 2);
          return a;
        }
        case "m": {
          const m = new MapCtor();
          push(objects, m);
          if ((t.length - 1) % 2) bad("odd map entries");
          for (let i = 1; i < t.length; i += 2) {
            const k = read(t[i]);
            mapSet(m, k, read(t[i + 1]));
          }
          return m;
        }
        case "s": {
          const s = new SetCtor();
          push(objects, s);
          for (let i = 1; i < t.length; i++) setAdd(s, read(t[i]));
          return s;
        }
        case "d": {
          if (typeof t[1] !== "number") bad("bad date");
          const d = new DateCtor(t[1] as number);
          push(objects, d);
          return d;
        }
        case "r": {
          const r = new RegExpCtor(str(t[1]), str(t[2]));
          push(objects, r);
          return r;
        }
        case "e": {
          const name = str(t[1]);
          const Ctor = (hasOwn(errors, name) ? errors[name] : undefined) ?? errors.Error!;
          const message = t[2] === undefined ? undefined : str(t[2]);
          const e = (name === "AggregateError" ? new (Ctor as unknown as new (errors: unknown[], message?: string) => Error)([], message) : new Ctor(message)) as Error &
            Record<string, unknown>;
          if (e.name !== name) defineProperty(e, "name", { value: name, writable: true, configurable: true, enumerable: false });
          defineProperty(e, "stack", { value: str(t[3]), writable: true, configurable: true, enumerable: false });
          push(objects, e);
          if (t[4] === true) defineProperty(e, "cause", { value: read(t[5]), writable: true, configurable: true, enumerable: false });
          if (t[6] !== undefined) defineProperty(e, "errors", { value: read(t[6]), writable: true, configurable: true, enumerable: false });
          props(e, t, 7);
          return e;
        }
        case "x": {
          const x = t[1];
          if (typeof x !== "object" || x === null) bad("bad native value");
          push(objects, x);
          return x;
        }
        case "t": {
          const slot = push(objects, undefined) - 1;
          const Ctor = typeof t[1] === "number" ? typedArrays[t[1]] : undefined;
          if (!Ctor) bad("unknown typed array kind");
          const buffer = read(t[2]);
          if (!(buffer instanceof ArrayBufferCtor)) bad("bad typed array buffer");
          const ta = new Ctor!(buffer as ArrayBuffer, t[3] as number, t[4] as number);
          objects[slot] = ta;
          return ta;
        }
        case "v": {
          const slot = push(objects, undefined) - 1;
          const buffer = read(t[1]);
          if (!(buffer instanceof ArrayBufferCtor)) bad("bad DataView buffer");
          const dv = new DataViewCtor(buffer as ArrayBuffer, t[2] as number, t[3] as number);
          objects[slot] = dv;
          return dv;
        }
        default:
          return bad(`unknown tag ${StringCtor(t[0])}`);
      }
    }
    return read(tape);
  }

  return {
    toTape,
    fromTape,
    registerClass(name, ctor) {
      mapSet(namesByPrototype, ctor.prototype, name);
      mapSet(prototypesByName, name, ctor.prototype);
    },
    get hasClasses() {
      return prototypesByName.size > 0;
    },
    classOf,
  };
}
