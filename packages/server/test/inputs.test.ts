/**
 * Bad input, table-driven: each is a clear 4xx with `{ error: { code, message } }`, nothing is
 * accepted, and the server keeps answering afterwards.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startTestServer, type Api, type RequestOptions, type TestServer } from "./helpers.js";

let server: TestServer;
let api: Api;

before(async () => {
  server = await startTestServer({ poolSize: 1 });
  api = server.api;
});

after(async () => {
  await server?.close();
});

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** A JSON body; or `raw` for a body sent as is. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  code?: string;
  /** Validation failures carry the validator's details. */
  details?: boolean;
}

const manyFiles = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`f${i}.ts`, `console.log(${i});`]));
const oversize = `const s = "${"x".repeat(256 * 1024)}";\nconsole.log(s.length);\n`;

const cases: Case[] = [
  { name: "malformed JSON", raw: `{"source": "console.log(1)"`, status: 400, code: "invalid_json" },
  { name: "JSON with a trailing comma", raw: `{"source": "console.log(1)",}`, status: 400, code: "invalid_json" },
  { name: "an empty body with a JSON content type", raw: "", status: 400 },
  { name: "no body at all", headers: {}, status: 400 },
  { name: "a JSON array", body: [], status: 400, code: "invalid_request" },
  { name: "JSON null", raw: "null", status: 400, code: "invalid_request" },
  { name: "source not a string (object)", body: { source: { code: "x" } }, status: 400, code: "invalid_request", details: true },
  {
    name: "source not a string (number)",
    body: { source: 5 },
    status: 400,
    code: "invalid_request",
    details: true,
  },
  {
    name: "source not a string (boolean)",
    body: { source: true },
    status: 400,
    code: "invalid_request",
  },
  { name: "typecheck not a boolean", body: { source: "console.log(1)", typecheck: "yes" }, status: 400, code: "invalid_request", details: true },
  { name: "language not known", body: { source: "print 1", language: "python" }, status: 400, code: "invalid_request", details: true },
  { name: "args not strings", body: { source: "console.log(1)", args: [{}] }, status: 400, code: "invalid_request" },
  {
    name: "files not strings",
    body: { files: { "main.ts": 1 }, entry: "main.ts" },
    status: 400,
    code: "invalid_request",
  },
  { name: "an unknown field", body: { source: "console.log(1)", sourceCode: "x" }, status: 400, code: "invalid_request", details: true },
  { name: "an unknown limit", body: { source: "console.log(1)", limits: { cpus: 2 } }, status: 400, code: "invalid_request" },
  { name: "an empty source", body: { source: "" }, status: 400, code: "empty_source" },
  { name: "a whitespace-only source", body: { source: "  \n\t\n  " }, status: 400, code: "empty_source" },
  { name: "files all empty", body: { files: { "main.ts": "", "b.ts": " " }, entry: "main.ts" }, status: 400, code: "empty_source" },
  { name: "both source and files", body: { source: "console.log(1)", files: { "main.ts": "console.log(1)" }, entry: "main.ts" }, status: 400, code: "invalid_request" },
  { name: "neither source nor files", body: { stdin: "x" }, status: 400, code: "invalid_request" },
  { name: "an empty object", body: {}, status: 400, code: "invalid_request" },
  { name: "empty files", body: { files: {}, entry: "main.ts" }, status: 400 },
  { name: "an oversize source (> 256 KiB)", body: { source: oversize }, status: 413, code: "source_too_large" },
  {
    name: "oversize across files",
    body: { files: { "main.ts": `import "./a.js";\n`, "a.ts": oversize.slice(0, 200 * 1024), "b.ts": oversize.slice(0, 100 * 1024) }, entry: "main.ts" },
    status: 413,
    code: "source_too_large",
  },
  { name: "too many files (33): a 400", body: { files: manyFiles, entry: "f0.ts" }, status: 400 },
  {
    name: "too many files (33): code too_many_files",
    body: { files: manyFiles, entry: "f0.ts" },
    status: 400,
    code: "too_many_files",
  },
  { name: "a file name climbing out (../x.ts)", body: { files: { "../x.ts": "console.log(1)" }, entry: "../x.ts" }, status: 400, code: "invalid_request" },
  { name: "a file name climbing out in a folder (a/../../x.ts)", body: { files: { "main.ts": "console.log(1)", "a/../../x.ts": "1" }, entry: "main.ts" }, status: 400, code: "invalid_request" },
  { name: "a file name with a space", body: { files: { "my file.ts": "console.log(1)" }, entry: "my file.ts" }, status: 400, code: "invalid_request" },
  { name: "an empty file name", body: { files: { "": "console.log(1)" }, entry: "main.ts" }, status: 400, code: "invalid_request" },
  { name: "a negative time limit", body: { source: "console.log(1)", limits: { timeMs: -1 } }, status: 400, code: "invalid_request", details: true },
  { name: "a zero time limit", body: { source: "console.log(1)", limits: { timeMs: 0 } }, status: 400, code: "invalid_request" },
  { name: "a fractional time limit", body: { source: "console.log(1)", limits: { timeMs: 1.5 } }, status: 400, code: "invalid_request" },
  { name: "a memory limit too small", body: { source: "console.log(1)", limits: { memoryMb: 1 } }, status: 400, code: "invalid_request" },
  { name: "a zero output limit", body: { source: "console.log(1)", limits: { outputKb: 0 } }, status: 400, code: "invalid_request" },
  { name: "a time limit as a string", body: { source: "console.log(1)", limits: { timeMs: "fast" } }, status: 400, code: "invalid_request" },
  { name: "an entry not among the files", body: { files: { "main.ts": "console.log(1)" }, entry: "other.ts" }, status: 400, code: "invalid_request" },
  { name: "an empty entry", body: { files: { "main.ts": "console.log(1)" }, entry: "" }, status: 400, code: "invalid_request" },
  // Names every object inherits are not files: the entry must be one of the program's own.
  ...["toString", "__proto__", "constructor", "hasOwnProperty", "valueOf"].flatMap((entry): Case[] =>
    ["/api/runs", "/api/check", "/api/snippets"].map((path) => ({
      name: `an inherited name as the entry (${entry}) on ${path}`,
      path,
      body: { files: { "main.ts": "console.log(1)" }, entry },
      status: 400,
      code: "invalid_request",
    })),
  ),
  { name: "a negative wait", path: "/api/runs?wait=-1", body: { source: "console.log(1)" }, status: 400, code: "invalid_request" },
  { name: "a wait that is not a number", path: "/api/runs?wait=soon", body: { source: "console.log(1)" }, status: 400, code: "invalid_request" },
  { name: "an unknown query parameter", path: "/api/runs?debug=1", body: { source: "console.log(1)" }, status: 400, code: "invalid_request" },
  { name: "an XML content type", raw: "<run/>", headers: { "content-type": "application/xml" }, status: 415, code: "unsupported_media_type" },
  { name: "a form content type", raw: "source=x", headers: { "content-type": "application/x-www-form-urlencoded" }, status: 415, code: "unsupported_media_type" },
  {
    name: "a text/plain content type",
    raw: `{"source":"console.log(1)"}`,
    headers: { "content-type": "text/plain" },
    status: 415,
    code: "unsupported_media_type",
  },
  { name: "an unknown route", method: "GET", path: "/api/nothing-here", status: 404, code: "not_found" },
  { name: "an unknown method on a route", method: "PUT", path: "/api/runs", body: { source: "console.log(1)" }, status: 404, code: "not_found" },
  { name: "a run id too long", method: "GET", path: `/api/runs/${"x".repeat(65)}`, status: 400, code: "invalid_request" },
  { name: "an unknown run id", method: "GET", path: "/api/runs/no-such-run", status: 404, code: "not_found" },
  { name: "a body too large for the server (> 2.5 MiB)", body: { source: "console.log(1)", stdin: "x".repeat(3 * 1024 * 1024) }, status: 413 },
];

