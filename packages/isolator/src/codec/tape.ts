/**
 * The tape: a tagged form of any cloneable value, made only of what the binary format carries
 * natively (primitives, arrays, typed arrays, buffers, boxed primitives). Values the format
 * cannot hold (Map, Set, Error, RegExp, DataView, holes, accessors, proxies, shared references
 * across all of these) cross as a tape, which is itself encoded natively.
 *
 * `createTape` is realm-independent and self-contained: the host calls it with its own global,
 * and the guest prelude ships its source into the sandbox and calls it with the guest's global
 * before any guest code runs, so later tampering with guest built-ins cannot reach it.
 *
 * Containers are arrays whose first item is a tag, so data can never pose as a tag:
 *   ["#", id]                 a reference to the id-th container already read (cycles, sharing)
 *   ["o", k, v, ...]          object (own enumerable string keys)
 *   ["a", length, k, v, ...]  array (holes absent, extra properties kept)
 *   ["m", k, v, ...] / ["s", v, ...]   Map / Set
 *   ["d", time]  ["r", source, flags, lastIndex]   Date / RegExp
 *   ["e", name, message, stack, hasCause, cause, k, v, ...]   Error and subclasses
 *   ["x", value]              a typed array, ArrayBuffer or boxed primitive, carried natively
 *   ["v", buffer, offset, length]      DataView
 *   ["!", path, reason]       (top level only) the value cannot be copied
 */
export interface Tape {
  /** Converts a value; returns ["!", path, reason] when something in it cannot cross. */
  toTape(value: unknown): unknown;
  /** Rebuilds a value; throws TypeError on a malformed tape. */
  fromTape(tape: unknown): unknown;
}

