/**
 * A program's stdout and stderr: ordered chunks, capped in bytes, streamed as they are written.
 * The first write after a pause goes out at once; writes that follow it within COALESCE_MS on the
 * same stream are held back and go out together, as one chunk, once that time has passed (seen at
 * the next write or at the engine's next interrupt poll), the stream changes, the host next gets
 * control, or the program ends. A loop of one-byte writes makes about one chunk a millisecond
 * rather than one per write, so no amount of writing multiplies the host's work (messages, stored
 * events) beyond the bytes.
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
      // What fits, cut at a character boundary (a partial character is held back, never decoded).
      text = new TextDecoder().decode(Buffer.from(text).subarray(0, this.maxBytes - this.#bytes), { stream: true });
      this.#exceeded = true;
      this.onExceeded();
    }
    this.#bytes += Buffer.byteLength(text);
    if (text === "") return;
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

  /** Sends what is held back once its time has passed: while the guest runs on without writing or yielding. */
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
