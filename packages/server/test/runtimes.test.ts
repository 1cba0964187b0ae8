/**
 * The `runtime` field of a run over real HTTP: QuickJS by default, shown on the run and kept in
 * snippets; a runtime the server does not offer is a 503 naming why, never a crash; stores made
 * before runtimes existed open with their runs as QuickJS runs.
 */
import Database from "better-sqlite3";
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteRunStore } from "../src/store/sqlite.js";
import { assertError, freshDir, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;

before(async () => {
  server = await startTestServer({ poolSize: 1 });
});

after(async () => {
  await server?.close();
});

describe("the runtime of a run", () => {
  it("is quickjs by default, and shown on the run", async () => {
    const run = await server.api.runToEnd({ source: `console.log("hi");` });
    assert.equal(run.status, "succeeded");
    assert.equal(run.runtime, "quickjs");
  });

  it("refuses a runtime this server does not offer with 503 runtime_unavailable, naming why, and keeps serving", async () => {
    const res = await server.api.submit({ runtime: "node", source: `console.log(1);` });
    const body = assertError(res, 503, "runtime_unavailable");
    assert.match(body.error.message, /node/);
    assert.deepEqual(body.error.details, { runtime: "node" });
    const health = await server.api.request<{ runtimes: Record<string, { available: boolean; reason?: string }> }>("GET", "/api/health");
    assert.equal(health.body.runtimes.quickjs!.available, true);
    assert.equal(health.body.runtimes.node!.available, false);
    assert.match(health.body.runtimes.node!.reason ?? "", /not enabled/);
    assert.equal((await server.api.runToEnd({ source: `console.log(2);` })).status, "succeeded");
  });

  it("rejects an unknown runtime with 400", async () => {
    assertError(await server.api.submit({ runtime: "deno", source: `1` }), 400, "invalid_request");
  });

  it("is kept in shared snippets", async () => {
    const saved = await server.api.request<{ id: string; runtime: string }>("POST", "/api/snippets", { body: { runtime: "node", files: { "main.ts": "console.log(1)" } } });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const read = await server.api.request<{ runtime: string }>("GET", `/api/snippets/${saved.body.id}`);
    assert.equal(read.body.runtime, "node");
  });
});

describe("a store made before runtimes existed", () => {
  it("opens, its runs and snippets being QuickJS ones", async () => {
    const dir = freshDir();
    const old = new Database(join(dir, "isolator.db"));
    old.exec(`CREATE TABLE runs (id TEXT PRIMARY KEY, status TEXT NOT NULL, request TEXT, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
      attempts INTEGER NOT NULL DEFAULT 0, exit_code INTEGER, error TEXT, diagnostics TEXT NOT NULL DEFAULT '[]', stats TEXT NOT NULL DEFAULT '{}',
      truncated INTEGER NOT NULL DEFAULT 0, purged INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE snippets (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at TEXT NOT NULL);`);
    old.prepare("INSERT INTO runs (id, status, request, created_at) VALUES ('r1', 'succeeded', '{}', '2026-01-01T00:00:00.000Z')").run();
    old.prepare(`INSERT INTO snippets (id, body, created_at) VALUES ('s1', '{"language":"typescript","files":{"a.ts":"1"},"entry":"a.ts","stdin":"","args":[]}', '2026-01-01')`).run();
    old.close();
    const store = new SqliteRunStore(dir);
    try {
      assert.equal((await store.get("r1"))?.runtime, "quickjs");
      assert.equal((await store.getSnippet("s1"))?.runtime, "quickjs");
    } finally {
      await store.close();
    }
  });
});
