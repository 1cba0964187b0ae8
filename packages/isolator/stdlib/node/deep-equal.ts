/**
 * Node's deep equality (assert.deepStrictEqual / util.isDeepStrictEqual, and the loose
 * assert.deepEqual): same own enumerable keys (and, strictly, symbols and prototypes), Object.is
 * for primitives (strict) or == (loose), Maps and Sets by content, Dates by time, RegExps by
 * source and flags, boxed primitives and errors' name and message, cycles tolerated.
 */
const tag = (v: object) => Object.prototype.toString.call(v);

export function deepEqual(a: unknown, b: unknown, strict: boolean, seen = new Map<object, object>()): boolean {
  if (strict ? Object.is(a, b) : a === b || (a == b && (typeof a !== "object" || a === null) && (typeof b !== "object" || b === null))) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return !strict && typeof a !== "object" && typeof b !== "object" && Number.isNaN(a) && Number.isNaN(b);
  }
  if (tag(a) !== tag(b)) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date && b instanceof Date) {
    if (a.getTime() !== b.getTime() && !(Number.isNaN(a.getTime()) && Number.isNaN(b.getTime()))) return false;
  } else if (a instanceof RegExp && b instanceof RegExp) {
    if (a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex) return false;
  } else if (a instanceof Error && b instanceof Error) {
    if (a.name !== b.name || a.message !== b.message) return false;
  } else if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    if (!(a instanceof DataView)) return sameKeys(a, b, strict, seen, true);
  } else if (a instanceof ArrayBuffer && b instanceof ArrayBuffer) {
    return deepEqual(new Uint8Array(a), new Uint8Array(b), strict, seen);
  } else if (a instanceof Number || a instanceof String || a instanceof Boolean || a instanceof BigInt || a instanceof Symbol) {
    if (!Object.is(a.valueOf(), (b as typeof a).valueOf())) return false;
  } else if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (b.has(k)) {
        if (!deepEqual(v, b.get(k), strict, seen)) return false;
      } else if (![...b].some(([k2, v2]) => deepEqual(k, k2, strict, seen) && deepEqual(v, v2, strict, seen))) return false;
    }
  } else if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v) && ![...b].some((v2) => deepEqual(v, v2, strict, seen))) return false;
  } else if (a instanceof WeakMap || a instanceof WeakSet || a instanceof Promise) {
    return false;
  }
  return sameKeys(a, b, strict, seen, false);
}

function sameKeys(a: object, b: object, strict: boolean, seen: Map<object, object>, skipIndices: boolean): boolean {
  const own = (o: object) => {
    const keys: (string | symbol)[] = Object.keys(o).filter((k) => !(skipIndices && /^\d+$/.test(k)));
    if (strict) for (const s of Object.getOwnPropertySymbols(o)) if (Object.prototype.propertyIsEnumerable.call(o, s)) keys.push(s);
    return keys;
  };
  const ka = own(a);
  const kb = own(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.propertyIsEnumerable.call(b, k)) return false;
    if (!deepEqual((a as Record<string | symbol, unknown>)[k], (b as Record<string | symbol, unknown>)[k], strict, seen)) return false;
  }
  return true;
}