describe("bad input", () => {
  for (const c of cases) {
    it(`answers ${c.status}${c.code ? ` ${c.code}` : ""} to ${c.name}`, async () => {
      const options: RequestOptions = { headers: c.headers ?? (c.raw !== undefined ? { "content-type": "application/json" } : {}) };
      if (c.raw !== undefined) options.rawBody = c.raw;
      else if (c.body !== undefined) options.body = c.body;
      const res = await api.request(c.method ?? "POST", c.path ?? "/api/runs", options);
      const body = assertError(res, c.status, c.code);
      assert.ok(c.status >= 400 && c.status < 500);
      if (c.details) assert.ok(body.error.details !== undefined, `no details: ${JSON.stringify(body)}`);
      assert.equal(res.headers.get("location"), null, "a refused run has no Location");
    });
  }

  it("accepted none of them, and keeps answering", async () => {
    const metrics = (await api.request<string>("GET", "/metrics")).body;
    const submitted = Number(/^isolator_runs_submitted_total\{runtime="quickjs"\} (\d+)/m.exec(metrics)?.[1]);
    assert.equal(submitted, 0, `${submitted} bad requests were accepted as runs`);
    const health = await api.request<{ status: string }>("GET", "/api/health");
    assert.equal(health.status, 200);
    assert.equal(health.body.status, "ok");
    const run = await api.runToEnd({ source: `console.log("still fine");` });
    assert.equal(run.status, "succeeded");
    assert.equal(run.stdout, "still fine\n");
  });

  it("does not crash on a flood of garbage bodies", async () => {
    const garbage = ["{", "}", "[[[[", '"str"', "1e999", "\u0000", "{\"source\":\"\\ud800\"}", '{"__proto__":{"source":"x"}}', '{"constructor":{"prototype":{}}}'];
    const answers = await Promise.all(
      garbage.map((raw) => api.request("POST", "/api/runs", { rawBody: raw, headers: { "content-type": "application/json" } })),
    );
    for (const [i, res] of answers.entries()) {
      assert.ok(res.status >= 200 && res.status < 500, `${garbage[i]} → ${res.status} ${JSON.stringify(res.body)}`);
      if (res.status >= 400) assertError(res, res.status);
    }
    assert.equal((await api.request("GET", "/api/health")).status, 200);
  });
});
