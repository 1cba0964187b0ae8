/**
 * The program runner, in-thread (runProgram): a program sees a Node-like surface (console,
 * process, stdin through fs and readline, exit codes, timers, modules) and ends with a status.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { assertSucceeded, inChildProcess, streamRuns } from "./helpers.js";
import { IsolatedRuntimeHost, outputSegments, type ProgramOptions, type ProgramSource, type RunResult } from "../src/index.js";
import { runProgram } from "../src/program/runner.js";
import { FAST_CHUNKS, MAX_CHUNK_CHARS, ProgramOutput, SLOW_COALESCE_MS } from "../src/program/output.js";
import { ERROR_TRUNCATED } from "../src/program/error-text.js";

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

const run = (program: ProgramSource, options: ProgramOptions = {}) => runProgram(host, program, { timeLimit: 1000, ...options });

/** All output text, or one stream's. */
function text(result: RunResult, stream?: "stdout" | "stderr"): string {
  return streamRuns(result.output)
    .filter(([s]) => stream === undefined || s === stream)
    .map(([, t]) => t)
    .join("");
}

describe("output", () => {
  test("console text and process.stdout.write keep NUL characters", async () => {
    const result = await run(`console.log("a\\0b", "c\\0"); process.stdout.write("d\\0e"); console.error(\`x\${"\\0"}y %s\`, "z");`);
    assertSucceeded(result);
    assert.equal(text(result, "stdout"), "a\0b c\0\nd\0e");
    assert.equal(text(result, "stderr"), "x\0y z\n");
  });

  test("hello world: one stdout chunk with a time, status succeeded, exit code 0", async () => {
    const result = await run(`console.log("hello, world");`);
    assertSucceeded(result);
    assert.equal(result.output.length, 1);
    const [chunk] = result.output;
    assert.equal(chunk!.stream, "stdout");
    assert.equal(chunk!.text, "hello, world\n");
    assert.equal(typeof chunk!.timeMs, "number");
    assert.ok(chunk!.timeMs >= 0 && Number.isFinite(chunk!.timeMs));
    for (const key of ["queuedMs", "runMs", "cpuMs", "memoryPeakBytes"] as const) assert.equal(typeof result.stats[key], "number", key);
    assert.ok(result.stats.memoryPeakBytes > 0);
  });

  test("console.error and console.warn go to stderr, log and info to stdout, in order", async () => {
    const result = await run(`console.log("one"); console.error("two"); console.info("three"); console.warn("four");`);
    assertSucceeded(result);
    assert.deepEqual(
      streamRuns(result.output),
      [
        ["stdout", "one\n"],
        ["stderr", "two\n"],
        ["stdout", "three\n"],
        ["stderr", "four\n"],
      ],
    );
    const times = result.output.map((c) => c.timeMs);
    assert.deepEqual([...times].sort((a, b) => a - b), times, "chunk times never go backwards");
  });

  test("process.stdout.write and process.stderr.write write exactly what they are given", async () => {
    const result = await run(`process.stdout.write("no newline"); process.stderr.write("err"); process.stdout.write(" then\\n");`);
    assertSucceeded(result);
    assert.deepEqual(
      streamRuns(result.output),
      [
        ["stdout", "no newline"],
        ["stderr", "err"],
        ["stdout", " then\n"],
      ],
    );
  });
});

