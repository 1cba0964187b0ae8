import { IsolatorError } from "./errors.js";

/** Drops keys set to undefined, so spreading options over defaults keeps the defaults. */
export function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Limit options are positive, finite numbers: milliseconds for timeLimit, bytes for the rest. */
export function assertLimits<K extends string>(options: Partial<Record<K, unknown>>, keys: readonly K[]): void {
  for (const key of keys) {
    const v = options[key];
    if (v !== undefined && !(typeof v === "number" && v > 0 && Number.isFinite(v))) {
      throw new IsolatorError(`option ${key} must be a positive number of ${key === "timeLimit" ? "milliseconds" : "bytes"}`);
    }
  }
}
