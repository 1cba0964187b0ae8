/** Shared helpers of the HTTP integration tests: a real server on a fresh data directory, real HTTP. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { defaultConfig, startServer, type ServerConfig } from "../src/index.js";
import { dropSchema, freshSchemaUrl } from "./postgres.js";

import { TERMINAL as TERMINAL_STATUSES, type RunStatus as Status } from "../src/store/run-store.js";

export { TERMINAL_STATUSES, type Status };

// No rejection or exception anywhere in the server may go unhandled: every test file that uses
// these helpers fails at its end if one did (the server in these tests runs in this process).
const strayErrors: unknown[] = [];
process.on("unhandledRejection", (e) => strayErrors.push(e));
process.on("uncaughtException", (e) => strayErrors.push(e));
after(() => assert.deepEqual(strayErrors, [], "an error went unhandled in the server"));

/** The public shape of a run (GET /api/runs/:id). */
export interface RunView {
  id: string;
  status: Status;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  language: string;
  runtime: "quickjs" | "node";
  attempts: number;
  diagnostics: { file: string; line: number; column: number; endLine: number; endColumn: number; code: number; category: string; message: string }[];
  stdout: string;
  stderr: string;
  output: { stream: "stdout" | "stderr"; text: string; timeMs: number; switches?: number[] }[];
  exitCode: number | null;
  error: { name: string; message: string; stack: string } | null;
  stats: { queuedMs: number | null; buildMs: number | null; runMs: number | null; memoryPeakBytes: number | null };
  truncated: boolean;
  links: { self: string; events: string; cancel: string };
}

export interface Accepted {
  id: string;
  status: Status;
  links: { self: string; events: string; cancel: string };
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface Response<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** A body sent as is (no JSON encoding). */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** A tiny JSON client of one server. */
export class Api {
  constructor(
    readonly url: string,
    readonly defaultHeaders: Record<string, string> = {},
  ) {}

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<Response<T>> {
    const headers: Record<string, string> = { ...this.defaultHeaders, ...options.headers };
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(this.url + path, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get("content-type") ?? "").includes("json") && text !== "") parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  /** POST /api/runs (`query` like "?wait=10"). */
  submit(body: unknown, query = "", headers?: Record<string, string>): Promise<Response<Accepted | RunView | ErrorBody>> {
    return this.request("POST", `/api/runs${query}`, { body, headers });
  }

  /** Submits and expects a 202; returns the run id. */
  async accepted(body: unknown): Promise<string> {
    const res = await this.submit(body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return (res.body as Accepted).id;
  }

  /** Submits with ?wait and expects the finished run (200). */
  async runToEnd(body: unknown): Promise<RunView> {
    const res = await this.submit(body, "?wait=20");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const run = res.body as RunView;
    assert.ok(TERMINAL_STATUSES.has(run.status), `not terminal: ${run.status}`);
    return run;
  }

  async get(id: string, query = ""): Promise<Response<RunView | ErrorBody>> {
    return this.request("GET", `/api/runs/${id}${query}`);
  }

  /** The run once terminal (long-polls with ?wait). */
  async terminal(id: string, timeoutMs = 30_000): Promise<RunView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.get(id, "?wait=10");
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const run = res.body as RunView;
      if (TERMINAL_STATUSES.has(run.status)) return run;
      assert.ok(Date.now() < deadline, `run ${id} still ${run.status} after ${timeoutMs} ms`);
    }
  }

  /** Polls the run until `predicate` holds. */
  async until(id: string, predicate: (run: RunView) => boolean, timeoutMs = 15_000): Promise<RunView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.get(id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const run = res.body as RunView;
      if (predicate(run)) return run;
      assert.ok(Date.now() < deadline, `run ${id} never got there; last: ${JSON.stringify(run).slice(0, 500)}`);
      await sleep(25);
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function freshDir(prefix = "isolator-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export type ConfigOverrides = Partial<Omit<ServerConfig, "maxLimits" | "defaultLimits">> & {
  maxLimits?: Partial<ServerConfig["maxLimits"]>;
  defaultLimits?: Partial<ServerConfig["defaultLimits"]>;
};

export interface TestServer {
  url: string;
  dataDir: string;
  api: Api;
  close(): Promise<void>;
}

/**
 * The store the HTTP suite runs on: SQLite, or with ISOLATOR_TEST_STORE=postgres (npm run
 * test:postgres) a fresh PostgreSQL schema per server, dropped on close.
 */
export const ON_POSTGRES = process.env.ISOLATOR_TEST_STORE === "postgres";

/** A real server, in process, on a free port and a fresh data directory (removed on close). */
export async function startTestServer(overrides: ConfigOverrides = {}): Promise<TestServer> {
  const base = defaultConfig();
  const dataDir = overrides.dataDir ?? freshDir();
  const config: ServerConfig = {
    ...base,
    port: 0,
    logLevel: "silent",
    poolSize: 2,
    rateLimitPerMinute: 1_000_000, // tests poll a lot; the rate-limit test sets its own
    ...overrides,
    dataDir,
    maxLimits: { ...base.maxLimits, ...overrides.maxLimits },
    defaultLimits: { ...base.defaultLimits, ...overrides.defaultLimits },
  };
  const schema = ON_POSTGRES && config.store === undefined ? freshSchemaUrl() : undefined;
  if (schema) config.store = schema.url;
  const server = await startServer(config);
  let closed = false;
  return {
    url: server.url,
    dataDir,
    api: new Api(server.url),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await server.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
        if (schema) await dropSchema(schema.schema);
      }
    },
  };
}

/** Asserts an error answer: the status, the code, and the `{ error: { code, message } }` shape. */
export function assertError(res: Response<unknown>, status: number, code?: string): ErrorBody {
  const shown = JSON.stringify(res.body);
  assert.equal(res.status, status, shown);
  assert.ok(typeof res.body === "object" && res.body !== null && "error" in res.body, `not an error body: ${shown}`);
  const body = res.body as ErrorBody;
  assert.equal(typeof body.error.code, "string", shown);
  assert.equal(typeof body.error.message, "string", shown);
  assert.ok(body.error.message.length > 0, shown);
  if (code !== undefined) assert.equal(body.error.code, code, shown);
  return body;
}

export interface SseEvent {
  id: number | undefined;
  event: string;
  data: unknown;
}

/** Reads a whole text/event-stream answer (until the server ends it) and parses its events. */
export async function readEvents(url: string, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<{ status: number; contentType: string; events: SseEvent[] }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const contentType = res.headers.get("content-type") ?? "";
  if (!contentType.includes("text/event-stream")) return { status: res.status, contentType, events: [] };
  assert.ok(res.body, "no body");
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const events: SseEvent[] = [];
  const parse = (block: string) => {
    let id: number | undefined;
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue; // comments (keep-alives)
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") id = Number(value);
      else if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) events.push({ id, event, data: JSON.parse(data.join("\n")) as unknown });
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
    if (done) break;
  }
  assert.equal(buffer.trim(), "", "the stream ended inside an event");
  return { status: res.status, contentType, events };
}

/** A program that prints `ticks` lines, `everyMs` apart, with timers (the event loop stays free). */
export function ticker(ticks: number, everyMs: number): string {
  return `let i = 0;\nconst tick = () => {\n  console.log("tick " + i);\n  if (++i < ${ticks}) setTimeout(tick, ${everyMs});\n};\ntick();\n`;
}

export function tickerOutput(ticks: number): string {
  return Array.from({ length: ticks }, (_, i) => `tick ${i}\n`).join("");
}