describe("stdin, argv and env", () => {
  test('require("fs").readFileSync(0, "utf8") reads all of stdin', async () => {
    const result = await run(`const input = require("fs").readFileSync(0, "utf8"); console.log(JSON.stringify(input));`, { stdin: "3 4\nsecond line\n" });
    assertSucceeded(result);
    assert.equal(text(result), `${JSON.stringify("3 4\nsecond line\n")}\n`);
  });

  test('readFileSync("/dev/stdin").toString() reads stdin too', async () => {
    const result = await run(`const data = require("fs").readFileSync("/dev/stdin").toString(); console.log(data.trim().split(" ").map(Number).reduce((a, b) => a + b));`, {
      stdin: "1 2 3\n",
    });
    assertSucceeded(result);
    assert.equal(text(result), "6\n");
  });

  test("readFileSync of any other path is a catchable ENOENT", async () => {
    const result = await run(`try { require("fs").readFileSync("/etc/passwd", "utf8"); } catch (e) { console.log(e.code); }`);
    assertSucceeded(result);
    assert.equal(text(result), "ENOENT\n");
  });

  test("readline emits a line event per line (\\r\\n too, blank lines kept), then close", async () => {
    const result = await run(
      `const rl = require("readline").createInterface({ input: process.stdin });
       const lines: string[] = [];
       rl.on("line", (line: string) => lines.push(line));
       rl.on("close", () => console.log(JSON.stringify(lines)));`,
      { stdin: "a\r\nb\n\nlast" },
    );
    assertSucceeded(result);
    assert.equal(text(result), `${JSON.stringify(["a", "b", "", "last"])}\n`);
  });

  test("for await (const line of rl) works at the top level", async () => {
    const result = await run(
      `const rl = require("readline").createInterface({ input: process.stdin });
       let total = 0;
       for await (const line of rl) total += Number(line);
       console.log("total", total);`,
      { stdin: "1\n2\n39\n" },
    );
    assertSucceeded(result);
    assert.equal(text(result), "total 42\n");
  });

  test("rl.question writes the prompt and answers with the next line", async () => {
    const result = await run(
      `const rl = require("readline").createInterface({ input: process.stdin, output: process.stdout });
       rl.question("name? ", (name: string) => { console.log("hello " + name); rl.close(); });`,
      { stdin: "Ada\n" },
    );
    assertSucceeded(result);
    assert.equal(text(result), "name? hello Ada\n");
  });

  test("process.argv is [node, entry, ...args]", async () => {
    const result = await run(`console.log(JSON.stringify(process.argv));`, { args: ["--flag", "value"] });
    assertSucceeded(result);
    assert.deepEqual(JSON.parse(text(result)), ["node", "/main.ts", "--flag", "value"]);
  });

  test("process.env is empty", async () => {
    const result = await run(`console.log(JSON.stringify(process.env), Object.keys(process.env).length);`);
    assertSucceeded(result);
    assert.equal(text(result), "{} 0\n");
  });
});

