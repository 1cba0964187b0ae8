/**
 * A program's stdout and stderr: ordered chunks, capped in bytes, streamed as they are written.
 * The first write after a pause goes out at once; writes that follow it within the coalescing
 * window, to either stream, are held back and go out together as one chunk (ordered segments, see
 * OutputChunk) once that time has passed (seen at the next write or at the engine's next interrupt
 * poll), the host next gets control, or the program ends. The window is COALESCE_MS for a run's
 * first FAST_CHUNKS chunks, then SLOW_COALESCE_MS: a run sends at most FAST_CHUNKS + one chunk per
 * SLOW_COALESCE_MS, however it writes (alternating one-byte writes to stdout and stderr included),
 * so no amount of writing multiplies the host's work (messages, stored events) beyond the bytes.
 */
import type { OutputChunk } from "./runner.js";

export const COALESCE_MS = 2;
export const FAST_CHUNKS = 1000;
export const SLOW_COALESCE_MS = 100;
export const MAX_CHUNK_CHARS = 64 * 1024;

/** A chunk's segments, in order: one per run of writes to the same stream. */
export function outputSegments(chunk: OutputChunk): { stream: "stdout" | "stderr"; text: string }[] {
  const switches = chunk.switches ?? [];
  const segments: { stream: "stdout" | "stderr"; text: string }[] = [];
  let stream = chunk.stream;
  let from = 0;
  for (const at of [...switches, chunk.text.length]) {
    if (at > from) segments.push({ stream, text: chunk.text.slice(from, at) });
    from = at;
    stream = stream === "stdout" ? "stderr" : "stdout";
  }
  return segments;
}

export class ProgramOutput {
  readonly chunks: OutputChunk[] = [];
  #bytes = 0;
  #exceeded = false;
  #pending: OutputChunk | undefined;
  /** The stream of the pending chunk's last segment. */
  #pendingStream: "stdout" | "stderr" = "stdout";
  #lastSent = -Infinity;

  constructor(
    private readonly maxBytes: number,
    private readonly started: number,
    private readonly onChunk: ((chunk: OutputChunk) => void) | undefined,
    /** Called once, when a write passes the cap (what fits of it is kept). */
    private readonly onExceeded: () => void,
    /** Milliseconds, the same clock as `started`. */
    private readonly clock: () => number = () => performance.now(),
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
    // A long write goes out in pieces of at most MAX_CHUNK_CHARS (never splitting a surrogate pair):
    // a chunk is a bounded unit for everything downstream (messages, stored rows, pages of output).
    while (text.length > MAX_CHUNK_CHARS) {
      const cut = isHighSurrogate(text.charCodeAt(MAX_CHUNK_CHARS - 1)) ? MAX_CHUNK_CHARS - 1 : MAX_CHUNK_CHARS;
      this.#add(stream, text.slice(0, cut));
      text = text.slice(cut);
    }
    if (text !== "") this.#add(stream, text);
  }

  #add(stream: "stdout" | "stderr", text: string): void {
    const now = this.clock() - this.started;
    const pending = this.#pending;
    if (pending && now - this.#lastSent < this.#window && pending.text.length + text.length <= MAX_CHUNK_CHARS) {
      if (this.#pendingStream !== stream) (pending.switches ??= []).push(pending.text.length);
      this.#pendingStream = stream;
      pending.text += text;
      return;
    }
    this.flush();
    const chunk: OutputChunk = { stream, text, timeMs: Math.round(now * 1000) / 1000 };
    if (now - this.#lastSent >= this.#window) this.#send(chunk, now);
    else {
      this.#pending = chunk;
      this.#pendingStream = stream;
      queueMicrotask(() => this.flush()); // runs once the guest has yielded to the host
    }
  }

  /** Sends what is held back once its time has passed: while the guest runs on without writing or yielding. */
  flushIfDue(): void {
    if (this.#pending && this.clock() - this.started - this.#lastSent >= this.#window) this.flush();
  }

  /** Sends what is held back. */
  flush(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    this.#send(pending, this.clock() - this.started);
  }

  /** How long writes are held back to go out together: longer once the run has sent many chunks. */
  get #window(): number {
    return this.chunks.length < FAST_CHUNKS ? COALESCE_MS : SLOW_COALESCE_MS;
  }

  #send(chunk: OutputChunk, now: number): void {
    this.#lastSent = now;
    this.chunks.push(chunk);
    this.onChunk?.(chunk);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
