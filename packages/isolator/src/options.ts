import { IsolatorError } from "./errors.js";

/** Drops keys set to undefined, so spreading options over defaults keeps the defaults. */
export function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The largest stackLimit: the engine's own stack is 5 MiB, and its depth check (stackLimit) must
 * fire before recursion reaches the end of it, which would overwrite the engine's static data.
 */
export const MAX_STACK_LIMIT = 4 * 1024 * 1024;

/** Limit options are positive, finite numbers: milliseconds for timeLimit, bytes for the rest. */
export function assertLimits<K extends string>(options: Partial<Record<K, unknown>>, keys: readonly K[]): void {
  for (const key of keys) {
    const v = options[key];
    if (v !== undefined && !(typeof v === "number" && v > 0 && Number.isFinite(v))) {
      throw new IsolatorError(`option ${key} must be a positive number of ${key === "timeLimit" ? "milliseconds" : "bytes"}`);
    }
    if (key === "stackLimit" && typeof v === "number" && v > MAX_STACK_LIMIT) {
      throw new IsolatorError(`option stackLimit must be at most ${MAX_STACK_LIMIT} bytes (4 MiB): the engine's own stack is 5 MiB`);
    }
  }
}