describe("exit codes", () => {
  test("process.exitCode = 3 ends the program as failed with exit code 3", async () => {
    const result = await run(`process.exitCode = 3; console.log("still runs");`);
    assert.equal(result.status, "failed");
    assert.equal(result.exitCode, 3);
    assert.equal(result.error, undefined);
    assert.equal(text(result), "still runs\n");
  });

  test("process.exit(4) stops at once: nothing after it runs, not even pending timers", async () => {
    const result = await run(`console.log("before"); setTimeout(() => console.log("timer"), 0); process.exit(4); console.log("after");`);
    assert.equal(result.status, "failed");
    assert.equal(result.exitCode, 4);
    assert.equal(text(result), "before\n");
  });

  test("process.exit inside a timer callback stops the program there", async () => {
    const result = await run(`setTimeout(() => { console.log("tick"); process.exit(5); console.log("after"); }, 1); setTimeout(() => console.log("never"), 30);`);
    assert.equal(result.status, "failed");
    assert.equal(result.exitCode, 5);
    assert.equal(text(result), "tick\n");
  });

  test("process.exit(0) succeeds", async () => {
    const result = await run(`console.log("done"); process.exit(0); console.log("after");`);
    assertSucceeded(result);
    assert.equal(text(result), "done\n");
  });

  test(
    "process.exit inside try/catch/finally stops at once: neither catch nor finally runs",
    async () => {
      const result = await run(`try { process.exit(2); } catch (e) { console.log("caught"); } finally { console.log("finally"); }`);
      assert.equal(result.status, "failed");
      assert.equal(result.exitCode, 2);
      assert.equal(text(result), "");
    },
  );

  test("an uncaught error fails with exit code 1 and its name, message and stack (naming the .ts file)", async () => {
    const result = await run(`console.log("before");\nfunction explode(): never {\n  throw new TypeError("bad input");\n}\nexplode();\n`);
    assert.equal(result.status, "failed");
    assert.equal(result.exitCode, 1);
    assert.equal(result.error?.name, "TypeError");
    assert.equal(result.error?.message, "bad input");
    assert.match(result.error!.stack, /explode/);
    assert.match(result.error!.stack, /\/main\.ts:\d+:\d+/);
    assert.equal(text(result), "before\n");
  });

  test(
    "an uncaught error's stack points at the line in the TypeScript source",
    async () => {
      const result = await run(`function f(): void { throw new TypeError("bad"); }\nf();`);
      assert.equal(result.status, "failed");
      assert.match(result.error!.stack, /at f \(\/main\.ts:1:\d+\)/);
      assert.match(result.error!.stack, /\(\/main\.ts:2:\d+\)/);
    },
  );

  test("exit statuses are 8 bits, as the operating system keeps them", async () => {
    assert.equal((await run(`process.exit(300)`)).exitCode, 44);
    assert.equal((await run(`process.exit(-1)`)).exitCode, 255);
    assert.equal((await run(`process.exitCode = 256 + 3`)).exitCode, 3);
  });

  test("the output cap cuts at a character boundary, never inside one", async () => {
    const result = await run(`console.log("€€€€")`, { maxOutputBytes: 10 });
    assert.equal(result.status, "output_exceeded");
    assert.equal(text(result), "€€€");
  });

  test("a rejected top-level await fails the program", async () => {
    const result = await run(`await Promise.reject(new RangeError("nope"));`);
    assert.equal(result.status, "failed");
    assert.equal(result.exitCode, 1);
    assert.equal(result.error?.name, "RangeError");
    assert.equal(result.error?.message, "nope");
  });

  test("an unhandled promise rejection fails the program once microtasks have drained, as in Node", async () => {
    const result = await run(`Promise.reject(new Error("unhandled")); console.log("after");`);
    assert.equal(result.status, "failed");
    assert.equal(result.exitCode, 1);
    assert.equal(result.error?.name, "Error");
    assert.equal(result.error?.message, "unhandled");
    assert.equal(text(result), "after\n");
  });

  test("rejections from async functions, then-callbacks and timers are unhandled unless something handles them", async () => {
    const failing: [string, string][] = [
      [`async function main() { throw new TypeError("from async"); } main();`, "from async"],
      [`Promise.resolve(1).then(() => { throw new RangeError("from then"); });`, "from then"],
      [`setTimeout(() => { Promise.reject(new Error("from a timer")); }, 5); setTimeout(() => console.log("not reached"), 50);`, "from a timer"],
      // The first promise's rejection is never handled, though a later one at the same place is.
      [`async function bad() { throw new Error("first"); } bad(); try { await bad(); } catch {}`, "first"],
      [`const p = Promise.reject(new Error("too late")); setTimeout(() => p.catch(() => {}), 5);`, "too late"],
    ];
    for (const [source, message] of failing) {
      const result = await run(source);
      assert.equal(result.status, "failed", source);
      assert.equal(result.exitCode, 1, source);
      assert.equal(result.error?.message, message, source);
      assert.doesNotMatch(text(result), /not reached/);
    }
    const fine = [
      `const p = Promise.reject(new Error("x")); p.catch(() => console.log("caught"));`,
      `async function bad() { throw new Error("x"); } try { await bad(); } catch { console.log("caught"); }`,
      `await Promise.allSettled([Promise.reject(1), Promise.reject(2)]); console.log("caught");`,
      `await Promise.race([Promise.resolve(1), Promise.reject(new Error("loser"))]); console.log("caught");`,
      `Promise.reject(new Error("x")).finally(() => {}).catch(() => console.log("caught"));`,
    ];
    for (const source of fine) {
      const result = await run(source);
      assertSucceeded(result);
      assert.equal(text(result), "caught\n", source);
    }
  });

  test("a loop of one-byte writes streams as a few chunks, not one per write, and nothing is lost", async () => {
    let streamed = "";
    const result = await runProgram(host, `for (let i = 0; i < 100000; i++) process.stdout.write("x"); console.error("done");`, { timeLimit: 5000 }, { onOutput: (c) => (streamed += c.text) });
    assertSucceeded(result);
    assert.equal(text(result, "stdout"), "x".repeat(100000));
    assert.equal(streamed, text(result));
    assert.ok(result.output.length < 10_000, `${result.output.length} chunks for 100,000 writes`); // one per 2 ms, however slow the machine
    assert.deepEqual(streamRuns(result.output).at(-1), ["stderr", "done\n"]);
  });

  test("alternating one-byte writes to stdout and stderr coalesce into ordered segments: few chunks, exact text and order", async () => {
    const result = await run(`for (let i = 0; i < 20000; i++) { process.stdout.write("o"); process.stderr.write("e"); }`, { timeLimit: 30_000 });
    assertSucceeded(result);
    assert.ok(result.output.length <= FAST_CHUNKS + Math.ceil(result.stats.runMs / SLOW_COALESCE_MS) + 2, `${result.output.length} chunks in ${result.stats.runMs} ms`);
    assert.ok(result.output.length < 2000, `${result.output.length} chunks for 40,000 writes`);
    const runs = streamRuns(result.output);
    assert.equal(runs.length, 40_000);
    assert.ok(runs.every(([stream, text], i) => text === (i % 2 === 0 ? "o" : "e") && stream === (i % 2 === 0 ? "stdout" : "stderr")));
    for (const chunk of result.output) {
      assert.ok(chunk.switches === undefined || chunk.switches.every((at, i, all) => at > 0 && at < chunk.text.length && (i === 0 || at > all[i - 1]!)), JSON.stringify(chunk.switches));
    }
  });

  test("past its first chunks, a run's output goes out at most once per 100 ms, whatever the writes' pace", () => {
    // Writes 3 ms apart (a clock the test moves): each would be a chunk of its own within the 2 ms window.
    let now = 0;
    const output = new ProgramOutput(1 << 20, 0, undefined, () => undefined, () => now);
    for (let i = 0; i < 3000; i++, now += 3) output.write(i % 2 === 0 ? "stdout" : "stderr", "x");
    output.flush();
    assert.equal(output.chunks.map((c) => c.text).join(""), "x".repeat(3000));
    // 1,000 chunks in the first 3 s, then one per 100 ms of the remaining 6 s.
    assert.ok(output.chunks.length <= FAST_CHUNKS + Math.ceil((3000 * 3 - FAST_CHUNKS * 3) / SLOW_COALESCE_MS) + 1, `${output.chunks.length} chunks`);
    assert.ok(output.chunks.length > FAST_CHUNKS, "the first chunks go out at the fast pace");
    assert.equal(streamRuns(output.chunks).length, 3000, "the streams' order is kept");
  });

  test("a long write goes out in chunks of at most 64 Ki characters, surrogate pairs whole", () => {
    const output = new ProgramOutput(1 << 24, 0, undefined, () => undefined, () => 0);
    const text = "a" + "😀".repeat(MAX_CHUNK_CHARS);
    output.write("stdout", text);
    output.flush();
    assert.ok(output.chunks.every((c) => c.text.length <= MAX_CHUNK_CHARS && !/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(c.text)));
    assert.equal(output.chunks.map((c) => c.text).join(""), text);
    assert.ok(output.chunks.length >= 2);
  });

  test("outputSegments splits a chunk at its switches", () => {
    assert.deepEqual(outputSegments({ stream: "stdout", text: "abcdef", timeMs: 0, switches: [2, 3] }), [
      { stream: "stdout", text: "ab" },
      { stream: "stderr", text: "c" },
      { stream: "stdout", text: "def" },
    ]);
    assert.deepEqual(outputSegments({ stream: "stderr", text: "xy", timeMs: 0 }), [{ stream: "stderr", text: "xy" }]);
  });

  test("a flood of rejections is counted exactly, and the host holds only the first few", async () => {
    const handled = await run(`const all = []; for (let i = 0; i < 20000; i++) all.push(Promise.reject(i)); for (const p of all) p.catch(() => {}); console.log("handled");`);
    assertSucceeded(handled);
    const unhandled = await run(`for (let i = 0; i < 30000; i++) Promise.reject(new Error("r" + i));`);
    assert.equal(unhandled.exitCode, 1);
    assert.equal(unhandled.error?.message, "r0");
    // The 16 held ones are handled; the rest were only counted, and are still reported.
    const beyond = await run(`const all = []; for (let i = 0; i < 40; i++) all.push(Promise.reject(new Error("r" + i))); for (const p of all.slice(0, 16)) p.catch(() => {});`);
    assert.equal(beyond.exitCode, 1);
    assert.equal(beyond.error?.name, "UnhandledPromiseRejection");
    assert.match(beyond.error!.message, /24 promises were rejected without a handler/);
  });

  test("process.on(\"unhandledRejection\") takes the rejection instead, as in Node; a listener that throws ends the program", async () => {
    const listened = await run(`process.on("unhandledRejection", (reason, promise) => console.log("saw", reason.message, promise instanceof Promise));
      Promise.reject(new Error("x")); setTimeout(() => console.log("still running"), 5);`);
    assertSucceeded(listened);
    assert.equal(text(listened), "saw x true\nstill running\n");
    const thrown = await run(`process.once("unhandledRejection", () => { throw new RangeError("from the listener"); }); Promise.reject(1);`);
    assert.deepEqual([thrown.exitCode, thrown.error?.name, thrown.error?.message], [1, "RangeError", "from the listener"]);
  });

  test("a rejection raised inside an unhandledRejection listener ends the program, as real node does", async () => {
    const program = `process.once("unhandledRejection", (r) => { console.log("listener", String(r)); Promise.reject(new Error("inner")); });
      Promise.reject(new Error("outer"));
      setTimeout(() => console.log("timer ran"), 10);`;
    const node = spawnSync(process.execPath, ["--input-type=module", "-e", program], { encoding: "utf8", timeout: 20_000 });
    const ours = await run(program, { language: "javascript" });
    assert.deepEqual([ours.exitCode, text(ours)], [node.status, node.stdout]);
    assert.deepEqual([node.status, node.stdout], [1, "listener Error: outer\n"]);
    assert.match(node.stderr, /Error: inner/);
    assert.equal(ours.error?.message, "inner");
    const again = await run(`let n = 0; process.on("unhandledRejection", (r) => { console.log(String(r)); if (++n < 3) Promise.reject(new Error("inner" + n)); }); Promise.reject(new Error("outer"));`);
    assertSucceeded(again);
    assert.equal(text(again), "Error: outer\nError: inner1\nError: inner2\n");
  });

  test("microtasks run between timers due at the same time, so a rejection is checked after each, as in Node", async () => {
    const result = await run(`let p; setTimeout(() => { p = Promise.reject(new Error("unhandled in the first")); }, 0);
      setTimeout(() => { p.catch(() => console.log("too late")); }, 0);`);
    assert.deepEqual([result.exitCode, result.error?.message, text(result)], [1, "unhandled in the first", ""]);
    const order = await run(`setTimeout(() => { console.log("t1"); Promise.resolve().then(() => console.log("m1")); }, 0);
      setTimeout(() => console.log("t2"), 0);`);
    assert.equal(text(order), "t1\nm1\nt2\n");
  });

  test("a rejection with a value that is not an Error is reported as Node words it", async () => {
    const result = await run(`Promise.reject(42);`);
    assert.equal(result.status, "failed");
    assert.equal(result.exitCode, 1);
    assert.equal(result.error?.name, "UnhandledPromiseRejection");
    assert.match(result.error!.message, /rejected with the reason "42"/);
  });
});

