/**
 * Lingering close, as nginx does it: a request answered before its body was read (413, 401, 415,
 * 429...) keeps its connection while the rest of the body is read and discarded, for at most
 * LINGER_MS after the answer; then the connection is closed. Closing at once, with the client
 * still writing, resets the connection under it, and clients such as Node's fetch then report a
 * socket error instead of the answer.
 */
import type { FastifyInstance } from "fastify";

const LINGER_MS = 3000;

export function lingerOnUnreadBodies(app: FastifyInstance, lingerMs = LINGER_MS): void {
  app.addHook("onSend", async (req, reply, payload) => {
    // Fastify asks for `Connection: close` after a body error: Node would then close the socket
    // as soon as the answer is written, with the body still arriving.
    if (!req.raw.complete) reply.removeHeader("connection");
    return payload;
  });
  app.addHook("onResponse", async (req) => {
    const request = req.raw;
    if (request.complete) return;
    const socket = request.socket;
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    request.once("end", () => clearTimeout(timer));
    request.once("close", () => clearTimeout(timer));
    request.resume(); // read and discard
  });
}
