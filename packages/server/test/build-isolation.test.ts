/**
 * Builds (type-checking, transpiling) run in checker threads under a deadline: a program that is
 * costly to type-check stalls no request (health answers meanwhile), ends `compile_error` with a
 * clear diagnostic once over the build time limit, and its checker is replaced; interactive checks
 * are refused with 503 `checker_busy` when every checker is taken.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, sleep, startTestServer, type Api, type RunView, type TestServer } from "./helpers.js";

const BUILD_TIMEOUT_MS = 4000;

/** About 70 KB of TypeScript whose check takes well over a minute (unions of 10,000 template literals, excluded from again and again). */
const COSTLY = [
  `type D = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";`,
  "type N = `${D}${D}${D}${D}`;",
  ...Array.from({ length: 800 }, (_, i) => `type M${i} = Exclude<N, \`\${D}\${D}\${D}${i % 10}\`>;\nconst v${i}: M${i} = "1234" as N as M${i};`),
  `console.log("never runs");`,
].join("\n");

let server: TestServer;
let api: Api;

before(async () => {
  server = await startTestServer({ poolSize: 1, checkers: 1, buildTimeoutMs: BUILD_TIMEOUT_MS });
  api = server.api;
});

after(async () => {
  await server?.close();
});

interface Health {
  status: string;
  checkers: { threads: number; inFlight: number; timedOut: number };
}

async function health(): Promise<Health> {
  const res = await api.request<Health>("GET", "/api/health");
  assert.equal(res.status, 200);
  return res.body;
}

describe("builds off the event loop", () => {
  it("answers health while a costly type-check runs, then ends the run compile_error at the build time limit", async () => {
    const id = await api.accepted({ source: COSTLY });
    await api.until(id, (r) => r.status === "building", 60_000);
    for (;;) {
      // Building the whole time the checker works: wait until a thread has it.
      if ((await health()).checkers.inFlight === 1) break;
    }
    // While the check runs (for seconds), the server answers at once: health, and the run itself.
    assert.equal((await health()).status, "ok");
    assert.equal(((await api.get(id)).body as RunView).status, "building");
    const run = await api.terminal(id, 120_000);
    assert.equal(run.status, "compile_error");
    assert.equal(run.diagnostics.length, 1, JSON.stringify(run.diagnostics));
    assert.match(run.diagnostics[0]!.message, new RegExp(`type-checking took longer than the build time limit \\(${BUILD_TIMEOUT_MS} ms\\)`));
    assert.equal(run.diagnostics[0]!.category, "error");
    assert.equal(run.stdout, "");
    assert.ok(run.stats.buildMs! >= BUILD_TIMEOUT_MS, String(run.stats.buildMs));
    assert.equal((await health()).checkers.timedOut, 1);
    // The checker was replaced (its warm-up can take long on a loaded machine): builds go on.
    const next = await api.terminal(await api.accepted({ source: `const n: number = 41;\nconsole.log(n + 1);` }), 120_000);
    assert.equal(next.status, "succeeded", JSON.stringify(next.diagnostics));
    assert.equal(next.stdout, "42\n");
    const wrong = await api.terminal(await api.accepted({ source: `const n: number = "x";` }), 120_000);
    assert.equal(wrong.status, "compile_error");
    assert.match(wrong.diagnostics[0]!.message, /not assignable to type 'number'/);
  });

  it("stops a costly /api/check the same way, and refuses checks beyond what the checkers can hold", async () => {
    while ((await health()).checkers.inFlight > 0) await sleep(50);
    const costly = () => api.request<{ diagnostics: { message: string }[] }>("POST", "/api/check", { body: { source: COSTLY } });
    const first = costly();
    while ((await health()).checkers.inFlight < 1);
    const second = costly(); // waits for the one checker
    while ((await health()).checkers.inFlight < 2);
    assertError(await costly(), 503, "checker_busy");
    for (const res of [await first, await second]) {
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.diagnostics.length, 1);
      assert.match(res.body.diagnostics[0]!.message, /took longer than the build time limit/);
    }
    const ok = await api.request<{ diagnostics: unknown[] }>("POST", "/api/check", { body: { source: `export const x: number = 1;` } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.diagnostics, []);
  });
});
