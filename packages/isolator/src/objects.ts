/**
 * Isolated objects and methods: objects that live in a runtime, driven from the host by name.
 * The host holds only an id; the guest's object table holds the object.
 */
import { IsolatedRuntimeDisposedError, IsolatorError } from "./errors.js";
import { lambdaSource, type LambdaSource } from "./lambda.js";
import type { IsolatedRuntime } from "./runtime.js";

/** Where a class or function comes from: self-contained source, or a module (and an export of it). */
export type OwnerRef = { source: LambdaSource } | { specifier: string; exportName?: string };

export const objectSupport = Symbol("isolator.objects");
export interface ObjectSupport {
  runtime: IsolatedRuntime;
  construct(owner: OwnerRef, args: unknown[]): number;
  call(id: number, name: string, args: unknown[]): unknown;
  callAsync(id: number, name: string, args: unknown[]): Promise<unknown>;
  apply(owner: OwnerRef, name: string, id: number, args: unknown[]): unknown;
  check(owner: OwnerRef, name: string): void;
  release(id: number): void;
}

type Constructor = abstract new (...args: never[]) => unknown;

/**
 * `createObject(Class, ...args)` or `createObject(specifier, exportName, ...args)`. A class the host
 * registered with its module (`withClass(Class, module)`) is that module's export; any other class
 * must be self-contained (its source is shipped).
 */
export function ownerOf(classOrModule: Constructor | string, rest: unknown[], registered?: (cls: Constructor) => OwnerRef | undefined): [OwnerRef, unknown[]] {
  if (typeof classOrModule === "string") {
    const [exportName, ...args] = rest;
    if (typeof exportName !== "string") throw new IsolatorError("createObject(specifier, exportName, ...args) needs the export's name");
    return [{ specifier: classOrModule, exportName }, args];
  }
  if (typeof classOrModule !== "function") throw new IsolatorError("createObject takes a class or a module specifier");
  return [registered?.(classOrModule) ?? { source: lambdaSource(classOrModule as never, "class") }, rest];
}

const live = new WeakMap<object, { runtime: IsolatedRuntime; id: number }>();

/** The guest id of an IsolatedObject of this runtime (another runtime's object is an error). */
export function liveObjectId(value: unknown, runtime: IsolatedRuntime): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const entry = live.get(value);
  if (entry === undefined) return undefined;
  if (entry.runtime !== runtime) throw new IsolatorError("this IsolatedObject belongs to another runtime");
  if (entry.id === 0) throw new IsolatedRuntimeDisposedError("this IsolatedObject has been disposed");
  return entry.id;
}

export class IsolatedObject implements Disposable {
  readonly #support: ObjectSupport;
  #id: number;

  /** @internal */
  constructor(runtime: IsolatedRuntime, id: number) {
    this.#support = runtime[objectSupport];
    this.#id = id;
    live.set(this, { runtime, id });
  }

  get runtime(): IsolatedRuntime {
    return this.#support.runtime;
  }

  #alive(): number {
    if (this.#id === 0) throw new IsolatedRuntimeDisposedError("this IsolatedObject has been disposed");
    return this.#id;
  }

  /** Calls a method; arguments copied in, the result copied out. */
  invoke<T = unknown>(method: string, ...args: unknown[]): T {
    return this.#support.call(this.#alive(), method, args) as T;
  }

  /** Calls a method for its effect; the result is not copied out. */
  invokeVoid(method: string, ...args: unknown[]): void {
    this.#support.call(this.#alive(), method, args);
  }

  /** Calls a method that may be async; jobs, timers and async callbacks run until it settles. */
  invokeAsync<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.#support.callAsync(this.#alive(), method, args) as Promise<T>;
  }

  /** The method, not bound to this object: call it on any object of the class. */
  findMethod(name: string): IsolatedMethod {
    this.#alive();
    return new IsolatedMethod(this.runtime, { object: this }, name);
  }

  /** Releases the object in the guest. Never throws. */
  dispose(): void {
    if (this.#id === 0) return;
    const id = this.#id;
    this.#id = 0;
    live.set(this, { runtime: this.runtime, id: 0 });
    try {
      this.#support.release(id);
    } catch {
      // the runtime is gone or faulted: the object went with it
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export class IsolatedMethod implements Disposable {
  readonly #runtime: IsolatedRuntime;
  readonly #owner: OwnerRef | { object: IsolatedObject };
  readonly #name: string;
  #disposed = false;

  /** @internal */
  constructor(runtime: IsolatedRuntime, owner: OwnerRef | { object: IsolatedObject }, name: string) {
    this.#runtime = runtime;
    this.#owner = owner;
    this.#name = name;
    if (!("object" in owner)) runtime[objectSupport].check(owner, name); // a missing method fails now, not at the first call
  }

  /** Calls the method on `target` (an IsolatedObject of this runtime, or null for a plain function). */
  invoke<T = unknown>(target: IsolatedObject | null, ...args: unknown[]): T {
    if (this.#disposed) throw new IsolatedRuntimeDisposedError("this IsolatedMethod has been disposed");
    const id = target === null ? 0 : liveObjectId(target, this.#runtime);
    if (id === undefined) throw new IsolatorError("the target must be an IsolatedObject of this runtime, or null");
    const support = this.#runtime[objectSupport];
    if ("object" in this.#owner) return support.call(id === 0 ? liveObjectId(this.#owner.object, this.#runtime)! : id, this.#name, args) as T;
    return support.apply(this.#owner, this.#name, id, args) as T;
  }

  dispose(): void {
    this.#disposed = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