export function createTape(g: typeof globalThis): Tape {
  const O = g.Object;
  const keys = O.keys;
  const defineProperty = O.defineProperty;
  const getPrototypeOf = O.getPrototypeOf;
  const isArray = g.Array.isArray;
  const isView = g.ArrayBuffer.isView;
  const toStringTag = O.prototype.toString;
  const call = g.Function.prototype.call;
  const uncurry =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (self: unknown, ...args: A): R =>
      call.apply(f, [self, ...args]) as R;
  const tagOf = uncurry(toStringTag as () => string);
  const mapForEach = uncurry(g.Map.prototype.forEach as (cb: (v: unknown, k: unknown) => void) => void);
  const setForEach = uncurry(g.Set.prototype.forEach as (cb: (v: unknown) => void) => void);
  const mapSet = uncurry(g.Map.prototype.set as (k: unknown, v: unknown) => unknown);
  const mapGet = uncurry(g.Map.prototype.get as (k: unknown) => unknown);
  const setAdd = uncurry(g.Set.prototype.add as (v: unknown) => unknown);
  const getTime = uncurry(g.Date.prototype.getTime);
  const descriptor = (proto: object, name: string) => O.getOwnPropertyDescriptor(proto, name)!.get as () => unknown;
  const regexpSource = uncurry(descriptor(g.RegExp.prototype, "source") as () => string);
  const regexpFlags = uncurry(descriptor(g.RegExp.prototype, "flags") as () => string);
  const viewBuffer = uncurry(descriptor(g.DataView.prototype, "buffer") as () => ArrayBuffer);
  const viewOffset = uncurry(descriptor(g.DataView.prototype, "byteOffset") as () => number);
  const viewLength = uncurry(descriptor(g.DataView.prototype, "byteLength") as () => number);
  const push = uncurry(g.Array.prototype.push as (v: unknown) => number);
  const join = uncurry(g.Array.prototype.join as (sep: string) => string);
  const pop = uncurry(g.Array.prototype.pop as () => unknown);
  const MapCtor = g.Map;
  const SetCtor = g.Set;
  const DateCtor = g.Date;
  const RegExpCtor = g.RegExp;
  const DataViewCtor = g.DataView;
  const ArrayBufferCtor = g.ArrayBuffer;
  const TypeErrorCtor = g.TypeError;
  const StringCtor = g.String;
  const errors: Record<string, ErrorConstructor | undefined> = {
    Error: g.Error,
    TypeError: g.TypeError,
    RangeError: g.RangeError,
    SyntaxError: g.SyntaxError,
    ReferenceError: g.ReferenceError,
    EvalError: g.EvalError,
    URIError: g.URIError,
    AggregateError: g.AggregateError as unknown as ErrorConstructor,
  };
  const identifier = /^[A-Za-z_$][\w$]*$/;
  const index = /^(0|[1-9]\d*)$/;
  const quote = g.JSON.stringify;
  const boxed: Record<string, true> = { "[object Number]": true, "[object String]": true, "[object Boolean]": true, "[object BigInt]": true };
  const typed = (o: object, tag: string) => isView(o) && tag !== "[object DataView]";
  const setProp = (o: Record<string, unknown>, k: string, v: unknown) => {
    if (k === "__proto__") defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
    else o[k] = v;
  };

  class Unclonable {
    constructor(
      readonly path: string,
      readonly reason: string,
    ) {}
  }

  function toTape(value: unknown): unknown {
    const seen = new MapCtor<object, number>();
    const path: string[] = ["$"];
    const fail = (reason: string): never => {
      throw new Unclonable(join(path, ""), reason);
    };
    const pushKey = (k: string, inArray: boolean) => {
      push(path, inArray && index.test(k) ? `[${k}]` : identifier.test(k) ? `.${k}` : `[${quote(k)}]`);
    };
    const props = (out: unknown[], o: Record<string, unknown>, skip?: Record<string, true>) => {
      const ks = keys(o);
      const inArray = isArray(o);
      for (let i = 0; i < ks.length; i++) {
        const k = ks[i]!;
        if (skip?.[k]) continue;
        pushKey(k, inArray);
        push(out, k);
        push(out, walk(o[k]));
        pop(path);
      }
    };
    function walk(v: unknown): unknown {
      const t = typeof v;
      if (t === "function") return fail("functions cannot be copied");
      if (t === "symbol") return fail("symbols cannot be copied");
      if (t !== "object" || v === null) return v;
      const o = v as Record<string, unknown>;
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
          push(path, `.<map key ${i}>`);
          push(out, walk(key));
          pop(path);
          push(path, `.<map value ${i++}>`);
          push(out, walk(val));
          pop(path);
        });
        return out;
      }
      if (tag === "[object Set]") {
        const out: unknown[] = ["s"];
        let i = 0;
        setForEach(o, (val) => {
          push(path, `.<set item ${i++}>`);
          push(out, walk(val));
          pop(path);
        });
        return out;
      }
      if (tag === "[object Date]") return ["d", getTime(o)];
      if (tag === "[object RegExp]") return ["r", regexpSource(o), regexpFlags(o), o.lastIndex];
      if (tag === "[object Error]") {
        const hasCause = "cause" in o;
        const out: unknown[] = ["e", StringCtor(o.name), StringCtor(o.message), StringCtor(o.stack ?? ""), hasCause, undefined];
        if (hasCause) {
          push(path, ".cause");
          out[5] = walk(o.cause);
          pop(path);
        }
        props(out, o, { name: true, message: true, stack: true, cause: true });
        return out;
      }
      if (tag === "[object DataView]") return ["v", walk(viewBuffer(o)), viewOffset(o), viewLength(o)];
      if (tag === "[object ArrayBuffer]" || typed(o, tag) || boxed[tag]) return ["x", o];
      if (tag === "[object Object]" || getPrototypeOf(o) === null || !isBuiltinTag(tag)) {
        const out: unknown[] = ["o"];
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

  function fromTape(tape: unknown): unknown {
    const objects: unknown[] = [];
    const bad = (what: string): never => {
      throw new TypeErrorCtor(`malformed tape: ${what}`);
    };
    const str = (v: unknown): string => (typeof v === "string" ? v : bad("expected a string"));
    const props = (o: Record<string, unknown>, t: unknown[], from: number) => {
      if ((t.length - from) % 2) bad("odd property list");
      for (let i = from; i < t.length; i += 2) setProp(o, str(t[i]), read(t[i + 1]));
    };
    function read(t: unknown): unknown {
      if (typeof t !== "object" || t === null) return t;
      if (!isArray(t) || t.length === 0) return bad("expected a tagged array");
      switch (t[0]) {
        case "#": {
          const id = t[1];
          if (typeof id !== "number" || !(id >= 0 && id < objects.length)) bad("bad reference");
          return objects[id as number];
        }
        case "o": {
          const o: Record<string, unknown> = {};
          push(objects, o);
          props(o, t, 1);
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
          if (typeof t[3] === "number") r.lastIndex = t[3];
          push(objects, r);
          return r;
        }
        case "e": {
          const name = str(t[1]);
          const Ctor = errors[name] ?? errors.Error!;
          const e = new Ctor(str(t[2])) as Error & Record<string, unknown>;
          if (e.name !== name) defineProperty(e, "name", { value: name, writable: true, configurable: true, enumerable: false });
          defineProperty(e, "stack", { value: str(t[3]), writable: true, configurable: true, enumerable: false });
          push(objects, e);
          if (t[4] === true) defineProperty(e, "cause", { value: read(t[5]), writable: true, configurable: true, enumerable: false });
          props(e, t, 6);
          return e;
        }
        case "x": {
          const x = t[1];
          if (typeof x !== "object" || x === null) bad("bad native value");
          push(objects, x);
          return x;
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

  return { toTape, fromTape };
}
