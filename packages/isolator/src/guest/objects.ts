/**
 * The guest half of isolated objects: a table of live guest objects the host refers to by id
 * (the host never holds engine handles to them), and the calls made on them. Compiled in a
 * runtime on first use, with the intrinsics its prelude captured. Self-contained.
 */
import type { Intrinsics } from "./intrinsics.js";

export interface ObjectTable {
  construct(Ctor: unknown, args: unknown[]): number;
  call(id: number, name: string, args: unknown[]): unknown;
  apply(fn: unknown, id: number, args: unknown[]): unknown;
  method(owner: unknown, name: string): unknown;
  get(id: number): unknown;
  release(id: number): void;
}

export function createObjectTable(I: Intrinsics): ObjectTable {
  const table = new I.Map<number, object>();
  let next = 1;
  const { apply } = I;
  const construct = I.construct as (C: unknown, a: unknown[]) => object;
  /** Lookup failures carry their kind in the name: the host turns them into IsolatedLookupError. */
  const fail = (kind: string, message: string): never => {
    const e = new I.errors.Error!(message);
    e.name = `IsolatorLookupError:${kind}`;
    throw e;
  };
  const target = (id: number): object => (I.mapGet(table, id) as object | undefined) ?? fail("object", `object ${id} was released`);
  const callable = (owner: object, name: string, what: string): ((...a: unknown[]) => unknown) => {
    if (name.startsWith("#")) fail("private", `${name} is private: private members cannot be reached from outside the class`);
    const fn = (owner as Record<string, unknown>)[name];
    if (typeof fn !== "function") fail("method", `${what} has no method '${name}'`);
    return fn as (...a: unknown[]) => unknown;
  };
  const arity = (fn: { length: number; name?: string }, args: unknown[], name: string) => {
    if (args.length < fn.length) fail("arity", `'${name}' takes at least ${fn.length} argument${fn.length === 1 ? "" : "s"}, got ${args.length}`);
  };
  return {
    construct(Ctor, args) {
      if (typeof Ctor !== "function" || !("prototype" in Ctor) || Ctor.prototype === undefined) fail("constructor", `${String((Ctor as { name?: string })?.name ?? Ctor)} is not a class or constructor`);
      arity(Ctor as { length: number }, args, (Ctor as { name: string }).name || "the constructor");
      const o = construct(Ctor, args);
      const id = next++;
      I.mapSet(table, id, o);
      return id;
    },
    call(id, name, args) {
      const o = target(id);
      const fn = callable(o, name, "the object");
      arity(fn, args, name);
      return apply(fn, o, args);
    },
    apply(fn, id, args) {
      if (typeof fn !== "function") fail("method", "not a function");
      arity(fn as { length: number }, args, (fn as { name: string }).name || "the method");
      return apply(fn as (...a: unknown[]) => unknown, id === 0 ? undefined : target(id), args);
    },
    method(owner, name) {
      const where = typeof owner === "function" ? (owner as { prototype?: object }).prototype ?? owner : owner;
      return callable(where as object, name, typeof owner === "function" ? `class ${(owner as { name: string }).name}` : "the module");
    },
    get: target,
    release(id) {
      I.mapDelete(table, id);
    },
  };
}
