/**
 * The guest API: what code running inside an IsolatedRuntime imports as "isolator/guest".
 * Inside a runtime it is the `IsolatorHost` global the prelude installs; anywhere else (the
 * host process) every call throws, so guest code cannot silently run outside its sandbox.
 */
import { IsolatorError } from "./errors.js";

export interface GuestHost {
  /** Calls a synchronous host callback by name; the result is copied in. */
  invoke<T = unknown>(name: string, ...args: unknown[]): T;
  /** Calls any host callback by name (only under invokeAsync / evaluateAsync). */
  invokeAsync<T = unknown>(name: string, ...args: unknown[]): Promise<T>;
}

declare global {
  /** Inside a runtime: the guest's door to the callbacks its host registered. */
  var IsolatorHost: GuestHost;
}

const outside = (): never => {
  throw new IsolatorError("isolator/guest is the API of code running inside an IsolatedRuntime; it cannot be used in the host process");
};

export const host: GuestHost = (globalThis as { IsolatorHost?: GuestHost }).IsolatorHost ?? { invoke: outside, invokeAsync: outside };
