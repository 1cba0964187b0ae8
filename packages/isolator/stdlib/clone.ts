/**
 * structuredClone on the sandbox's own codec (codec/tape.ts): what can cross between runtimes can
 * be cloned; functions, symbols, WeakMaps, promises and the like are a DataCloneError.
 */
import { createTape } from "../src/codec/tape.js";
import { captureIntrinsics } from "../src/guest/intrinsics.js";
import { DOMException } from "./dom-exception.js";

const tape = createTape(captureIntrinsics(globalThis));

export function structuredClone(value: unknown, options?: { transfer?: unknown[] }): unknown {
  if (arguments.length === 0) throw new TypeError("structuredClone requires 1 argument");
  if (options?.transfer !== undefined && [...options.transfer].length > 0) throw new DOMException("Transferring is not supported in the sandbox", "DataCloneError");
  const t = tape.toTape(value);
  if (Array.isArray(t) && t[0] === "!") throw new DOMException(`${String(t[2])} could not be cloned (at ${String(t[1])})`, "DataCloneError");
  return tape.fromTape(t);
}
