/**
 * A program's stdout and stderr: ordered chunks, capped in bytes, streamed as they are written.
 * A write after a pause goes out at once; writes that follow within COALESCE_MS go out together,
 * as one chunk, when the pause comes (seen at the next write or the engine's next interrupt poll),
 * the stream changes or the host next gets control. A loop of
 * one-byte writes makes about one chunk a millisecond rather than one per write, so no amount of
 * writing multiplies the host's work (messages, stored events) beyond the bytes themselves.
 */
import type { OutputChunk } from "./runner.js";

export const COALESCE_MS = 2;
const MAX_CHUNK_CHARS = 64 * 1024;

export class ProgramOutput {
  readonly chunks: OutputChunk[] = [];
  #bytes = 0;
  #exceeded = false;
  #pending: OutputChunk | undefined;
  #lastSent = -Infinity;

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
    if (pending && pending.stream === stream && now - this.#lastSent < COALESCE_MS && pending.text.length + text.length <= MAX_CHUNK_CHARS) {
      pending.text += text;
      return;
    }
    this.flush();
    const chunk = { stream, text, timeMs: Math.round(now * 1000) / 1000 };
    if (now - this.#lastSent >= COALESCE_MS) this.#send(chunk, now);
    else {
      this.#pending = chunk;
      queueMicrotask(() => this.flush()); // runs once the guest has yielded to the host
    }
  }

  /** Sends what is held back if the pause has come: while the guest runs on without writing or yielding. */
  flushIfDue(): void {
    if (this.#pending && performance.now() - this.started - this.#lastSent >= COALESCE_MS) this.flush();
  }

  /** Sends what is held back. */
  flush(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    this.#send(pending, performance.now() - this.started);
  }

  #send(chunk: OutputChunk, now: number): void {
    this.#lastSent = now;
    this.chunks.push(chunk);
    this.onChunk?.(chunk);
  }
}