describe("async programs", () => {
  test("top-level await", async () => {
    const result = await run(`const value = await new Promise<number>((resolve) => setTimeout(() => resolve(42), 5)); console.log(value);`);
    assertSucceeded(result);
    assert.equal(text(result), "42\n");
  });

  test("timers fire in due order, after synchronous code and microtasks", async () => {
    const result = await run(
      `setTimeout(() => console.log("late"), 20);
       setTimeout(() => console.log("early"), 5);
       setTimeout(() => console.log("zero"), 0);
       Promise.resolve().then(() => console.log("microtask"));
       console.log("sync");`,
    );
    assertSucceeded(result);
    assert.equal(text(result), "sync\nmicrotask\nzero\nearly\nlate\n");
  });

  test("a setInterval cleared after 3 ticks ticks exactly 3 times and the program ends", async () => {
    const result = await run(`let n = 0; const id = setInterval(() => { n++; console.log("tick " + n); if (n === 3) clearInterval(id); }, 1);`);
    assertSucceeded(result);
    assert.equal(text(result), "tick 1\ntick 2\ntick 3\n");
  });
});

describe("languages and modules", () => {
  test("TypeScript types, interfaces, enums and generics compile away", async () => {
    const result = await run(
      `enum Color { Red, Green = 5 }
       interface Point { x: number; y: number }
       type Maybe<T> = T | undefined;
       function first<T>(items: T[]): Maybe<T> { return items[0]; }
       const p: Point = { x: Color.Green, y: 2 };
       console.log(Color[0], p.x + p.y, first<string>(["a", "b"]) as string);`,
    );
    assertSucceeded(result);
    assert.equal(text(result), "Red 7 a\n");
  });

  test("a TypeScript syntax error fails with a SyntaxError naming file:line:column", async () => {
    const result = await run(`const ok = 1;\nconst broken: number = 2 +;\n`);
    assert.equal(result.status, "failed");
    assert.equal(result.exitCode, 1);
    assert.equal(result.error?.name, "SyntaxError");
    assert.match(result.error!.message, /\/main\.ts:2:\d+/);
    assert.deepEqual(result.output, []);
  });

  test('language: "javascript" runs JavaScript as-is (type annotations are then syntax errors)', async () => {
    const js = await run(`console.log(typeof process, process.argv[1]);`, { language: "javascript" });
    assertSucceeded(js);
    assert.equal(text(js), "object /main.js\n");
    const annotated = await run(`const x: number = 1;`, { language: "javascript" });
    assert.equal(annotated.status, "failed");
    assert.equal(annotated.error?.name, "SyntaxError");
  });

  test("multiple files with an entry, imported TypeScript-style as ./util.js", async () => {
    const result = await run({
      files: {
        "main.ts": `import { base, twice } from "./util.js";\nimport { triple } from "./lib/more.js";\nconsole.log(twice(base), triple(base));`,
        "util.ts": `export const base: number = 7;\nexport function twice(n: number): number { return n * 2; }`,
        "lib/more.ts": `import { base } from "../util.js";\nexport const triple = (n: number): number => n * 3 + base - base;`,
      },
      entry: "main.ts",
    });
    assertSucceeded(result);
    assert.equal(text(result), "14 21\n");
  });

  test('a module can import fs from "node:fs" and readline from "readline"', async () => {
    const result = await run(
      `import fs from "node:fs";
       import * as readline from "readline";
       const input = fs.readFileSync(0, "utf8").trim();
       console.log(input, typeof readline.createInterface);`,
      { stdin: "from stdin\n" },
    );
    assertSucceeded(result);
    assert.equal(text(result), "from stdin function\n");
  });

  test('require("http") throws a clear, catchable "Cannot find module" error', async () => {
    const caught = await run(`try { require("http"); } catch (e) { console.log((e as Error).message, (e as { code: string }).code); }`);
    assertSucceeded(caught);
    assert.match(text(caught), /^Cannot find module 'http'.* MODULE_NOT_FOUND\n$/);
    const uncaught = await run(`require("node:http");`);
    assert.equal(uncaught.status, "failed");
    assert.match(uncaught.error!.message, /Cannot find module 'node:http'/);
  });

  test("require() finds no module by a name every object inherits (toString, constructor, __proto__)", async () => {
    const result = await run(
      `for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) { try { require(name); console.log(name, "found"); } catch (e) { console.log(name, (e as { code: string }).code); } }`,
    );
    assertSucceeded(result);
    assert.equal(text(result), "toString MODULE_NOT_FOUND\nconstructor MODULE_NOT_FOUND\n__proto__ MODULE_NOT_FOUND\nhasOwnProperty MODULE_NOT_FOUND\n");
  });

  test(
    "importing a file that is not in the program names the missing module",
    async () => {
      const result = await run(`import value from "./nope.js";\nconsole.log(value);`);
      assert.equal(result.status, "failed");
      assert.match(result.error!.message, /nope/);
    },
  );
});

