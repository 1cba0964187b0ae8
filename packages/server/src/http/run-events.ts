/**
 * A run as Server-Sent Events: its stored events after Last-Event-ID, then new ones as they are
 * stored, then `event: run` with the final view once it is terminal, or `event: gone` if it is
 * deleted; then the stream ends. Events are read from the store a page at a time and written only
 * as fast as the client reads (the next page waits for 'drain'), so a slow reader holds at most a
 * page and the socket's buffer. Nothing is written once the client has gone.
 */
import { once } from "node:events";
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { RunService } from "../orchestrator/run-service.js";
import { TERMINAL, type RunEvent, type RunRecord, type RunStore } from "../store/run-store.js";
import { view } from "./run-view.js";

const HEARTBEAT_MS = 15_000;
/** Events read from the store at a time. */
const PAGE = 64;

export async function streamEvents(req: FastifyRequest, reply: FastifyReply, run: RunRecord, store: RunStore, runs: RunService, log: FastifyBaseLogger): Promise<void> {
  const res = reply.raw;
  let cursor = Number(req.headers["last-event-id"] ?? 0) || 0;
  let closed = false;
  let gone = false;
  /** Set by every live event: the store has something after what was read (or the run is gone). */
  let dirty = false;
  let wake: (() => void) | undefined;
  const unsubscribe = await runs.subscribe(run.id, (event) => {
    if (event.type === "gone") gone = true;
    dirty = true;
    wake?.();
  });
  const stop = () => {
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    wake?.();
  };
  /** Writes, then waits while the client's buffer is full. */
  const write = async (text: string) => {
    if (closed || res.destroyed) return;
    if (!res.write(text)) await Promise.race([once(res, "drain"), once(res, "close")]);
  };
  reply.hijack();
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
  const heartbeat = setInterval(() => !closed && res.writableLength === 0 && res.write(": keep-alive\n\n"), HEARTBEAT_MS);
  res.on("close", stop);
  try {
    for (;;) {
      dirty = false;
      const events: RunEvent[] = gone ? [] : await store.eventsAfter(run.id, cursor, PAGE);
      for (const event of events) {
        if (closed) return;
        cursor = event.seq;
        await write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
        if (event.type === "status" && TERMINAL.has((event.data as { status: RunRecord["status"] }).status)) return await end();
      }
      if (closed) return;
      if (events.length === PAGE || dirty) continue;
      const now = await store.get(run.id);
      if (gone || !now || now.purged || TERMINAL.has(now.status)) return await end();
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } catch (e) {
    log.error({ err: e, runId: run.id }, "the event stream failed");
    stop();
    res.destroy();
  }

  /** The final event: the run's view, or `gone` if it was purged meanwhile. */
  async function end(): Promise<void> {
    const final = await store.get(run.id);
    await write(!final || final.purged ? `event: gone\ndata: ${JSON.stringify({ id: run.id })}\n\n` : `event: run\ndata: ${JSON.stringify(await view(final, store))}\n\n`);
    stop();
    res.end();
  }
}
