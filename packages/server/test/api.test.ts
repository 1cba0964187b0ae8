/**
 * The rest of the API over real HTTP: Server-Sent Events (live, then resumed with Last-Event-ID),
 * DELETE and purge, health, Prometheus metrics and the OpenAPI document.
 */
import Database from "better-sqlite3";
import { outputSegments, type OutputChunk } from "isolator";
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertError, readEvents, sleep, startTestServer, type Api, type RunView, type SseEvent, type TestServer, ON_POSTGRES } from "./helpers.js";

let server: TestServer;
let api: Api;

before(async () => {
  server = await startTestServer({ poolSize: 2 });
  api = server.api;
});

after(async () => {
  await server?.close();
});

const outputText = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === "output")
    .map((e) => (e.data as { text: string }).text)
    .join("");

describe("Server-Sent Events", () => {
  it("streams status changes and output live, then the final run, then ends", async () => {
    const id = await api.accepted({
      source: `for (let i = 0; i < 3; i++) {\n  console.log("line " + i);\n  await new Promise((r) => setTimeout(r, 60));\n}\nconsole.error("done");\n`,
    });
    const { status, contentType, events } = await readEvents(`${server.url}/api/runs/${id}/events`);
    assert.equal(status, 200);
    assert.match(contentType, /^text\/event-stream/);
    assert.ok(events.length >= 5, JSON.stringify(events));

    const numbered = events.filter((e) => e.event !== "run");
    for (const e of numbered) assert.ok(Number.isInteger(e.id) && e.id! > 0, `event without an id: ${JSON.stringify(e)}`);
    const ids = numbered.map((e) => e.id!);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "ids out of order");
    assert.equal(new Set(ids).size, ids.length, "repeated ids");
    assert.deepEqual(new Set(numbered.map((e) => e.event)), new Set(["status", "output"]));

    const statuses = numbered.filter((e) => e.event === "status").map((e) => (e.data as { status: string }).status);
    assert.deepEqual(statuses, ["queued", "building", "running", "succeeded"]);
    for (const e of numbered.filter((e) => e.event === "status")) assert.ok(!Number.isNaN(Date.parse((e.data as { at: string }).at)));
    const outputs = numbered.filter((e) => e.event === "output").map((e) => e.data as OutputChunk);
    assert.ok(outputs.every((o) => (o.stream === "stdout" || o.stream === "stderr") && typeof o.timeMs === "number"), JSON.stringify(outputs));
    const segments = outputs.flatMap(outputSegments);
    assert.equal(segments.filter((o) => o.stream === "stdout").map((o) => o.text).join(""), "line 0\nline 1\nline 2\n");
    assert.equal(segments.filter((o) => o.stream === "stderr").map((o) => o.text).join(""), "done\n");
    // Output comes between running and the terminal status.
    const running = numbered.find((e) => e.event === "status" && (e.data as { status: string }).status === "running")!;
    const last = numbered.at(-1)!;
    assert.equal((last.data as { status: string }).status, "succeeded");
    assert.ok(numbered.filter((e) => e.event === "output").every((e) => e.id! > running.id! && e.id! < last.id!));

    const final = events.at(-1)!;
    assert.equal(final.event, "run");
    const run = final.data as RunView;
    assert.equal(run.id, id);
    assert.equal(run.status, "succeeded");
    assert.equal(run.stdout, "line 0\nline 1\nline 2\n");
    assert.equal(run.stderr, "done\n");
    assert.equal(events.filter((e) => e.event === "run").length, 1);
  });

  it("resumes after Last-Event-ID with only the later events", async () => {
    const id = await api.accepted({ source: `console.log("a");\nawait new Promise((r) => setTimeout(r, 50));\nconsole.log("b");\n` });
    const all = (await readEvents(`${server.url}/api/runs/${id}/events`)).events;
    const numbered = all.filter((e) => e.id !== undefined);
    const running = numbered.find((e) => e.event === "status" && (e.data as { status: string }).status === "running");
    assert.ok(running, JSON.stringify(all));
    const resumed = (await readEvents(`${server.url}/api/runs/${id}/events`, { "last-event-id": String(running.id) })).events;
    assert.deepEqual(
      resumed.filter((e) => e.id !== undefined),
      numbered.filter((e) => e.id! > running.id!),
    );
    assert.equal(resumed.at(-1)!.event, "run");
    assert.equal((resumed.at(-1)!.data as RunView).stdout, "a\nb\n");

    // Resuming after the last event: nothing but the final run.
    const lastId = numbered.at(-1)!.id!;
    const tail = (await readEvents(`${server.url}/api/runs/${id}/events`, { "last-event-id": String(lastId) })).events;
    assert.deepEqual(
      tail.map((e) => e.event),
      ["run"],
    );
  });

  it("streams a run that is already over, whole", async () => {
    const run = await api.runToEnd({ source: `console.log("over");` });
    const { events } = await readEvents(`${server.url}/api/runs/${run.id}/events`);
    assert.equal(outputText(events), "over\n");
    assert.equal((events.at(-1)!.data as RunView).status, "succeeded");
  });

  it("ends the stream of a cancelled run with the cancelled run", async () => {
    const id = await api.accepted({ source: `setInterval(() => console.log("tick"), 20);\n`, limits: { timeMs: 20_000 } });
    const streaming = readEvents(`${server.url}/api/runs/${id}/events`);
    await api.until(id, (r) => r.status === "running" && r.stdout.startsWith("tick\ntick\n"));
    assert.equal((await api.request("POST", `/api/runs/${id}/cancel`)).status, 200);
    const { events } = await streaming;
    const final = events.at(-1)!.data as RunView;
    assert.equal(final.status, "cancelled");
    assert.match(outputText(events), /^(tick\n){2,}$/);
    assert.equal(outputText(events), final.stdout);
  });

  it(
    "streams the lines printed before a pause while the run is still running",
    async () => {
      const id = await api.accepted({ source: `console.log("first");\nconsole.log("prompt");\nsetInterval(() => {}, 1000);\n`, limits: { timeMs: 20_000 } });
      try {
        await api.until(id, (r) => r.status === "running" && r.stdout === "first\nprompt\n", 2000);
      } finally {
        await api.request("POST", `/api/runs/${id}/cancel`);
      }
    },
  );
});