describe("limits", () => {
  test("an endless loop is timed_out with no exit code", async () => {
    const result = await run(`console.log("start"); while (true) {}`, { timeLimit: 100 });
    assert.equal(result.status, "timed_out");
    assert.equal(result.exitCode, null);
    assert.equal(result.error?.name, "IsolatedTimeoutError");
    assert.equal(text(result), "start\n");
  });

  test("an endless async loop is timed_out", async () => {
    const result = await run(`for (;;) await null;`, { timeLimit: 100 });
    assert.equal(result.status, "timed_out");
    assert.equal(result.exitCode, null);
  });

  test("a memory bomb is memory_exceeded", async () => {
    const result = await run(`const hoard: number[][] = []; for (;;) hoard.push(new Array(100_000).fill(1.5));`, { memoryLimit: 16 * 1024 * 1024, timeLimit: 3000 });
    assert.equal(result.status, "memory_exceeded");
    assert.equal(result.exitCode, null);
    assert.equal(result.error?.name, "IsolatedMemoryError");
  });

  test(
    "a small-object memory bomb under a 256 MiB limit is memory_exceeded, not an engine fault",
    async () => {
      const result = await run(`const a = []; for (let i = 0; ; i++) a.push({ i });`, { memoryLimit: 256 * 1024 * 1024, timeLimit: 5000 });
      assert.equal(result.status, "memory_exceeded", JSON.stringify(result.error));
    },
  );

  test("output past maxOutputBytes is output_exceeded, the output cut at the limit", async () => {
    const result = await run(`for (;;) console.log("0123456789");`, { maxOutputBytes: 100 });
    assert.equal(result.status, "output_exceeded");
    assert.equal(result.exitCode, null);
    const bytes = result.output.reduce((n, c) => n + Buffer.byteLength(c.text), 0);
    assert.ok(bytes <= 100, `${bytes} bytes`);
    assert.ok(bytes > 0);
  });

  test("a run's error text (name, message, stack) is held to maxOutputBytes, apart from its output, cut at a character boundary", async () => {
    const result = await run(
      `console.log("out");
      const e = new Error("é".repeat(4_000_000));
      e.name = "N".repeat(50);
      throw e;`,
      { maxOutputBytes: 1001 },
    );
    assert.equal(result.status, "failed");
    assert.equal(text(result), "out\n");
    const { name, message, stack } = result.error!;
    assert.equal(name, "N".repeat(50));
    assert.equal(message, `${"é".repeat(475)}${ERROR_TRUNCATED}`); // 1001 - 50 bytes leave 475 two-byte characters
    assert.equal(stack, ERROR_TRUNCATED);
  });

  test("a syntax error's diagnostics are held to maxOutputBytes too", async () => {
    const result = await run(Array.from({ length: 2000 }, (_, i) => `let a${i}; let a${i};`).join("\n"), { maxOutputBytes: 500 });
    assert.equal(result.error?.name, "SyntaxError");
    assert.ok(result.error!.message.endsWith(ERROR_TRUNCATED));
    assert.ok(Buffer.byteLength(result.error!.message) <= 500 - "SyntaxError".length + Buffer.byteLength(ERROR_TRUNCATED));
  });

  test(
    "deeply nested TypeScript source fails as a SyntaxError instead of crashing the process",
    async () => {
      const script = `
        const { IsolatedRuntimeHost } = await import(${JSON.stringify(new URL("../src/index.js", import.meta.url).href)});
        const { runProgram } = await import(${JSON.stringify(new URL("../src/program/runner.js", import.meta.url).href)});
        const host = new IsolatedRuntimeHost();
        const result = await runProgram(host, "(".repeat(100_000));
        console.log(JSON.stringify({ status: result.status, name: result.error?.name }));
        host.dispose();`;
      const outcome = await inChildProcess(script);
      assert.deepEqual({ code: outcome.code, signal: outcome.signal }, { code: 0, signal: null });
      assert.deepEqual(JSON.parse(outcome.stdout), { status: "failed", name: "SyntaxError" });
    },
  );
});

describe("isolation between runs", () => {
  test("nothing a run does to its globals is seen by the next run on the same host", async () => {
    const first = await run(`(globalThis as any).leaked = 42; var declared = 1; (Array.prototype as any).polluted = true; console.log("set");`);
    assertSucceeded(first);
    const second = await run(`console.log(typeof (globalThis as any).leaked, typeof (globalThis as any).declared, ([] as any).polluted);`);
    assertSucceeded(second);
    assert.equal(text(second), "undefined undefined undefined\n");
  });

  test("Math.random differs between two runs", async () => {
    const program = `console.log(Math.random(), Math.random());`;
    const [a, b] = [await run(program), await run(program)];
    assertSucceeded(a);
    assertSucceeded(b);
    assert.notEqual(text(a), text(b));
  });
});
