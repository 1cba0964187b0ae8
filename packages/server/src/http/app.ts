/**
 * The HTTP API (Fastify): runs are submitted, read (or long-polled), streamed as Server-Sent
 * Events, cancelled and deleted. Every route validates with JSON Schema; every error is
 * `{ error: { code, message, details } }` with a fitting status.
 */
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import fastifyStatic from "@fastify/static";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { effectiveRateLimit, type ServerConfig } from "../config.js";
import { prettyLog } from "./pretty-log.js";
import { QueueFullError, type RunService } from "../orchestrator/run-service.js";
import { RuntimeUnavailableError, type Runtime } from "../orchestrator/runtimes.js";
import { StoreUnavailableError, TERMINAL, type RunRecord, type RunRequest, type RunStore, type Snippet } from "../store/run-store.js";
import { CheckerBusyError } from "../build/checker-pool.js";
import { HttpError, goneError } from "./http-error.js";
import { limitOpenRequestsPerClient } from "./connection-limit.js";
import { lingerOnUnreadBodies } from "./lingering-close.js";
import type { Metrics } from "./metrics.js";
import { streamEvents } from "./run-events.js";
import { links, outputView, view } from "./run-view.js";
import { acceptedSchema, checkBody, createRunBody, errorSchema, idParams, outputPageSchema, outputQuery, runSchema, snippetBody, snippetSchema, waitQuery } from "./schemas.js";

interface Deps {
  config: ServerConfig;
  store: RunStore;
  orchestrator: RunService;
  metrics: Metrics;
  health: () => Promise<Record<string, unknown>>;
  /** A cluster's Redis: rate limits count there, cluster-wide (else in this process). */
  rateLimitRedis?: Redis;
  rateLimitNameSpace?: string;
}

type CreateRunBody = {
  language?: "typescript" | "javascript";
  runtime?: Runtime;
  source?: string;
  files?: Record<string, string>;
  entry?: string;
  stdin?: string;
  args?: string[];
  typecheck?: boolean;
  limits?: { timeMs?: number; memoryMb?: number; outputKb?: number };
};

