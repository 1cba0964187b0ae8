/**
 * A program's stdout and stderr: ordered chunks, capped in bytes, streamed as they are written.
 * A write is held back for up to COALESCE_MS, with the writes that follow it on the same stream,
 * and goes out as one chunk when that time has passed (seen at the next write or the engine's
 * next interrupt poll), the stream changes, the host next gets control, or the program ends. A
 * loop of one-byte writes makes one chunk per COALESCE_MS rather than one per write, so no amount
 * of writing multiplies the host's work (messages, stored events) beyond the bytes; and a short
 * program's output travels with its result, in no message of its own.
 */
import type { OutputChunk } from "./runner.js";

export const COALESCE_MS = 2;
const MAX_CHUNK_CHARS = 64 * 1024;

export class ProgramOutput {
  readonly chunks: OutputChunk[] = [];
  #bytes = 0;
  #exceeded = false;
  #pending: OutputChunk | undefined;
  #pendingSince = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly started: number,
    private readonly onChunk: ((chunk: OutputChunk) => void) | undefined,
    /** Called once, when a write passes the cap (what fits of it is kept). */
    private readonly onExceeded: () => void,
  ) {}

  get exceeded(): boolean {
    return this.#exceeded;
  }

  write(stream: "stdout" | "stderr", text: string): void {
    if (this.#exceeded || text === "") return;
    const bytes = Buffer.byteLength(text);
    if (this.#bytes + bytes > this.maxBytes) {
      text = Buffer.from(text).subarray(0, this.maxBytes - this.#bytes).toString();
      this.#exceeded = true;
      this.onExceeded();
    }
    this.#bytes += Buffer.byteLength(text);
    const now = performance.now() - this.started;
    const pending = this.#pending;
    if (pending && pending.stream === stream && now - this.#pendingSince < COALESCE_MS && pending.text.length + text.length <= MAX_CHUNK_CHARS) {
      pending.text += text;
      return;
    }
    this.flush();
    this.#pending = { stream, text, timeMs: Math.round(now * 1000) / 1000 };
    this.#pendingSince = now;
    queueMicrotask(() => this.flush()); // runs once the guest has yielded to the host
  }

  /** Sends what is held back once its time has passed: while the guest runs on without writing or yielding. */
  flushIfDue(): void {
    if (this.#pending && performance.now() - this.started - this.#pendingSince >= COALESCE_MS) this.flush();
  }

  /** Sends what is held back. */
  flush(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    this.chunks.push(pending);
    this.onChunk?.(pending);
  }
}
