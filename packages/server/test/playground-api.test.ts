// The routes the playground uses besides runs: live checks and shared snippets.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("POST /api/check", () => {
  it("returns type errors with positions and runs nothing", async () => {
    const res = await post("/api/check", { source: 'console.log("would run");\nconst n: number = "x";' });
    assert.equal(res.status, 200);
    const { diagnostics } = (await res.json()) as { diagnostics: { line: number; column: number; code: number; category: string }[] };
    assert.equal(diagnostics.length, 1);
    assert.deepEqual({ line: diagnostics[0]!.line, column: diagnostics[0]!.column, code: diagnostics[0]!.code, category: diagnostics[0]!.category }, { line: 2, column: 7, code: 2322, category: "error" });
  });

  it("returns no diagnostics for a clean multi-file program, and syntax errors for JavaScript", async () => {
    const clean = await post("/api/check", { files: { "main.ts": 'import { add } from "./util.js";\nconsole.log(add(1, 2));', "util.ts": "export const add = (a: number, b: number) => a + b;" }, entry: "main.ts" });
    assert.deepEqual(await clean.json(), { diagnostics: [] });
    const js = await post("/api/check", { language: "javascript", source: "let = ;" });
    const { diagnostics } = (await js.json()) as { diagnostics: { category: string }[] };
    assert.ok(diagnostics.length > 0 && diagnostics[0]!.category === "error");
  });

  it("refuses bad input like POST /api/runs", async () => {
    for (const body of [{ source: "" }, { source: 1 }, { source: "1", bogus: true }, {}]) {
      const res = await post("/api/check", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const error = ((await res.json()) as { error: { code: string } }).error;
      assert.ok(typeof error.code === "string");
    }
  });
});

describe("snippets", () => {
  it("saves a program and reads it back by its permalink id; a fork is a new snippet", async () => {
    const files = { "main.ts": 'console.log("shared");' };
    const created = await post("/api/snippets", { files, entry: "main.ts", stdin: "in", args: ["a"] });
    assert.equal(created.status, 201);
    const snippet = (await created.json()) as { id: string; links: { page: string } };
    assert.match(snippet.id, /^[0-9A-Za-z]{12}$/);
    assert.equal(snippet.links.page, `/s/${snippet.id}`);
    assert.equal(created.headers.get("location"), `/api/snippets/${snippet.id}`);
    const read = (await (await fetch(`${server.url}/api/snippets/${snippet.id}`)).json()) as { files: Record<string, string>; stdin: string; args: string[]; language: string };
    assert.deepEqual({ files: read.files, stdin: read.stdin, args: read.args, language: read.language }, { files, stdin: "in", args: ["a"], language: "typescript" });
    const fork = (await (await post("/api/snippets", { files: { "main.ts": 'console.log("forked");' } })).json()) as { id: string };
    assert.notEqual(fork.id, snippet.id);
    const original = (await (await fetch(`${server.url}/api/snippets/${snippet.id}`)).json()) as { files: Record<string, string> };
    assert.deepEqual(original.files, files);
  });

  it("answers 404 for an unknown snippet and refuses oversize or malformed ones", async () => {
    assert.equal((await fetch(`${server.url}/api/snippets/nope`)).status, 404);
    assert.equal((await post("/api/snippets", { files: { "main.ts": "x".repeat(300 * 1024) } })).status, 413);
    assert.equal((await post("/api/snippets", { files: { "../main.ts": "1" } })).status, 400);
    assert.equal((await post("/api/snippets", {})).status, 400);
  });
});
