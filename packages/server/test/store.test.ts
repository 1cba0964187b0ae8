/** Both run stores, one contract: the same operations give the same answers on SQLite and PostgreSQL. */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { PostgresRunStore } from "../src/store/postgres.js";
import { StoreUnavailableError, type RunRequest, type RunStore } from "../src/store/run-store.js";
import { SqliteRunStore } from "../src/store/sqlite.js";
import { freshDir } from "./helpers.js";
import { dropSchema, freshSchemaUrl, POSTGRES_URL } from "./postgres.js";
import { CuttableProxy } from "./proxy.js";

const request: RunRequest = {
  language: "typescript",
  runtime: "quickjs",
  files: { "z.ts": "export {};", "a.ts": "console.log(1);" },
  entry: "a.ts",
  stdin: "",
  args: [],
  typecheck: true,
  limits: { timeMs: 1000, memoryMb: 64, outputKb: 64 },
};

const chunk = (text: string) => ({ stream: "stdout" as const, text, timeMs: 1 });

const stores: { name: string; open(): Promise<{ store: RunStore; cleanup(): Promise<void> }> }[] = [
  {
    name: "SQLite",
    async open() {
      const dir = freshDir();
      const store = new SqliteRunStore(dir);
      return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
    },
  },
  {
    name: "PostgreSQL",
    async open() {
      const { url, schema } = freshSchemaUrl();
      const store = await PostgresRunStore.open(url);
      return { store, cleanup: async () => (await store.close(), await dropSchema(schema)) };
    },
  },
];

