/**
 * The built-ins the guest-side machinery (tape codec, console formatter) relies on, captured
 * before any guest code runs. The machinery itself is compiled lazily, on first need, so a new
 * runtime parses only this small capture; later tampering with guest built-ins cannot reach it.
 * Self-contained: its source is shipped into the guest. The host calls it on its own realm.
 */
export function captureIntrinsics(g: typeof globalThis) {
  const O = g.Object;
  const apply = g.Reflect.apply;
  // Rest parameters and Reflect.apply: no iterator and no Function.prototype lookups, which a
  // guest could hijack.
  const uncurry =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (self: unknown, ...args: A): R =>
      apply(f, self, args) as R;
  const getter = (proto: object, name: string) => O.getOwnPropertyDescriptor(proto, name)!.get as () => unknown;
  return {
    keys: O.keys,
    defineProperty: O.defineProperty,
    getOwnPropertyDescriptor: O.getOwnPropertyDescriptor,
    getOwnPropertyNames: O.getOwnPropertyNames,
    getPrototypeOf: O.getPrototypeOf,
    create: O.create,
    isArray: g.Array.isArray,
    isView: g.ArrayBuffer.isView,
    quote: g.JSON.stringify,
    trunc: g.Math.trunc,
    tagOf: uncurry(O.prototype.toString as () => string),
    mapForEach: uncurry(g.Map.prototype.forEach as (cb: (v: unknown, k: unknown) => void) => void),
    setForEach: uncurry(g.Set.prototype.forEach as (cb: (v: unknown) => void) => void),
    mapSet: uncurry(g.Map.prototype.set as (k: unknown, v: unknown) => unknown),
    mapGet: uncurry(g.Map.prototype.get as (k: unknown) => unknown),
    mapDelete: uncurry(g.Map.prototype.delete as (k: unknown) => boolean),
    setAdd: uncurry(g.Set.prototype.add as (v: unknown) => unknown),
    setHas: uncurry(g.Set.prototype.has as (v: unknown) => boolean),
    hasOwn: g.Object.hasOwn,
    getTime: uncurry(g.Date.prototype.getTime),
    bufferSlice: uncurry(g.ArrayBuffer.prototype.slice as (begin: number, end: number) => ArrayBuffer),
    toISOString: uncurry(g.Date.prototype.toISOString),
    regexpSource: uncurry(getter(g.RegExp.prototype, "source") as () => string),
    regexpFlags: uncurry(getter(g.RegExp.prototype, "flags") as () => string),
    regexpTest: uncurry(g.RegExp.prototype.test),
    viewBuffer: uncurry(getter(g.DataView.prototype, "buffer") as () => ArrayBuffer),
    viewOffset: uncurry(getter(g.DataView.prototype, "byteOffset") as () => number),
    viewLength: uncurry(getter(g.DataView.prototype, "byteLength") as () => number),
    /** Throws on a typed array out of its (shrunk, resizable) buffer's bounds. */
    typedArrayAt: uncurry(g.Object.getPrototypeOf(g.Uint8Array.prototype).at as (i: number) => unknown),
    apply,
    construct: g.Reflect.construct,
    push: uncurry(g.Array.prototype.push as (v: unknown) => number),
    unshift: uncurry(g.Array.prototype.unshift as (v: unknown) => number),
    sort: uncurry(g.Array.prototype.sort as (cmp: (a: never, b: never) => number) => unknown),
    join: uncurry(g.Array.prototype.join as (sep: string) => string),
    pop: uncurry(g.Array.prototype.pop as () => unknown),
    includes: uncurry(g.Array.prototype.includes as (v: unknown) => boolean),
    hasText: uncurry(g.String.prototype.includes as (s: string) => boolean),
    replace: uncurry(g.String.prototype.replace as (p: RegExp, f: (m: string, c: string) => string) => string),
    typedArrays: [
      g.Uint8ClampedArray,
      g.Int8Array,
      g.Uint8Array,
      g.Int16Array,
      g.Uint16Array,
      g.Int32Array,
      g.Uint32Array,
      g.BigInt64Array,
      g.BigUint64Array,
      (g as { Float16Array?: unknown }).Float16Array,
      g.Float32Array,
      g.Float64Array,
    ] as (new (buffer: ArrayBuffer, offset: number, length: number) => ArrayBufferView)[],
    Map: g.Map,
    Set: g.Set,
    Date: g.Date,
    RegExp: g.RegExp,
    DataView: g.DataView,
    ArrayBuffer: g.ArrayBuffer,
    TypeError: g.TypeError,
    String: g.String,
    Number: g.Number,
    errors: {
      Error: g.Error,
      TypeError: g.TypeError,
      RangeError: g.RangeError,
      SyntaxError: g.SyntaxError,
      ReferenceError: g.ReferenceError,
      EvalError: g.EvalError,
      URIError: g.URIError,
      AggregateError: g.AggregateError as unknown as ErrorConstructor,
    } as Record<string, ErrorConstructor | undefined>,
  };
}

export type Intrinsics = ReturnType<typeof captureIntrinsics>;
