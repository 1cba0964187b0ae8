/**
 * A program's promises rejected with no handler yet, as the engine's promise rejection tracker
 * reports them (engine/rejection-hook.ts): once when such a promise rejects, once more if a
 * handler arrives later. All are counted; the first few are held (the promise too, so no other
 * promise takes its address while it is held) so the first can be reported. A flood of them costs
 * the host nothing.
 */
import type { QuickJSHandle } from "quickjs-emscripten-core";
import { IsolatedMemoryError } from "../errors.js";
import type { EngineInstance } from "../host.js";

/** How many are held, to report the first: the rest are only counted. */
const MAX_HELD = 16;

type ContextPointer = Parameters<EngineInstance["ffi"]["QTS_DupValuePointer"]>[0];
type ValuePointer = Parameters<EngineInstance["ffi"]["QTS_DupValuePointer"]>[1];

export class UnhandledRejections {
  #count = 0;
  readonly #held = new Map<number, { promise: QuickJSHandle; reason: QuickJSHandle }>();
  /** An 8-byte cell in the engine's memory for handing it a raw value. */
  #cell = 0;

  constructor(
    private readonly engine: EngineInstance,
    private readonly ctx: ContextPointer,
    private readonly handleOf: (pointer: number) => QuickJSHandle,
    private readonly memoryLimit: number,
  ) {}

  /** How many rejected promises have no handler now. */
  get count(): number {
    return this.#count;
  }

  /**
   * The engine's tracker; it runs inside the engine. Letting a held promise go at once is safe
   * there: the engine is handling that very promise (it holds it, and the promise its reason),
   * so dropping our references frees nothing but our handles.
   */
  track(promise: bigint, reason: bigint, handled: boolean): void {
    const key = Number(promise & 0xffffffffn);
    const held = this.#held.get(key);
    if (held && handled) {
      this.#held.delete(key);
      held.promise.dispose();
      held.reason.dispose();
    }
    // A handler for a promise already taken (or never counted) is not one of those counted now.
    if (!handled) this.#count++;
    else if (held || this.#count > this.#held.size) this.#count--;
    if (!handled && this.#held.size < MAX_HELD) this.#held.set(key, { promise: this.#handle(promise), reason: this.#handle(reason) });
  }

  /** The first held rejection's reason (a new handle), if one is held. */
  firstReason(): QuickJSHandle | undefined {
    const [first] = this.#held.values();
    return first?.reason.dup();
  }

  /** Hands over the held rejections, [reason, promise] (the caller disposes them), and forgets all counted: those raised from now on count afresh. */
  take(): [QuickJSHandle, QuickJSHandle][] {
    const taken = [...this.#held.values()].map(({ reason, promise }): [QuickJSHandle, QuickJSHandle] => [reason, promise]);
    this.#held.clear();
    this.#count = 0;
    return taken;
  }

  /** A handle of its own on a raw engine value. */
  #handle(bits: bigint): QuickJSHandle {
    this.#cell ||= this.engine.malloc(8);
    if (!this.#cell) throw new IsolatedMemoryError(this.memoryLimit);
    new DataView(this.engine.memory.buffer).setBigUint64(this.#cell, bits, true);
    return this.handleOf(this.engine.ffi.QTS_DupValuePointer(this.ctx, this.#cell as unknown as ValuePointer) as unknown as number);
  }
}