describe("DELETE and purge", () => {
  it("deletes a finished run: 204, then 410 gone everywhere", async () => {
    const run = await api.runToEnd({ source: `console.log("secret output");` });
    const deleted = await api.request("DELETE", `/api/runs/${run.id}`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, "");
    assertError(await api.get(run.id), 410, "gone");
    assertError(await api.get(run.id, "?wait=1"), 410, "gone");
    assertError(await api.request("GET", `/api/runs/${run.id}/events`), 410, "gone");
    assertError(await api.request("POST", `/api/runs/${run.id}/cancel`), 410, "gone");
    assertError(await api.request("DELETE", `/api/runs/${run.id}`), 410, "gone");
  });

  it("purges the source and output from the SQLite file", { skip: ON_POSTGRES && "reads the SQLite file" }, async () => {
    const run = await api.runToEnd({ source: `console.log("purge-me-" + "output");\n// purge-me-source\n` });
    assert.equal((await api.request("DELETE", `/api/runs/${run.id}`)).status, 204);
    const db = new Database(join(server.dataDir, "isolator.db"), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT * FROM runs WHERE id = ?").get(run.id) as Record<string, unknown> | undefined;
      assert.ok(row, "the run itself stays");
      assert.ok(!JSON.stringify(row).includes("purge-me"), JSON.stringify(row));
      const events = db.prepare("SELECT data FROM events WHERE run_id = ?").all(run.id) as { data: string }[];
      assert.ok(!JSON.stringify(events).includes("purge-me"), JSON.stringify(events));
    } finally {
      db.close();
    }
  });

  it("deletes a running run: it stops, and nothing of it is written after the purge", { skip: ON_POSTGRES && "reads the SQLite file" }, async () => {
    const id = await api.accepted({ source: `let n = 0;\nsetInterval(() => console.log("still here " + n++), 10);\n`, limits: { timeMs: 20_000 } });
    await api.until(id, (r) => r.status === "running" && r.stdout.includes("still here"));
    assert.equal((await api.request("DELETE", `/api/runs/${id}`)).status, 204);
    assertError(await api.get(id), 410, "gone");
    // Wait until the server has no run left active, then look at the file.
    for (let i = 0; i < 200; i++) {
      const health = (await api.request<{ running: number }>("GET", "/api/health")).body;
      if (health.running === 0) break;
      await sleep(25);
    }
    await sleep(100);
    const db = new Database(join(server.dataDir, "isolator.db"), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT status, purged, request FROM runs WHERE id = ?").get(id) as { status: string; purged: number; request: string | null };
      assert.equal(row.purged, 1);
      assert.equal(row.request, null);
      assert.equal(row.status, "cancelled");
      const output = db.prepare("SELECT data FROM events WHERE run_id = ? AND type = 'output'").all(id);
      assert.deepEqual(output, [], "output written after the purge");
    } finally {
      db.close();
    }
  });
});

describe("health, metrics and docs", () => {
  it("answers health with the pool, the store and the queue depth", async () => {
    const res = await api.request<{ status: string; store: string; queueDepth: number; pool: { size: number } }>("GET", "/api/health");
    assert.equal(res.status, 200);
    assert.equal(res.body.status, "ok");
    assert.equal(res.body.store, "ok");
    assert.equal(typeof res.body.queueDepth, "number");
    assert.equal(res.body.pool.size, 2);
  });

  it("serves Prometheus metrics", async () => {
    await api.runToEnd({ source: `console.log("counted");` });
    const res = await api.request<string>("GET", "/metrics");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    const text = res.body;
    const submitted = /^isolator_runs_submitted_total\{runtime="quickjs"\} (\d+)/m.exec(text);
    assert.ok(submitted, text.slice(0, 500));
    assert.ok(Number(submitted[1]) >= 1);
    assert.match(text, /^isolator_queue_depth \d+/m);
    assert.match(text, /^isolator_runs\{status="succeeded"\} \d+/m);
    assert.match(text, /^isolator_run_seconds_bucket/m);
    assert.match(text, /^isolator_build_seconds_count\{runtime="quickjs"\} \d+/m);
    assert.match(text, /^isolator_runs_finished_total\{runtime="quickjs",status="succeeded"\} \d+/m);
    assert.match(text, /^isolator_pool_workers 2/m);
  });

  it("serves an OpenAPI 3 document of the API", async () => {
    const res = await api.request<{ openapi: string; paths: Record<string, Record<string, unknown>> }>("GET", "/api/openapi.json");
    assert.equal(res.status, 200);
    assert.match(res.body.openapi, /^3\./);
    assert.ok(res.body.paths["/api/runs"]?.post, Object.keys(res.body.paths).join(", "));
    assert.ok(res.body.paths["/api/runs/{id}"]?.get, Object.keys(res.body.paths).join(", "));
    assert.ok(res.body.paths["/api/runs/{id}"]?.delete);
    assert.ok(res.body.paths["/api/runs/{id}/cancel"]?.post);
    assert.ok(res.body.paths["/api/runs/{id}/events"]?.get);
  });
});