export async function buildApp({ config, store, orchestrator, metrics, health, rateLimitRedis, rateLimitNameSpace }: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logLevel === "silent" ? false : { level: config.logLevel, redact: ["req.headers.authorization"], ...(config.logFormat === "pretty" ? { stream: await prettyLog() } : {}) },
    bodyLimit: config.maxSourceBytes * 2 + 2 * 1024 * 1024, // room for stdin; the source cap is checked per request
    // No coercion: a number where a string belongs is an error, not a string.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    genReqId: () => crypto.randomUUID(),
  });

  await app.register(swagger, {
    openapi: {
      info: { title: "Isolator API", version: "0.1.0", description: "Durable code-execution runs of TypeScript and JavaScript in isolated sandboxes." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  if (config.cors.length > 0) await app.register(cors, { origin: config.cors.includes("*") ? true : config.cors });
  // Per valid key, else per address: made-up tokens must not each get a fresh allowance.
  const clientKey = (req: FastifyRequest) => {
    const key = bearer(req);
    return key !== undefined && config.apiKeys.includes(key) ? `key:${key}` : `ip:${req.ip}`;
  };
  limitOpenRequestsPerClient(app, config.maxConnectionsPerClient, clientKey);
  const rateLimitPerMinute = effectiveRateLimit(config);
  if (rateLimitPerMinute !== null) await app.register(rateLimit, {
    ...(rateLimitRedis ? { redis: rateLimitRedis, nameSpace: rateLimitNameSpace, skipOnError: true } : {}),
    max: rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: clientKey,
    allowList: (req) => req.url === "/api/health",
    errorResponseBuilder: (_req, ctx) => new HttpError(429, "rate_limited", `rate limit exceeded: ${ctx.max} requests per minute; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
  });

  lingerOnUnreadBodies(app);
  app.removeContentTypeParser("text/plain"); // the API speaks JSON only: anything else is 415
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown; code?: string }, _req, reply) => {
    if (error instanceof HttpError) return sendError(reply, error);
    if (error instanceof StoreUnavailableError) return sendError(reply, new HttpError(503, "store_unavailable", "the run store does not answer; retry shortly", undefined, { "retry-after": "1" }));
    if (error.validation) return sendError(reply, new HttpError(400, "invalid_request", error.message, error.validation));
    if (error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error instanceof SyntaxError) return sendError(reply, new HttpError(400, "invalid_json", "the request body is not valid JSON"));
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return sendError(reply, new HttpError(413, "payload_too_large", "the request body is too large"));
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return sendError(reply, new HttpError(415, "unsupported_media_type", "send JSON (content-type: application/json)"));
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return sendError(reply, new HttpError(error.statusCode, "bad_request", error.message));
    app.log.error({ err: error }, "unexpected error");
    return sendError(reply, new HttpError(500, "internal_error", "the server failed to handle the request"));
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new HttpError(404, "not_found", `no route ${req.method} ${req.url.split("?")[0]}`)));

  // Authentication: with API keys configured, every route but health needs one.
  if (config.apiKeys.length > 0) {
    const keys = config.apiKeys.map((k) => Buffer.from(k));
    app.addHook("onRequest", async (req) => {
      if (req.url === "/api/health") return;
      const given = Buffer.from(bearer(req) ?? "");
      if (!keys.some((k) => k.length === given.length && timingSafeEqual(k, given))) {
        throw new HttpError(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>", undefined, { "www-authenticate": "Bearer" });
      }
    });
  }

  const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 410: errorSchema, 413: errorSchema, 429: errorSchema, 503: errorSchema };

  app.post<{ Body: CreateRunBody; Querystring: { wait?: string } }>(
    "/api/runs",
    { schema: { summary: "Submit a run", body: createRunBody, querystring: waitQuery, response: { 200: runSchema, 202: acceptedSchema, ...errors } } },
    async (req, reply) => {
      const request = toRunRequest(req.body, config);
      let run: RunRecord;
      try {
        run = await orchestrator.submit(request);
      } catch (e) {
        if (e instanceof QueueFullError) throw new HttpError(503, "queue_full", e.message, undefined, { "retry-after": "1" });
        if (e instanceof RuntimeUnavailableError) throw new HttpError(503, "runtime_unavailable", e.message, { runtime: e.runtime });
        throw e;
      }
      metrics.submitted.inc({ runtime: request.runtime });
      const waited = await waitFor(run.id, req.query.wait, req, reply);
      if (waited?.purged) throw goneError(run.id);
      if (waited && TERMINAL.has(waited.status)) return reply.code(200).send(await view(waited, store));
      reply.header("location", `/api/runs/${run.id}`);
      return reply.code(202).send({ id: run.id, status: (waited ?? run).status, links: links(run.id) });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { wait?: string } }>(
    "/api/runs/:id",
    { schema: { summary: "Read a run (long-poll with ?wait=seconds)", params: idParams, querystring: waitQuery, response: { 200: runSchema, ...errors } } },
    async (req, reply) => {
      await existing(req.params.id);
      const run = (await waitFor(req.params.id, req.query.wait, req, reply)) ?? (await existing(req.params.id));
      return view(run, store);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { after?: string } }>(
    "/api/runs/:id/output",
    { schema: { summary: "Page through a run's output (256 KiB a page; follow links.nextOutput)", params: idParams, querystring: outputQuery, response: { 200: outputPageSchema, ...errors } } },
    async (req) => outputView(await existing(req.params.id), store, Number(req.query.after ?? 0)),
  );

  app.get<{ Params: { id: string } }>(
    "/api/runs/:id/events",
    { schema: { summary: "Stream a run as Server-Sent Events (status, output, then the final run); Last-Event-ID resumes", params: idParams } },
    async (req, reply) => streamEvents(req, reply, await existing(req.params.id), store, orchestrator, app.log),
  );

  app.post<{ Params: { id: string } }>(
    "/api/runs/:id/cancel",
    { schema: { summary: "Cancel a run", params: idParams, response: { 200: runSchema, ...errors } } },
    async (req) => {
      await existing(req.params.id);
      await orchestrator.cancel(req.params.id);
      return view((await orchestrator.waitForTerminal(req.params.id, 2000)) ?? (await existing(req.params.id)), store);
    },
  );

  app.delete<{ Params: { id: string } }>("/api/runs/:id", { schema: { summary: "Delete a run's source and output now", params: idParams } }, async (req, reply) => {
    await existing(req.params.id);
    await orchestrator.delete(req.params.id);
    return reply.code(204).send();
  });

  app.post<{ Body: Pick<CreateRunBody, "language" | "runtime" | "source" | "files" | "entry"> }>(
    "/api/check",
    { schema: { summary: "Type-check (or parse) a program without running it", body: checkBody, response: { ...errors } } },
    async (req) => {
      try {
        return { diagnostics: await orchestrator.check({ ...toProgram(req.body, config), stdin: "", args: [], typecheck: true, limits: config.defaultLimits }) };
      } catch (e) {
        if (e instanceof CheckerBusyError) throw new HttpError(503, "checker_busy", e.message, undefined, { "retry-after": "1" });
        throw e;
      }
    },
  );

  app.post<{ Body: Omit<CreateRunBody, "source" | "typecheck" | "limits"> }>(
    "/api/snippets",
    { schema: { summary: "Save a program as a shared snippet", body: snippetBody, response: { 201: snippetSchema, ...errors } } },
    async (req, reply) => {
      const program = toProgram(req.body, config);
      const id = snippetId();
      await store.addSnippet(id, { ...program, stdin: req.body.stdin ?? "", args: req.body.args ?? [] });
      reply.header("location", `/api/snippets/${id}`);
      return reply.code(201).send(snippetView(id, (await store.getSnippet(id))!));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/snippets/:id",
    { schema: { summary: "Read a shared snippet", params: idParams, response: { 200: snippetSchema, ...errors } } },
    async (req) => {
      const snippet = await store.getSnippet(req.params.id);
      if (!snippet) throw new HttpError(404, "not_found", `no snippet ${req.params.id}`);
      return snippetView(req.params.id, snippet);
    },
  );

  // The playground: static files (precompressed twins served when the client accepts them), and
  // its permalinks /s/:id, which are the same page.
  if (existsSync(join(config.playgroundDir, "index.html"))) {
    await app.register(fastifyStatic, { root: config.playgroundDir, preCompressed: true, index: false, wildcard: false });
    for (const page of ["/", "/s/:id"]) app.get(page, { schema: { hide: true } }, async (_req, reply) => reply.sendFile("index.html"));
  } else {
    app.get("/", { schema: { hide: true } }, async (_req, reply) =>
      reply.type("text/html").send("<!doctype html><title>Isolator</title><p>The playground is not built: run <code>npm run build</code>. The API is at <code>/api</code>.</p>"),
    );
  }

  app.get("/api/health", { schema: { summary: "Health: pool, store, queue depth" } }, () => health());
  app.get("/metrics", { schema: { summary: "Prometheus metrics", hide: false } }, async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  /** The run, or 404 / 410 (purged). */
  async function existing(id: string): Promise<RunRecord> {
    const run = await store.get(id);
    if (!run) throw new HttpError(404, "not_found", `no run ${id}`);
    if (run.purged) throw goneError(id);
    return run;
  }

  async function waitFor(id: string, waitText: string | undefined, req: FastifyRequest, reply: FastifyReply): Promise<RunRecord | undefined> {
    const wait = Number(waitText ?? 0);
    if (!wait) return store.get(id);
    const abort = new AbortController();
    const gone = () => abort.abort(); // the client went away: stop waiting
    reply.raw.once("close", gone);
    try {
      return await orchestrator.waitForTerminal(id, Math.min(wait, config.maxWaitSeconds) * 1000, abort.signal);
    } finally {
      reply.raw.off("close", gone);
    }
  }

  return app;
}

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
}

function sendError(reply: FastifyReply, e: HttpError): FastifyReply {
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  return reply.code(e.statusCode).send({ error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } });
}

/** Short, unguessable ids for permalinks: 12 characters of base62 (about 71 bits). */
function snippetId(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return Array.from(randomBytes(12), (b) => alphabet[b % 62]).join("");
}

function snippetView(id: string, snippet: Snippet & { createdAt: string }) {
  return { id, ...snippet, links: { self: `/api/snippets/${id}`, page: `/s/${id}` } };
}

/** Validates what JSON Schema cannot (one of source/files, names, sizes, the entry) and applies defaults. */
function toProgram(body: Pick<CreateRunBody, "language" | "runtime" | "source" | "files" | "entry">, config: ServerConfig): Pick<RunRequest, "language" | "runtime" | "files" | "entry"> {
  if ((body.source === undefined) === (body.files === undefined)) throw new HttpError(400, "invalid_request", "give either `source` or `files` (with `entry`)");
  const language = body.language ?? (body.entry && /\.(c|m)?jsx?$/.test(body.entry) ? "javascript" : "typescript");
  // A map with no prototype: only the program's own names are in it (`toString` is not a file).
  const files: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, body.source !== undefined ? { [language === "javascript" ? "main.js" : "main.ts"]: body.source } : body.files);
  const names = Object.keys(files);
  if (names.length === 0) throw new HttpError(400, "invalid_request", "`files` is empty");
  if (names.length > config.maxFiles) throw new HttpError(400, "too_many_files", `at most ${config.maxFiles} files`);
  for (const name of names) {
    if (!/^[\w./-]{1,200}$/.test(name) || name.split("/").includes("..")) throw new HttpError(400, "invalid_request", `bad file name '${name}'`);
  }
  const bytes = names.reduce((n, name) => n + Buffer.byteLength(files[name]!), 0);
  if (bytes === 0 || names.every((name) => files[name]!.trim() === "")) throw new HttpError(400, "empty_source", "the program is empty");
  if (bytes > config.maxSourceBytes) throw new HttpError(413, "source_too_large", `the program is ${bytes} bytes; the limit is ${config.maxSourceBytes}`);
  const entry = body.entry ?? names[0]!;
  if (!Object.hasOwn(files, entry)) throw new HttpError(400, "invalid_request", `the entry '${entry}' is not among the files`);
  return { language, runtime: body.runtime ?? "quickjs", files, entry };
}

/** A run request: the program, plus stdin, args, typecheck and limits (defaults, clamped to the maxima). */
function toRunRequest(body: CreateRunBody, config: ServerConfig): RunRequest {
  const { language, runtime, files, entry } = toProgram(body, config);
  const limit = (given: number | undefined, key: keyof ServerConfig["maxLimits"]) => Math.min(given ?? config.defaultLimits[key], config.maxLimits[key]);
  return {
    language,
    runtime,
    files,
    entry,
    stdin: body.stdin ?? "",
    args: body.args ?? [],
    typecheck: body.typecheck ?? true,
    limits: { timeMs: limit(body.limits?.timeMs, "timeMs"), memoryMb: limit(body.limits?.memoryMb, "memoryMb"), outputKb: limit(body.limits?.outputKb, "outputKb") },
  };
}
