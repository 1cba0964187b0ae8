/**
 * Fidelity of values crossing the isolation boundary: host -> guest -> host through
 * `invoke((v) => v, value)`, values built by the guest itself (`evaluate`), and the values
 * that must be refused with an IsolatedSerializationError naming the offending path.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { isA } from "./helpers.js";
import fc from "fast-check";
import { IsolatedRuntime, IsolatedRuntimeHost, IsolatedSerializationError, IsolatorError } from "../src/index.js";

declare const IsolatorHost: { invoke(n: string, ...a: unknown[]): unknown; invokeAsync(n: string, ...a: unknown[]): Promise<unknown> };

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

const newRuntime = () => new IsolatedRuntime(host, { timeLimit: 2000, console: "ignore" });

/** Host -> guest -> host through the identity lambda. */
function roundTrip<T>(rt: IsolatedRuntime, value: T): T {
  return rt.invoke((v: unknown) => v, value) as T;
}

type ResizableBuffer = ArrayBuffer & { resizable: boolean; maxByteLength: number; resize(length: number): void };
const resizableBuffer = (length: number, maxByteLength: number) => new (ArrayBuffer as unknown as new (n: number, o: object) => ResizableBuffer)(length, { maxByteLength });

function assertSerializationError(fn: () => unknown, path: string, reason?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IsolatedSerializationError, `expected IsolatedSerializationError, got ${String(e)}`);
    assert.ok(e instanceof IsolatorError);
    assert.equal(e.path, path);
    assert.ok(e.message.includes(path), e.message);
    if (reason) assert.match(e.message, reason);
    return true;
  });
}

describe("primitives", () => {
  test("undefined, null and booleans", () => {
    using rt = newRuntime();
    for (const v of [undefined, null, true, false]) {
      assert.equal(roundTrip(rt, v), v);
    }
    assert.deepEqual(rt.invoke((u: unknown, n: unknown) => [typeof u, n === null], undefined, null), ["undefined", true]);
    assert.equal(rt.evaluate("undefined"), undefined);
    assert.equal(rt.evaluate("null"), null);
    assert.equal(rt.evaluate("true"), true);
    assert.equal(rt.evaluate("false"), false);
  });

  test("numbers, including NaN, the infinities and -0", () => {
    using rt = newRuntime();
    const numbers = [
      0, -0, 1, -1, 1.5, NaN, Infinity, -Infinity,
      2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53,
      Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
    ];
    for (const n of numbers) {
      assert.ok(Object.is(roundTrip(rt, n), n), `host round trip of ${Object.is(n, -0) ? "-0" : n}`);
      const source = Object.is(n, -0) ? "-0" : String(n);
      assert.ok(Object.is(rt.evaluate(source), n), `guest-made ${source}`);
    }
    // The guest sees the exact value too.
    assert.deepEqual(rt.invoke((z: number, nan: number, inf: number) => [Object.is(z, -0), Number.isNaN(nan), inf === -Infinity], -0, NaN, -Infinity), [
      true,
      true,
      true,
    ]);
    assert.ok(Object.is(rt.invoke(() => -0), -0));
    assert.ok(Number.isNaN(rt.invoke(() => 0 / 0)));
  });

  test("bigint: large, negative and at two's-complement byte boundaries", () => {
    using rt = newRuntime();
    const bigints = [
      0n, 1n, -1n, 127n, 128n, -128n, -129n, 255n, 256n, -256n,
      2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n, -(2n ** 64n), 10n ** 50n, -(10n ** 50n) + 1n, 2n ** 1000n, -(2n ** 200n) + 5n,
    ];
    for (const b of bigints) {
      assert.equal(roundTrip(rt, b), b);
      assert.equal(rt.evaluate(`${b}n`), b, `guest-made ${b}n`);
      assert.equal(rt.invoke((v: bigint) => String(v), b), String(b), `guest view of ${b}n`);
    }
  });

  test("strings with lone surrogates, NUL, latin1 and wide characters (short and long)", () => {
    using rt = newRuntime();
    const strings = [
      "",
      "plain",
      "a\uD800b",
      "\uDC00",
      "x\uD83D",
      "nul\0inside\0",
      "\0",
      "é\u00ff",
      "日本語",
      "😀 emoji",
      // long strings take another decoding path
      "y".repeat(40) + "\uD800" + "z".repeat(5),
      "\u00e9".repeat(64),
      "\0".repeat(50),
      "w\uDFFF".repeat(30),
    ];
    for (const s of strings) {
      assert.equal(roundTrip(rt, s), s, `round trip of ${JSON.stringify(s)}`);
      assert.equal(rt.invoke((v: string) => v.length, s), s.length);
      assert.equal(rt.evaluate(JSON.stringify(s)), s, `guest-made ${JSON.stringify(s)}`);
    }
    assert.equal(rt.evaluate("'a\\uD800b\\0c\\uDC00'"), "a\uD800b\0c\uDC00");
    assert.deepEqual(
      rt.invoke((s: string) => [s.charCodeAt(1), s.charCodeAt(3)], "a\uD800b\0"),
      [0xd800, 0],
    );
  });
});

