/**
 * A bound on the requests one client (API key, else address) has open at once — long-polls, event
 * streams and answers it is slow to read included: beyond it, 429 `too_many_connections`. Each open
 * request holds server memory until the client reads it; the rate limit alone does not bound how
 * many are open.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { HttpError } from "./http-error.js";

export function limitOpenRequestsPerClient(app: FastifyInstance, max: number, clientKey: (req: FastifyRequest) => string): void {
  const open = new Map<string, number>();
  app.addHook("onRequest", async (req, reply) => {
    if (req.url === "/api/health") return; // as for the rate limit: monitoring always gets through
    const key = clientKey(req);
    const count = open.get(key) ?? 0;
    if (count >= max) throw new HttpError(429, "too_many_connections", `at most ${max} requests may be open at once per client; read or close some first`, undefined, { "retry-after": "1" });
    open.set(key, count + 1);
    reply.raw.once("close", () => {
      const left = open.get(key)! - 1;
      if (left === 0) open.delete(key);
      else open.set(key, left);
    });
  });
}