for (const kind of stores) {
  describe(`RunStore on ${kind.name}`, () => {
    let store: RunStore;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await kind.open()));
    after(() => cleanup());

    it("stores a run as queued with its first event, and reads it back whole", async () => {
      const created = await store.create("r1", request, new Date("2026-01-02T03:04:05.678Z"));
      const read = await store.get("r1");
      assert.deepEqual(read, created);
      assert.equal(read?.status, "queued");
      assert.equal(read?.createdAt, "2026-01-02T03:04:05.678Z");
      assert.deepEqual(Object.keys(read!.request!.files), ["z.ts", "a.ts"], "file order is kept");
      assert.deepEqual(await store.eventsAfter("r1", 0), [{ seq: 1, type: "status", data: { status: "queued", at: "2026-01-02T03:04:05.678Z" } }]);
      assert.equal(await store.get("missing"), undefined);
    });

    it("writes a transition only from the statuses it names", async () => {
      await store.create("r2", request);
      const building = await store.transition("r2", "building", { startedAt: "2026-01-02T03:04:06.000Z" }, ["queued"]);
      assert.equal(building?.seq, 2);
      assert.equal(await store.transition("r2", "building", {}, ["queued"]), undefined, "a second claim loses");
      assert.equal(await store.transition("r2", "cancelled", {}, ["queued"]), undefined);
      assert.equal((await store.eventsAfter("r2", 0)).length, 2, "a refused transition writes no event");
      const run = await store.get("r2");
      assert.equal(run?.status, "building");
      assert.equal(run?.startedAt, "2026-01-02T03:04:06.000Z");
    });

    it("numbers output after status events, in order, under concurrent writers", async () => {
      await store.create("r3", request);
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => store.appendOutput("r3", [chunk(`a${i}`), chunk(`b${i}`)])),
        store.transition("r3", "building", {}, ["queued"]),
      ]);
      const events = await store.eventsAfter("r3", 0);
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 42 }, (_, i) => i + 1), "numbers are unique and without gaps");
      assert.equal((await store.outputPage("r3", 0, Number.MAX_SAFE_INTEGER)).chunks.length, 40);
      assert.deepEqual(await store.eventsAfter("r3", 40), events.slice(40));
    });

    it("writes a keyed append once, however often it is repeated", async () => {
      await store.create("k1", request);
      const first = await store.appendOutput("k1", [chunk("a"), chunk("b")], "batch-1");
      const again = await store.appendOutput("k1", [chunk("a"), chunk("b")], "batch-1");
      assert.deepEqual(again, first);
      await store.appendOutput("k1", [chunk("c")], "batch-2");
      assert.deepEqual((await store.outputPage("k1", 0, Number.MAX_SAFE_INTEGER)).chunks.map((c) => c.text), ["a", "b", "c"]);
      // Paged by bytes of text: at least one chunk a page, in order, the last page complete.
      const pages: string[][] = [];
      for (let after = 0, complete = false; !complete; ) {
        const page = await store.outputPage("k1", after, 1);
        pages.push(page.chunks.map((c) => c.text));
        ({ complete } = page);
        after = page.lastSeq;
      }
      assert.deepEqual(pages, [["a"], ["b"], ["c"]]);
    });

    it("ends a run with its fields, and counts runs by status", async () => {
      await store.create("r4", request);
      const fields = {
        finishedAt: "2026-01-02T03:04:07.000Z",
        exitCode: 3,
        error: { name: "Error", message: "boom", stack: "at x" },
        diagnostics: [{ file: "a.ts", line: 1, column: 1, endLine: 1, endColumn: 2, code: 1, category: "warning" as const, message: "m" }],
        stats: { queuedMs: 1, buildMs: 2, runMs: 3, memoryPeakBytes: 4 },
        truncated: true,
        attempts: 1,
      };
      assert.ok(await store.transition("r4", "failed", fields, ["queued", "building", "running"]));
      const run = await store.get("r4");
      assert.deepEqual({ ...run, id: undefined, request: undefined, createdAt: undefined }, { ...fields, id: undefined, request: undefined, createdAt: undefined, status: "failed", runtime: "quickjs", startedAt: null, purged: false, cancelRequested: false });
      assert.ok(await store.idsWithStatus("failed").then((ids) => ids.includes("r4")));
      assert.ok(((await store.countsByStatus()).failed ?? 0) >= 1);
    });

    it("keeps a cancel request, drops an attempt's output, purges and expires", async () => {
      await store.create("r5", request);
      await store.appendOutput("r5", [chunk("x")]);
      await store.requestCancel("r5");
      assert.equal((await store.get("r5"))?.cancelRequested, true);
      await store.clearOutput("r5");
      assert.deepEqual((await store.outputPage("r5", 0, Number.MAX_SAFE_INTEGER)).chunks, []);
      assert.equal((await store.eventsAfter("r5", 0)).length, 1, "status events stay");
      await store.transition("r5", "cancelled", { finishedAt: new Date(Date.now() - 60_000).toISOString() }, ["queued"]);
      assert.ok((await store.expiredBefore(new Date())).includes("r5"));
      assert.deepEqual(await store.appendOutput("r5", [chunk("late")]), [], "an ended run takes no output");
      await store.purge("r5");
      const purged = await store.get("r5");
      assert.equal(purged?.purged, true);
      assert.equal(purged?.request, null);
      assert.deepEqual(await store.eventsAfter("r5", 0), []);
      assert.ok(!(await store.expiredBefore(new Date())).includes("r5"));
    });

    it("stores snippets as given", async () => {
      const snippet = { language: "javascript" as const, runtime: "quickjs" as const, files: { "b.js": "1", "a.js": "2" }, entry: "b.js", stdin: "in", args: ["x"] };
      await store.addSnippet("s1", snippet);
      const read = await store.getSnippet("s1");
      assert.deepEqual({ ...read, createdAt: undefined }, { ...snippet, createdAt: undefined });
      assert.deepEqual(Object.keys(read!.files), ["b.js", "a.js"]);
      assert.equal(await store.getSnippet("none"), undefined);
      assert.equal(await store.ping(), true);
    });
  });
}

describe("PostgreSQL store", () => {
  it("applies its migrations once, however many nodes open the schema at once", async () => {
    const { url, schema } = freshSchemaUrl();
    const stores = await Promise.all([PostgresRunStore.open(url), PostgresRunStore.open(url), PostgresRunStore.open(url)]);
    try {
      await stores[0]!.create("m1", request);
      assert.equal((await stores[2]!.get("m1"))?.status, "queued");
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });

  it("answers StoreUnavailableError while the server cannot be reached, and works again after", async () => {
    const proxy = await CuttableProxy.start(Number(new URL(POSTGRES_URL).port || 5432));
    const { url, schema } = freshSchemaUrl();
    const through = new URL(url);
    through.port = String(proxy.port);
    const store = await PostgresRunStore.open(through.toString());
    try {
      await store.create("u1", request);
      proxy.cut();
      await assert.rejects(store.get("u1"), StoreUnavailableError);
      assert.equal(await store.ping(), false);
      proxy.restore();
      assert.equal((await store.get("u1"))?.status, "queued");
    } finally {
      await store.close();
      await proxy.close();
      await dropSchema(schema);
    }
  });
});
