/**
 * AbortController / AbortSignal (with `abort`, `timeout`, `any`) on event-target-shim's Event and
 * EventTarget, after the DOM Standard.
 */
import { Event, EventTarget, getEventAttributeValue, setEventAttributeValue } from "event-target-shim";
import { DOMException } from "./dom-exception.js";

const create = Symbol("create");
/** AbortController's way in to its signal (set by AbortSignal's static block). */
let signalAbort: (signal: AbortSignal, reason: unknown) => void;
type AbortListener = ((this: AbortSignal, event: Event) => unknown) | null;

export class AbortSignal extends EventTarget<{ abort: Event }> {
  #aborted = false;
  #reason: unknown = undefined;
  /** Signals that follow this one (AbortSignal.any). */
  readonly #dependents: AbortSignal[] = [];

  constructor(key?: symbol) {
    if (key !== create) throw new TypeError("Illegal constructor");
    super();
  }

  static [create](): AbortSignal {
    return new AbortSignal(create);
  }

  get aborted(): boolean {
    return this.#aborted;
  }
  get reason(): unknown {
    return this.#reason;
  }
  get onabort(): AbortListener {
    return getEventAttributeValue(this, "abort") as AbortListener;
  }
  set onabort(listener: AbortListener) {
    setEventAttributeValue(this, "abort", listener as never);
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  static abort(reason?: unknown): AbortSignal {
    const signal = AbortSignal[create]();
    signal.#aborted = true;
    signal.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
    return signal;
  }

  static timeout(ms: number): AbortSignal {
    const delay = Number(ms);
    if (!Number.isFinite(delay) || delay < 0) throw new TypeError(`The "delay" argument must be a non-negative finite number; received ${String(ms)}`);
    const signal = AbortSignal[create]();
    setTimeout(() => signal.#signal(new DOMException("The operation was aborted due to timeout", "TimeoutError")), delay);
    return signal;
  }

  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const result = AbortSignal[create]();
    const list = [...signals];
    for (const s of list) if (!(s instanceof AbortSignal)) throw new TypeError("AbortSignal.any takes AbortSignals");
    const aborted = list.find((s) => s.#aborted);
    if (aborted) {
      result.#aborted = true;
      result.#reason = aborted.#reason;
      return result;
    }
    for (const s of list) s.#dependents.push(result);
    return result;
  }

  #signal(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
    const dependents = this.#dependents.splice(0);
    this.dispatchEvent(new Event("abort"));
    for (const d of dependents) d.#signal(this.#reason);
  }

  static {
    signalAbort = (signal, reason) => signal.#signal(reason);
  }

  get [Symbol.toStringTag](): string {
    return "AbortSignal";
  }
}


export class AbortController {
  readonly #signal = AbortSignal[create]();

  get signal(): AbortSignal {
    return this.#signal;
  }

  abort(reason?: unknown): void {
    signalAbort(this.#signal, reason);
  }

  get [Symbol.toStringTag](): string {
    return "AbortController";
  }
}
