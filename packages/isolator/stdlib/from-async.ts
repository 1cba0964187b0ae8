/** Array.fromAsync, after the ES2026 algorithm: async iterables, sync iterables of promises, array-likes. */
type MapFn = (value: unknown, index: number) => unknown;

export async function fromAsync(this: unknown, items: unknown, mapfn?: MapFn, thisArg?: unknown): Promise<unknown[]> {
  if (mapfn !== undefined && typeof mapfn !== "function") throw new TypeError("Array.fromAsync: the mapper is not a function");
  if (items === null || items === undefined) throw new TypeError("Array.fromAsync requires an iterable or array-like object");
  const C = typeof this === "function" ? (this as new (length?: number) => unknown[]) : Array;
  const source = Object(items) as Record<symbol | string, unknown>;
  const map = async (v: unknown, k: number) => (mapfn === undefined ? v : await Reflect.apply(mapfn, thisArg, [v, k]));
  if (source[Symbol.asyncIterator] != null || source[Symbol.iterator] != null) {
    const out = new C();
    let k = 0;
    if (source[Symbol.asyncIterator] != null) for await (const v of source as unknown as AsyncIterable<unknown>) out[k] = await map(v, k++);
    else for (const v of source as unknown as Iterable<unknown>) out[k] = await map(await v, k++);
    out.length = k;
    return out;
  }
  const length = Math.min(Math.max(Math.trunc(Number(source.length)) || 0, 0), Number.MAX_SAFE_INTEGER);
  const out = new C(length);
  for (let k = 0; k < length; k++) out[k] = await map(await source[k], k);
  out.length = length;
  return out;
}
