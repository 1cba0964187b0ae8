/**
 * Runs over real HTTP against one in-process server: every status a program can reach, compile
 * errors with positions, files and imports, stdin/args/exit codes, limits, `wait`, cancel.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, sleep, startTestServer, type Accepted, type Api, type RunView, type TestServer } from "./helpers.js";

let server: TestServer;
let api: Api;

before(async () => {
  server = await startTestServer({ poolSize: 2 });
  api = server.api;
});

after(async () => {
  await server?.close();
});

function assertStats(run: RunView): void {
  for (const key of ["queuedMs", "buildMs", "runMs", "memoryPeakBytes"] as const) {
    assert.equal(typeof run.stats[key], "number", `stats.${key}: ${JSON.stringify(run.stats)}`);
    assert.ok(run.stats[key]! >= 0, `stats.${key}: ${JSON.stringify(run.stats)}`);
  }
}

describe("runs", () => {
  it("runs hello world and answers with the finished run when asked to wait", async () => {
    const res = await api.submit({ source: `console.log("hello");` }, "?wait=10");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const run = res.body as RunView;
    assert.equal(run.status, "succeeded");
    assert.equal(run.stdout, "hello\n");
    assert.equal(run.stderr, "");
    assert.equal(run.exitCode, 0);
    assert.equal(run.error, null);
    assert.equal(run.attempts, 1);
    assert.equal(run.language, "typescript");
    assert.deepEqual(run.diagnostics, []);
    assert.equal(run.truncated, false);
    assert.deepEqual(
      run.output.map((c) => [c.stream, c.text]),
      [["stdout", "hello\n"]],
    );
    assert.equal(typeof run.output[0]!.timeMs, "number");
    assertStats(run);
    for (const at of [run.createdAt, run.startedAt, run.finishedAt]) assert.ok(at !== null && !Number.isNaN(Date.parse(at)), String(at));
    assert.ok(Date.parse(run.createdAt) <= Date.parse(run.finishedAt!));
    assert.deepEqual(run.links, { self: `/api/runs/${run.id}`, events: `/api/runs/${run.id}/events`, cancel: `/api/runs/${run.id}/cancel` });
  });

  it("accepts a run with 202 and a Location to poll until it ends", async () => {
    const res = await api.submit({ source: `console.log("polled");` });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const accepted = res.body as Accepted;
    assert.match(accepted.id, /^[\w-]+$/);
    assert.ok(["queued", "building", "running"].includes(accepted.status), accepted.status);
    assert.equal(res.headers.get("location"), `/api/runs/${accepted.id}`);
    assert.deepEqual(accepted.links, { self: `/api/runs/${accepted.id}`, events: `/api/runs/${accepted.id}/events`, cancel: `/api/runs/${accepted.id}/cancel` });
    const location = res.headers.get("location")!;
    let run: RunView | undefined;
    for (let i = 0; i < 400; i++) {
      const polled = await api.request<RunView>("GET", location);
      assert.equal(polled.status, 200);
      if (["queued", "building", "running"].includes(polled.body.status)) {
        await new Promise((r) => setTimeout(r, 25));
        continue;
      }
      run = polled.body;
      break;
    }
    assert.ok(run, "the run never ended");
    assert.equal(run.id, accepted.id);
    assert.equal(run.status, "succeeded");
    assert.equal(run.stdout, "polled\n");
    assert.equal(run.attempts, 1);
  });

  it("reports type errors as compile_error with 1-based positions, and runs nothing", async () => {
    const run = await api.runToEnd({ source: `console.log("must not run");\nconst x: number = "a";\n` });
    assert.equal(run.status, "compile_error");
    assert.deepEqual(run.diagnostics, [
      { file: "main.ts", line: 2, column: 7, endLine: 2, endColumn: 8, code: 2322, category: "error", message: "Type 'string' is not assignable to type 'number'." },
    ]);
    assert.equal(run.stdout, "");
    assert.deepEqual(run.output, []);
    assert.equal(run.exitCode, null);
    assert.equal(run.stats.runMs, null);
    assert.equal(typeof run.stats.buildMs, "number");
  });

  it("reports what the sandbox lacks as a type error (fetch)", async () => {
    const run = await api.runToEnd({ source: `fetch("https://example.com");\n` });
    assert.equal(run.status, "compile_error");
    assert.ok(run.diagnostics.some((d) => d.code === 2304 && d.line === 1 && d.column === 1), JSON.stringify(run.diagnostics));
  });

  it("runs a program with a type error when typecheck is false", async () => {
    const run = await api.runToEnd({ source: `const x: number = "a" as any as number;\nconst y: number = "typed wrong";\nconsole.log(x, y);\n`, typecheck: false });
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(run.stdout, "a typed wrong\n");
  });

  it("reports a JavaScript syntax error as compile_error with its position", async () => {
    const run = await api.runToEnd({ language: "javascript", source: `const a = 1;\nconst b = (a +;\nconsole.log("must not run");\n` });
    assert.equal(run.status, "compile_error");
    assert.equal(run.language, "javascript");
    assert.ok(run.diagnostics.length > 0);
    const d = run.diagnostics[0]!;
    assert.equal(d.file, "main.js");
    assert.equal(d.category, "error");
    assert.equal(d.line, 2);
    assert.ok(d.column >= 1 && d.endLine >= d.line && typeof d.message === "string" && d.message.length > 0, JSON.stringify(d));
    assert.equal(run.stdout, "");
  });

  it("runs JavaScript without type checking it", async () => {
    const run = await api.runToEnd({ language: "javascript", source: `const n = "4" * 2;\nconsole.log(n);\n` });
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(run.stdout, "8\n");
  });

  it("runs several files from an entry with a relative import", async () => {
    const run = await api.runToEnd({
      files: {
        "main.ts": `import { add } from "./lib/math.js";\nimport { greet } from "./greet";\nconsole.log(greet("files"), add(2, 3));\n`,
        "lib/math.ts": `export function add(a: number, b: number): number {\n  return a + b;\n}\n`,
        "greet.ts": `export const greet = (name: string): string => "hi " + name;\n`,
      },
      entry: "main.ts",
    });
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(run.stdout, "hi files 5\n");
  });

  it("reports a type error in an imported file against that file", async () => {
    const run = await api.runToEnd({
      files: { "main.ts": `import { n } from "./util.js";\nconsole.log(n);\n`, "util.ts": `export const n: string = 5;\n` },
      entry: "main.ts",
    });
    assert.equal(run.status, "compile_error");
    assert.deepEqual(
      run.diagnostics.map((d) => [d.file, d.line, d.code]),
      [["util.ts", 1, 2322]],
    );
  });

  it("feeds stdin and args to the program", async () => {
    const run = await api.runToEnd({
      source: `const input: string = require("fs").readFileSync(0, "utf8");\nconsole.log(input.toUpperCase().trim(), process.argv.slice(2).join("|"));\n`,
      stdin: "line one\nline two\n",
      args: ["a b", "--flag", "3"],
    });
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(run.stdout, "LINE ONE\nLINE TWO a b|--flag|3\n");
  });

  it("keeps stdout and stderr apart, in order", async () => {
    const run = await api.runToEnd({ source: `console.log("out 1");\nconsole.error("err 1");\nconsole.log("out 2");\n` });
    assert.equal(run.status, "succeeded");
    assert.equal(run.stdout, "out 1\nout 2\n");
    assert.equal(run.stderr, "err 1\n");
    assert.equal(
      run.output.map((c) => c.text).join(""),
      "out 1\nerr 1\nout 2\n",
    );
  });

  it("ends as failed with the exit code set by process.exitCode", async () => {
    const run = await api.runToEnd({ source: `console.log("before");\nprocess.exitCode = 3;\n` });
    assert.equal(run.status, "failed");
    assert.equal(run.exitCode, 3);
    assert.equal(run.stdout, "before\n");
  });

  it("ends as failed with the exit code given to process.exit, and stops there", async () => {
    const run = await api.runToEnd({ source: `console.log("before");\nprocess.exit(4);\nconsole.log("after");\n` });
    assert.equal(run.status, "failed");
    assert.equal(run.exitCode, 4);
    assert.equal(run.stdout, "before\n");
  });

  it("ends as succeeded with process.exit(0)", async () => {
    const run = await api.runToEnd({ source: `console.log("bye");\nprocess.exit(0);\n` });
    assert.equal(run.status, "succeeded");
    assert.equal(run.exitCode, 0);
  });

  it("ends as failed with the error of an uncaught throw", async () => {
    const run = await api.runToEnd({ source: `console.log("first");\nfunction boom(): never {\n  throw new TypeError("boom");\n}\nboom();\n` });
    assert.equal(run.status, "failed");
    assert.notEqual(run.exitCode, 0);
    assert.equal(run.stdout, "first\n");
    assert.ok(run.error, "no error");
    assert.equal(run.error.name, "TypeError");
    assert.equal(run.error.message, "boom");
    assert.equal(typeof run.error.stack, "string");
    assert.match(run.error.stack, /main\.ts:3/);
  });

  it("ends as failed on an unhandled rejection", async () => {
    const run = await api.runToEnd({ source: `await Promise.reject(new RangeError("nope"));\n` });
    assert.equal(run.status, "failed");
    assert.equal(run.error?.name, "RangeError");
    assert.equal(run.error?.message, "nope");
  });

  it("ends as timed_out past its time limit", async () => {
    const run = await api.runToEnd({ source: `console.log("one");\nconsole.log("two");\nwhile (true) {}\n`, limits: { timeMs: 200 } });
    assert.equal(run.status, "timed_out");
    assert.equal(run.stdout, "one\ntwo\n");
    assert.equal(run.exitCode, null);
    assert.ok(run.error && run.error.name.length > 0, JSON.stringify(run.error));
  });

  it("ends as memory_exceeded past its memory limit", async () => {
    const run = await api.runToEnd({
      source: `const hoard: number[][] = [];\nwhile (true) hoard.push(new Array(100_000).fill(hoard.length));\n`,
      limits: { memoryMb: 32, timeMs: 10_000 },
    });
    assert.equal(run.status, "memory_exceeded", JSON.stringify(run).slice(0, 800));
    assert.equal(run.exitCode, null);
  });

  it("ends as output_exceeded past its output limit, with the output truncated", async () => {
    const run = await api.runToEnd({ source: `for (;;) console.log("spam spam spam spam");\n`, limits: { outputKb: 1, timeMs: 5000 } });
    assert.equal(run.status, "output_exceeded");
    assert.equal(run.truncated, true);
    assert.ok(run.stdout.startsWith("spam spam spam spam\n"), run.stdout.slice(0, 100));
    assert.ok(Buffer.byteLength(run.stdout) <= 2 * 1024, `kept ${Buffer.byteLength(run.stdout)} bytes of a 1 KiB limit`);
  });

  it("answers 202 when the run does not end within ?wait, and cancels a running run", async () => {
    const res = await api.submit({ source: `console.log("looping");\nwhile (true) {}\n`, limits: { timeMs: 20_000 } }, "?wait=0.2");
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const { id } = res.body as Accepted;
    assert.equal(res.headers.get("location"), `/api/runs/${id}`);
    // A busy loop never yields, so its output is delivered only when it ends: wait for "running".
    await api.until(id, (r) => r.status === "running");
    await sleep(100);
    const cancelled = await api.request<RunView>("POST", `/api/runs/${id}/cancel`);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, "cancelled");
    const run = await api.terminal(id);
    assert.equal(run.status, "cancelled");
    assert.ok(run.finishedAt);
    // Cancelling a finished run changes nothing.
    const again = await api.request<RunView>("POST", `/api/runs/${id}/cancel`);
    assert.equal(again.status, 200);
    assert.equal(again.body.status, "cancelled");
  });

  it(
    "keeps what a run printed before it was cancelled (as a timed-out run does)",
    async () => {
      const id = await api.accepted({ source: `console.log("one");\nconsole.log("two");\nwhile (true) {}\n`, limits: { timeMs: 20_000 } });
      await api.until(id, (r) => r.status === "running");
      await sleep(100);
      assert.equal((await api.request("POST", `/api/runs/${id}/cancel`)).status, 200);
      const run = await api.terminal(id);
      assert.equal(run.status, "cancelled");
      assert.equal(run.stdout, "one\ntwo\n");
    },
  );

  it("long-polls GET ?wait until the run ends", async () => {
    const id = await api.accepted({ source: `await new Promise((resolve) => setTimeout(resolve, 300));\nconsole.log("slept");\n` });
    const res = await api.get(id, "?wait=10");
    assert.equal(res.status, 200);
    const run = res.body as RunView;
    assert.equal(run.status, "succeeded");
    assert.equal(run.stdout, "slept\n");
  });

  it("answers GET ?wait with the run as it is when the wait runs out", async () => {
    const id = await api.accepted({ source: `await new Promise((resolve) => setTimeout(resolve, 1500));\nconsole.log("late");\n` });
    const res = await api.get(id, "?wait=0.1");
    assert.equal(res.status, 200);
    assert.ok(["queued", "building", "running"].includes((res.body as RunView).status), (res.body as RunView).status);
    const run = await api.terminal(id);
    assert.equal(run.stdout, "late\n");
  });

  it("answers 404 for an unknown run on every run route", async () => {
    const unknown = "00000000-0000-0000-0000-000000000000";
    assertError(await api.get(unknown), 404, "not_found");
    assertError(await api.get(unknown, "?wait=1"), 404, "not_found");
    assertError(await api.request("POST", `/api/runs/${unknown}/cancel`), 404, "not_found");
    assertError(await api.request("DELETE", `/api/runs/${unknown}`), 404, "not_found");
    assertError(await api.request("GET", `/api/runs/${unknown}/events`), 404, "not_found");
  });
});
