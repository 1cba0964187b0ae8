/**
 * A run as Server-Sent Events: what is stored after Last-Event-ID, then live events, then
 * `event: run` with the final view once it is terminal, or `event: gone` if it is deleted; then
 * the stream ends. Nothing is written once the client has gone.
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { LiveEvent, RunService } from "../orchestrator/run-service.js";
import { TERMINAL, type RunRecord, type RunStore } from "../store/run-store.js";
import { view } from "./run-view.js";

const HEARTBEAT_MS = 15_000;

export async function streamEvents(req: FastifyRequest, reply: FastifyReply, run: RunRecord, store: RunStore, runs: RunService, log: FastifyBaseLogger): Promise<void> {
  const lastId = Number(req.headers["last-event-id"] ?? 0) || 0;
  const res = reply.raw;
  let sent = lastId;
  let closed = false;
  let ending = false;
  const write = (text: string) => {
    if (!closed && !res.destroyed) res.write(text);
  };
  const send = (event: LiveEvent) => {
    if (closed || ending) return;
    if (event.type === "gone") return end();
    if (event.seq <= sent) return;
    sent = event.seq;
    write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
    if (event.type === "status" && TERMINAL.has((event.data as { status: RunRecord["status"] }).status)) end();
  };
  // Subscribe first, then replay what is stored: nothing falls between the two.
  const pending: LiveEvent[] = [];
  let replayed = false;
  const unsubscribe = await runs.subscribe(run.id, (event) => (replayed ? send(event) : void pending.push(event)));
  const stop = () => {
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
  };
  /** The final event: the run's view, or `gone` if it was purged meanwhile. */
  const end = () => {
    if (closed || ending) return;
    ending = true; // nothing else is sent meanwhile
    void (async () => {
      const final = await store.get(run.id);
      const last = !final || final.purged ? `event: gone\ndata: ${JSON.stringify({ id: run.id })}\n\n` : `event: run\ndata: ${JSON.stringify(await view(final, store))}\n\n`;
      write(last);
      stop();
      res.end();
    })().catch(fail);
  };
  const fail = (e: unknown) => {
    stop();
    log.error({ err: e, runId: run.id }, "the event stream failed");
    res.destroy();
  };
  reply.hijack();
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
  const heartbeat = setInterval(() => write(": keep-alive\n\n"), HEARTBEAT_MS);
  res.on("close", stop);
  try {
    for (const event of await store.eventsAfter(run.id, lastId)) send(event);
    replayed = true;
    for (const event of pending) send(event);
    const now = await store.get(run.id);
    if (!now || now.purged || TERMINAL.has(now.status)) end();
  } catch (e) {
    fail(e);
  }
}