describe("built-in objects", () => {
  test("Date, valid and invalid", () => {
    using rt = newRuntime();
    const d = roundTrip(rt, new Date(1_700_000_000_123));
    assert.ok(d instanceof Date);
    assert.equal(d.getTime(), 1_700_000_000_123);
    const bad = roundTrip(rt, new Date(NaN));
    assert.ok(bad instanceof Date);
    assert.ok(Number.isNaN(bad.getTime()));
    assert.deepEqual(rt.invoke((v: Date) => [v instanceof Date, v.getTime()], new Date(5)), [true, 5]);

    const [g, gBad] = rt.evaluate<[Date, Date]>("[new Date(5), new Date(NaN)]");
    assert.ok(g instanceof Date && gBad instanceof Date);
    assert.equal(g.getTime(), 5);
    assert.ok(Number.isNaN(gBad.getTime()));
  });

  test("RegExp keeps source and flags; lastIndex arrives 0, as in structured clone", () => {
    using rt = newRuntime();
    const re = /ab+c\/[x-z]/gimsuy;
    re.lastIndex = 3;
    const r = roundTrip(rt, re);
    assert.ok(r instanceof RegExp);
    assert.notEqual(r, re);
    assert.equal(r.source, re.source);
    assert.equal(r.flags, "gimsuy");
    assert.equal(r.lastIndex, 0);
    assert.deepEqual(structuredClone(re).lastIndex, 0);
    assert.deepEqual(rt.invoke((v: RegExp) => [v instanceof RegExp, v.flags, v.lastIndex, v.test("xxabbc/y")], re), [true, "gimsuy", 0, false]);

    const g = rt.evaluate<RegExp>("var r = /x(?<n>\\d)/dg; r.lastIndex = 7; r");
    assert.ok(g instanceof RegExp);
    assert.equal(g.source, "x(?<n>\\d)");
    assert.equal(g.flags, "dg");
    assert.equal(g.lastIndex, 0);
  });

  test("a resizable ArrayBuffer keeps resizable and maxByteLength both ways", () => {
    using rt = newRuntime();
    const [resizable, max, length] = rt.invoke((b: ResizableBuffer) => [b.resizable, b.maxByteLength, b.byteLength], resizableBuffer(4, 64));
    assert.deepEqual([resizable, max, length], [true, 64, 4]);
    const back = rt.evaluate<ArrayBuffer & { resizable: boolean; maxByteLength: number }>("new ArrayBuffer(8, { maxByteLength: 32 })");
    assert.deepEqual([back.resizable, back.maxByteLength, back.byteLength], [true, 32, 8]);
    const [view] = rt.evaluate<[Uint8Array]>("const rb = new ArrayBuffer(4, { maxByteLength: 16 }); new Uint8Array(rb).set([1, 2, 3, 4]); [new Uint8Array(rb, 1, 2), new Map()]");
    assert.deepEqual([...view], [2, 3]);
    assert.equal((view.buffer as ArrayBuffer & { resizable: boolean }).resizable, true);
  });

  test("a typed array or DataView out of its shrunk buffer's bounds is refused by path, and the runtime stays usable", () => {
    using rt = newRuntime();
    const buffer = resizableBuffer(16, 32);
    const typed = new Uint32Array(buffer, 8, 2);
    const view = new DataView(buffer, 8, 8);
    buffer.resize(4);
    assertSerializationError(() => roundTrip(rt, typed), "$[0]", /out of its buffer's bounds/);
    assertSerializationError(() => roundTrip(rt, { v: [view] }), "$[0].v[0]", /out of its buffer's bounds/);
    assertSerializationError(() => rt.invoke((m: Map<number, unknown>) => m.size, new Map([[1, typed]])), "$[0].<map value 0>", /out of its buffer's bounds/);
    assert.equal(rt.invoke((a: number) => a + 1, 1), 2);
  });

  test("Map and Set, with object keys and nested containers", () => {
    using rt = newRuntime();
    const key = { k: 1 };
    const m = new Map<unknown, unknown>([
      [1, { a: 1 }],
      ["k", new Set([1, "two", 3n])],
      [key, [key]],
      [NaN, -0],
    ]);
    const r = roundTrip(rt, m);
    assert.ok(r instanceof Map);
    assert.deepStrictEqual(r, m);
    const rKey = [...r.keys()][2] as object;
    assert.equal((r.get(rKey) as unknown[])[0], rKey, "the shared key object stays one object");
    assert.ok(Object.is(r.get(NaN), -0));
    assert.deepEqual(rt.invoke((v: Map<unknown, unknown>) => [v instanceof Map, v.size, v.get("k") instanceof Set], m), [true, 4, true]);

    const s = roundTrip(rt, new Set([1, "a", null, undefined, { x: 1 }]));
    assert.deepStrictEqual(s, new Set([1, "a", null, undefined, { x: 1 }]));

    const g = rt.evaluate<Map<unknown, unknown>>("new Map([[1, new Set(['a'])], [{o: 1}, 'obj']])");
    assert.deepStrictEqual(g, new Map<unknown, unknown>([[1, new Set(["a"])], [{ o: 1 }, "obj"]]));
  });

  test("arrays with holes keep their holes, undefined stays undefined", () => {
    using rt = newRuntime();
    // eslint-disable-next-line no-sparse-arrays
    const holey = [1, , 3, , ,];
    const r = roundTrip(rt, holey);
    assert.equal(r.length, 5);
    assert.ok(!(1 in r));
    assert.ok(!(3 in r) && !(4 in r));
    assert.equal(r[2], 3);
    assert.deepEqual(rt.invoke((a: unknown[]) => [a.length, 1 in a, 2 in a], holey), [5, false, true]);

    const dense = roundTrip(rt, [1, undefined, 3]);
    assert.ok(1 in dense);
    assert.equal(dense[1], undefined);

    const g = rt.evaluate<unknown[]>("var a = [1,,3]; a[10] = 'end'; a");
    assert.equal(g.length, 11);
    assert.ok(!(1 in g));
    assert.ok(!(5 in g));
    assert.equal(g[10], "end");

    const big = rt.evaluate<unknown[]>("var b = []; b.length = 1e6; b[999999] = 1; b");
    assert.equal(big.length, 1e6);
    assert.equal(big[999999], 1);
    assert.ok(!(0 in big));
  });

  test("non-index properties of an array are not copied, whether or not it has holes (documented)", () => {
    using rt = newRuntime();
    // eslint-disable-next-line no-sparse-arrays
    const sparse = Object.assign([1, , 3], { extra: "x" });
    const back = roundTrip(rt, sparse) as unknown as { extra?: string };
    assert.equal(back.extra, undefined);
    assert.ok(!(1 in (back as unknown as unknown[])));
    const dense = Object.assign([1, 2, 3], { extra: "x" });
    assert.equal(rt.invoke((a: { extra?: string }) => a.extra, dense), undefined);
    assert.equal(rt.evaluate<{ extra?: string }>("Object.assign([1, 2, 3], { extra: 'x' })").extra, undefined);
    assert.equal(rt.evaluate<{ extra?: string }>("Object.assign([1, , 3], { extra: 'x' })").extra, undefined);
  });

  test("plain objects", () => {
    using rt = newRuntime();
    const o = { a: 1, b: "x", nested: { deep: [1, { e: null }] }, "key with space": true, 42: "num" };
    assert.deepStrictEqual(roundTrip(rt, o), o);
    assert.deepStrictEqual(rt.evaluate("({a: [1, 'x'], b: {c: undefined}})"), { a: [1, "x"], b: { c: undefined } });
    const emptyKey = roundTrip(rt, { "": 1 });
    assert.deepStrictEqual(emptyKey, { "": 1 });
  });

  test("an own '__proto__' key stays an own data property, host -> guest", () => {
    using rt = newRuntime();
    const o = JSON.parse('{"__proto__":{"x":1},"a":2}') as Record<string, unknown>;
    const seen = rt.invoke((v: Record<string, unknown>) => {
      const d = Object.getOwnPropertyDescriptor(v, "__proto__");
      return {
        protoIsObjectPrototype: Object.getPrototypeOf(v) === Object.prototype,
        keys: Object.keys(v),
        inheritedX: (v as { x?: unknown }).x,
        ownValue: d && "value" in d ? d.value : "missing",
      };
    }, o);
    assert.deepStrictEqual(seen, { protoIsObjectPrototype: true, keys: ["__proto__", "a"], inheritedX: undefined, ownValue: { x: 1 } });
  });

  test("an own '__proto__' key stays an own data property, guest -> host (native and tape paths)", () => {
    using rt = newRuntime();
    const check = (r: Record<string, unknown>, keys: string[]) => {
      assert.equal(Object.getPrototypeOf(r), Object.prototype);
      assert.deepEqual(Object.keys(r), keys);
      assert.equal((r as { x?: unknown }).x, undefined);
      const d = Object.getOwnPropertyDescriptor(r, "__proto__");
      assert.ok(d && "value" in d, "own data property");
      assert.deepStrictEqual(d.value, { x: 1 });
      assert.equal(({} as { x?: unknown }).x, undefined, "host Object.prototype untouched");
    };
    check(roundTrip(rt, JSON.parse('{"__proto__":{"x":1},"a":2}')), ["__proto__", "a"]);
    check(rt.evaluate(`JSON.parse('{"__proto__":{"x":1},"a":2}')`), ["__proto__", "a"]);
    // a Map elsewhere in the value forces the tape encoding
    check(rt.evaluate(`var o = JSON.parse('{"__proto__":{"x":1},"a":2}'); o.m = new Map(); o`), ["__proto__", "a", "m"]);
    const viaTape = roundTrip(rt, { m: new Map(), inner: JSON.parse('{"__proto__":{"x":1}}') as object });
    check(viaTape.inner as Record<string, unknown>, ["__proto__"]);
  });

  test("ArrayBuffer", () => {
    using rt = newRuntime();
    const ab = new Uint8Array([1, 2, 3, 255]).buffer;
    const r = roundTrip(rt, ab);
    assert.ok(r instanceof ArrayBuffer);
    assert.notEqual(r, ab);
    assert.deepEqual([...new Uint8Array(r)], [1, 2, 3, 255]);
    assert.deepEqual(rt.invoke((b: ArrayBuffer) => [b instanceof ArrayBuffer, b.byteLength], ab), [true, 4]);
    const g = rt.evaluate<ArrayBuffer>("new Uint8Array([9, 8]).buffer");
    assert.ok(g instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(g)], [9, 8]);
  });

  test("every TypedArray kind", () => {
    using rt = newRuntime();
    const samples: ArrayBufferView[] = [
      new Int8Array([-128, 0, 127]),
      new Uint8Array([0, 1, 255]),
      new Uint8ClampedArray([0, 128, 255]),
      new Int16Array([-32768, 1, 32767]),
      new Uint16Array([0, 65535]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([0, 2 ** 32 - 1]),
      new Float32Array([1.5, -0, NaN, Infinity]),
      new Float64Array([Math.PI, -0, NaN, -Infinity]),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      new BigUint64Array([0n, 2n ** 64n - 1n]),
    ];
    for (const ta of samples) {
      const name = ta.constructor.name;
      const r = roundTrip(rt, ta);
      assert.equal(r.constructor.name, name);
      assert.deepStrictEqual(r, ta, name);
      assert.equal(rt.invoke((v: ArrayBufferView) => v.constructor.name, ta), name);
      const g = rt.evaluate<ArrayBufferView>(`new ${name}(3)`);
      assert.equal(g.constructor.name, name, `guest-made ${name}`);
      assert.equal(g.byteLength, 3 * (ta as Uint8Array).BYTES_PER_ELEMENT);
    }
  });

  test("a subarray view carries only the bytes it views", () => {
    using rt = newRuntime();
    const whole = new Uint16Array([10, 11, 12, 13, 14, 15]);
    const sub = whole.subarray(2, 5);
    assert.deepEqual(rt.invoke((v: Uint16Array) => [v.length, v.byteOffset, v.buffer.byteLength, Array.from(v)], sub), [3, 0, 6, [12, 13, 14]]);
    const r = roundTrip(rt, sub);
    assert.ok(r instanceof Uint16Array);
    assert.deepEqual([...r], [12, 13, 14]);
    assert.equal(r.buffer.byteLength, 6);
  });

  test("typed arrays sharing one buffer, guest -> host, stay on one buffer", () => {
    using rt = newRuntime();
    const [a, b] = rt.evaluate<[Uint8Array, Uint16Array]>("var b = new ArrayBuffer(8); [new Uint8Array(b), new Uint16Array(b, 2, 2)]");
    assert.equal(a.buffer, b.buffer);
    assert.equal(b.byteOffset, 2);
    assert.equal(b.length, 2);
  });

  test("DataView keeps buffer, offset and length", () => {
    using rt = newRuntime();
    const buffer = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer;
    const dv = new DataView(buffer, 2, 4);
    const r = roundTrip(rt, dv);
    assert.ok(r instanceof DataView);
    assert.equal(r.byteOffset, 2);
    assert.equal(r.byteLength, 4);
    assert.equal(r.getUint8(0), 2);
    assert.deepEqual(rt.invoke((v: DataView) => [v instanceof DataView, v.byteOffset, v.byteLength, v.getUint16(0)], dv), [true, 2, 4, 0x0203]);

    const g = rt.evaluate<DataView>("var dv = new DataView(new ArrayBuffer(8), 1, 3); dv.setUint8(0, 42); dv");
    assert.ok(g instanceof DataView);
    assert.equal(g.byteOffset, 1);
    assert.equal(g.byteLength, 3);
    assert.equal(g.buffer.byteLength, 8);
    assert.equal(g.getUint8(0), 42);
  });

  test("a Node Buffer slice arrives with only its own bytes", () => {
    using rt = newRuntime();
    // Short Buffer.from(string) results live in Node's shared pool: the slice's buffer is far larger.
    const pooled = Buffer.from("hello world, this buffer is in the shared pool");
    const slice = pooled.subarray(6, 11);
    assert.ok(slice.buffer.byteLength > slice.byteLength, "precondition: the slice views a larger buffer");
    const seen = rt.invoke(
      (v: Uint8Array) => ({ byteLength: v.byteLength, bufferLength: v.buffer.byteLength, offset: v.byteOffset, text: String.fromCharCode(...v) }),
      slice,
    );
    assert.deepStrictEqual(seen, { byteLength: 5, bufferLength: 5, offset: 0, text: "world" });
    const r = roundTrip(rt, slice);
    assert.ok(r instanceof Uint8Array);
    assert.equal(r.byteLength, slice.byteLength);
    assert.equal(r.buffer.byteLength, slice.byteLength);
    assert.equal(Buffer.from(r).toString(), "world");
  });

  test("boxed primitives", () => {
    using rt = newRuntime();
    const boxed = [new Number(1.5), new String("s"), new Boolean(false), Object(3n) as object];
    assert.deepStrictEqual(roundTrip(rt, boxed), boxed);
    assert.deepEqual(rt.evaluate("[typeof new Number(1), new String('ab').length]"), ["object", 2]);
  });
});

describe("errors", () => {
  test("Error and subclasses keep name, message, stack, cause and own extra properties (host -> guest -> host)", () => {
    using rt = newRuntime();
    for (const Ctor of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) {
      const e = new Ctor(`msg of ${Ctor.name}`, { cause: new Error("inner") }) as Error & { code?: number; extra?: unknown };
      e.code = 42;
      e.extra = { list: [1, 2] };
      const r = roundTrip(rt, e);
      assert.ok(r instanceof Ctor, Ctor.name);
      assert.notEqual(r, e);
      assert.equal(r.name, Ctor.name);
      assert.equal(r.message, `msg of ${Ctor.name}`);
      assert.equal(typeof r.stack, "string");
      assert.equal(r.stack, e.stack, "the stack string crosses as it is");
      assert.ok(r.cause instanceof Error);
      assert.equal((r.cause as Error).message, "inner");
      assert.equal(r.code, 42);
      assert.deepStrictEqual(r.extra, { list: [1, 2] });
      assert.ok(!Object.keys(r).includes("stack") && !Object.keys(r).includes("message"));
    }
    const seen = rt.invoke(
      (v: Error & { code?: number }) => [v instanceof TypeError, v.name, v.message, v.code, (v.cause as Error).message, typeof v.stack],
      Object.assign(new TypeError("t", { cause: new RangeError("c") }), { code: 7 }),
    );
    assert.deepEqual(seen, [true, "TypeError", "t", 7, "c", "string"]);
  });

  test("guest-made errors, including a custom subclass, a non-error cause and extra props", () => {
    using rt = newRuntime();
    const r = rt.evaluate<RangeError & { extra?: unknown }>(`var e = new RangeError("r", { cause: 5 }); e.extra = { a: 1 }; e`);
    assert.ok(r instanceof RangeError);
    assert.equal(r.name, "RangeError");
    assert.equal(r.message, "r");
    assert.equal(r.cause, 5);
    assert.deepStrictEqual(r.extra, { a: 1 });
    assert.equal(typeof r.stack, "string");
    assert.match(r.stack!, /script\.js/);

    const custom = rt.evaluate<Error>(`class MyErr extends Error { constructor(m) { super(m); this.name = "MyErr"; } } new MyErr("q")`);
    assert.ok(custom instanceof Error);
    assert.equal(custom.name, "MyErr");
    assert.equal(custom.message, "q");
    assert.equal(typeof custom.stack, "string");

    const noCause = rt.evaluate<Error>("new Error('plain')");
    assert.ok(!("cause" in noCause));
  });

  test("an error without an own message arrives without one, both ways, as in structured clone", () => {
    using rt = newRuntime();
    const back = roundTrip(rt, new TypeError());
    assert.ok(back instanceof TypeError);
    assert.ok(!Object.hasOwn(back, "message"));
    assert.equal(back.message, "");
    assert.equal(rt.invoke((e: Error) => Object.hasOwn(e, "message"), new Error()), false);
    assert.equal(rt.invoke((e: Error) => Object.hasOwn(e, "message"), new Error("")), true);
    const guest = rt.evaluate<[Error, Error]>("[new RangeError(), new Error('')]");
    assert.deepEqual(guest.map((e) => Object.hasOwn(e, "message")), [false, true]);
    assert.ok(!Object.hasOwn(rt.evaluate<AggregateError>("new AggregateError([])"), "message"));
  });

  test("an error's own properties named like Object.prototype members are kept", () => {
    using rt = newRuntime();
    const e = Object.assign(new RangeError("r"), { toString: 1, valueOf: 2, constructor: 3, hasOwnProperty: 4, kept: 5 });
    const r = roundTrip(rt, e) as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(r).sort(), ["constructor", "hasOwnProperty", "kept", "toString", "valueOf"]);
    const g = rt.evaluate<Record<string, unknown>>("Object.assign(new Error('g'), { toString: 1, constructor: 2, kept: 3 })");
    assert.deepEqual(Object.keys(g).sort(), ["constructor", "kept", "toString"]);
  });

  test("AggregateError keeps its message and errors", () => {
    using rt = newRuntime();
    const g = rt.evaluate<AggregateError>("new AggregateError([new Error('a')], 'agg')");
    assert.ok(g instanceof AggregateError);
    assert.equal(g.message, "agg");
    assert.ok(Array.isArray(g.errors));
    assert.equal(g.errors.length, 1);
    assert.equal((g.errors[0] as Error).message, "a");

    const r = roundTrip(rt, new AggregateError([1], "m"));
    assert.equal(r.message, "m");
    assert.deepEqual(r.errors, [1]);
  });
});

describe("references and class instances", () => {
  test("guest -> host: shared references and cycles keep their identity", () => {
    using rt = newRuntime();
    const r = rt.evaluate<{ a: object; b: object[]; self: unknown }>("var s = { s: 1 }; var c = { a: s, b: [s] }; c.self = c; c");
    assert.equal(r.a, r.b[0]);
    assert.equal(r.self, r);
    const shared = rt.evaluate<{ a: object; b: object }>("var t = { t: 1 }; ({ a: t, b: t })");
    assert.equal(shared.a, shared.b);
    const arr = rt.evaluate<unknown[]>("var a = [1]; a.push(a); a");
    assert.equal(arr[1], arr);
    const m = rt.evaluate<Map<string, unknown>>("var m = new Map(); m.set('self', m); m.set('o', { m }); m");
    assert.equal(m.get("self"), m);
    assert.equal((m.get("o") as { m: unknown }).m, m);
  });

  test("host -> guest: shared references and cycles inside Map/Set/Error (tape path) keep their identity", () => {
    using rt = newRuntime();
    const s = { s: 1 };
    const m = new Map<unknown, unknown>([[1, s], [2, s]]);
    m.set("self", m);
    assert.deepEqual(rt.invoke((v: Map<unknown, unknown>) => [v.get(1) === v.get(2), v.get("self") === v], m), [true, true]);
    const r = roundTrip(rt, m);
    assert.equal(r.get(1), r.get(2));
    assert.equal(r.get("self"), r);
  });

  test("host -> guest: shared references in plain data keep their identity", () => {
    using rt = newRuntime();
    const s = { s: 1 };
    assert.equal(rt.invoke((v: { a: object; b: object }) => v.a === v.b, { a: s, b: s }), true);
    const buffer = new ArrayBuffer(8);
    assert.equal(rt.invoke((v: [Uint8Array, Uint16Array]) => v[0].buffer === v[1].buffer, [new Uint8Array(buffer), new Uint16Array(buffer)]), true);
  });

  test("host -> guest -> host: cycles in plain data keep their identity", () => {
    using rt = newRuntime();
    const c: { self?: unknown; list: unknown[] } = { list: [] };
    c.self = c;
    c.list.push(c);
    const r = roundTrip(rt, c);
    assert.equal(r.self, r);
    assert.equal(r.list[0], r);
  });

  test("class instances arrive as plain objects of their own enumerable properties", () => {
    using rt = newRuntime();
    class Point {
      x = 1;
      y = 2;
      get sum() {
        return this.x + this.y;
      }
      norm() {
        return 0;
      }
    }
    const p = new Point();
    Object.defineProperty(p, "hidden", { value: 3, enumerable: false });
    const seen = rt.invoke((v: object) => [Object.getPrototypeOf(v) === Object.prototype, Object.keys(v), "sum" in v, "norm" in v], p);
    assert.deepEqual(seen, [true, ["x", "y"], false, false]);
    const r = roundTrip(rt, p);
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.deepStrictEqual(r, { x: 1, y: 2 });

    const g = rt.evaluate<object>("class P { constructor() { this.x = 1; } get z() { return 3; } m() {} } new P()");
    assert.equal(Object.getPrototypeOf(g), Object.prototype);
    assert.deepStrictEqual(g, { x: 1 });

    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    const np = roundTrip(rt, nullProto);
    assert.deepEqual({ ...np }, { a: 1 });
  });
});

describe("values that cannot cross", () => {
  test("a caller's value whose getter or proxy trap throws gives the caller that exception, and the runtime stays usable", async () => {
    using rt = newRuntime();
    const boom = new Error("getter says no");
    const withGetter = {
      get secret(): string {
        throw boom;
      },
    };
    assert.throws(() => rt.invoke((v: unknown) => v, withGetter), (e: unknown) => e === boom);
    assert.throws(() => rt.invoke((v: unknown) => v, [new Map([["k", withGetter]])]), (e: unknown) => e === boom, "on the tape path too");
    const trap = new Proxy({}, { ownKeys: () => { throw boom; } });
    assert.throws(() => rt.invoke((v: unknown) => v, trap), (e: unknown) => e === boom);
    await assert.rejects(rt.invokeAsync(async (v: unknown) => v, withGetter), (e: unknown) => e === boom);
    assert.equal(rt.invoke((a: number) => a * 2, 21), 42);
  });

  test("guest return values name the offending path", () => {
    using rt = newRuntime();
    assertSerializationError(() => rt.evaluate("({ items: [0, 1, 2, { fn() {} }] })"), "$.items[3].fn", /function/);
    assertSerializationError(() => rt.invoke(() => ({ items: [0, 1, 2, { fn() {} }] })), "$.items[3].fn", /function/);
    assertSerializationError(() => rt.invoke(() => () => 1), "$", /function/);
    assertSerializationError(() => rt.invoke(() => ({ a: Symbol("x") })), "$.a", /symbol/);
    assertSerializationError(() => rt.invoke(() => Symbol.iterator), "$", /symbol/);
    assertSerializationError(() => rt.invoke(() => ({ a: [new WeakMap()] })), "$.a[0]", /WeakMap/);
    assertSerializationError(() => rt.invoke(() => ({ p: Promise.resolve(1) })), "$.p", /Promise/);
    assertSerializationError(() => rt.invoke(() => ({ "odd key": new WeakSet() })), '$["odd key"]', /WeakSet/);
    assertSerializationError(() => rt.invoke(() => new Map([["k", () => 1]])), "$.<map value 0>", /function/);
    assertSerializationError(() => rt.invoke(() => new Set([1, Symbol()])), "$.<set item 1>", /symbol/);
    // the runtime stays usable
    assert.equal(rt.invoke(() => 1 + 1), 2);
  });

  test("host arguments name the offending argument and path, and nothing runs", () => {
    using rt = newRuntime();
    rt.evaluate("globalThis.ran = 0");
    assertSerializationError(() => rt.invoke((_v: unknown) => (globalThis as { ran?: number }).ran!++, { items: [0, 1, 2, { fn() {} }] }), "$[0].items[3].fn", /function/);
    assertSerializationError(() => rt.invoke((_a: unknown, _b: unknown) => 1, 1, { a: Symbol("x") }), "$[1].a", /symbol/);
    assertSerializationError(() => rt.invoke((_v: unknown) => 1, { a: new WeakMap() }), "$[0].a", /WeakMap/);
    assertSerializationError(() => rt.invoke((_v: unknown) => 1, [Promise.resolve()]), "$[0][0]", /Promise/);
    assertSerializationError(() => rt.invoke((_v: unknown) => 1, () => 1), "$[0]", /function/);
    assert.equal(rt.evaluate("ran"), 0);
  });

  test("values nested deeper than the limit are refused with IsolatedSerializationError", () => {
    using rt = newRuntime();
    assertSerializationError(
      () =>
        rt.invoke(() => {
          let o: object = {};
          for (let i = 0; i < 3000; i++) o = { o };
          return o;
        }),
      "$",
      /deeper/,
    );
    assert.equal(rt.invoke(() => 1), 1);
  });

  test("a host argument nested deeper than the limit is refused and the runtime stays usable", () => {
    using rt = newRuntime();
    let deep: object = {};
    for (let i = 0; i < 3000; i++) deep = { o: deep };
    assert.throws(() => rt.invoke((_v: unknown) => 1, deep), isA(IsolatedSerializationError));
    assert.equal(rt.invoke(() => 1), 1);
  });

  test("invokeAsync results and host callback results are checked too", async () => {
    using rt = newRuntime();
    await assert.rejects(rt.invokeAsync(async () => ({ deep: { f: function named() {} } })), (e: unknown) => {
      assert.ok(e instanceof IsolatedSerializationError);
      assert.equal(e.path, "$.deep.f");
      return true;
    });
    rt.registerCallback("fn", () => ({ f: () => 1 }));
    const message = rt.invoke(() => {
      try {
        IsolatorHost.invoke("fn");
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.match(message, /host callback 'fn' returned/);
    assert.match(message, /\$\.f/);
  });
});

function hasInvalidDate(v: unknown): boolean {
  if (v instanceof Date) return Number.isNaN(v.getTime());
  if (v instanceof Map) return [...v].some(([k, x]) => hasInvalidDate(k) || hasInvalidDate(x));
  if (v instanceof Set) return [...v].some(hasInvalidDate);
  if (typeof v === "object" && v !== null) return Object.values(v).some(hasInvalidDate);
  return false;
}

describe("property: arbitrary values round-trip", () => {
  test("fc.anything() values deep-equal after host -> guest -> host", () => {
    using rt = newRuntime();
    const arbitrary = fc.anything({
      withMap: true,
      withSet: true,
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withBoxedValues: true,
      withNullPrototype: false,
      stringUnit: "binary",
      maxDepth: 4,
    });
    fc.assert(
      // Node 20's deepStrictEqual says new Date(NaN) differs from new Date(NaN) (tested explicitly above)
      fc.property(arbitrary.filter((v) => !hasInvalidDate(v)), (value) => {
        // deepStrictEqual compares with Object.is: -0 must stay -0, NaN equals NaN.
        assert.deepStrictEqual(roundTrip(rt, value), value);
      }),
      { numRuns: 200 },
    );
  });

  test("fc.anything() values survive a guest-side copy (structuredClone-like) and come back equal", () => {
    using rt = newRuntime();
    fc.assert(
      fc.property(fc.anything({ withMap: true, withSet: true, withBigInt: true, withDate: true, withSparseArray: true, maxDepth: 3 }).filter((v) => !hasInvalidDate(v)), (value) => {
        // The guest stores it as a global, then a second call returns it.
        rt.invoke((v: unknown) => {
          (globalThis as { stored?: unknown }).stored = v;
        }, value);
        assert.deepStrictEqual(rt.evaluate("stored"), value);
      }),
      { numRuns: 100 },
    );
  });
});
