import assert from "node:assert/strict";
import { describe, it } from "node:test";
import ts from "typescript";
import { SANDBOX_GLOBALS } from "../src/build/sandbox-types.js";
import { MAX_PROGRAM_BYTES, TypeChecker, type Diagnostic } from "../src/build/typecheck.js";

// One warm checker for the whole file, as the server keeps one.
const checker = new TypeChecker();
const check = (source: string) => checker.check({ "main.ts": source });
const errors = (ds: Diagnostic[]) => ds.filter((d) => d.category === "error");
const show = (ds: Diagnostic[]) => ds.map((d) => `${d.file}:${d.line}:${d.column} TS${d.code} ${d.message}`).join("\n");

function assertClean(source: string): void {
  const ds = check(source);
  assert.deepEqual(ds, [], show(ds));
}

function assertError(source: string, code?: number): Diagnostic {
  const ds = errors(check(source));
  assert.ok(ds.length > 0, `expected an error in: ${source}`);
  if (code !== undefined) assert.ok(ds.some((d) => d.code === code), show(ds));
  return ds[0]!;
}

describe("TypeChecker", () => {
  it("finds nothing wrong with a clean program", () => {
    assertClean(`const greet = (name: string): string => \`hello \${name}\`;\nconsole.log(greet("world"));\n`);
  });

  it("reports a type error with its 1-based position and category", () => {
    const ds = check(`// first line\nconst x: number = "a";\n`);
    assert.equal(ds.length, 1, show(ds));
    assert.deepEqual(ds[0], {
      file: "main.ts",
      line: 2,
      column: 7,
      endLine: 2,
      endColumn: 8,
      code: 2322,
      category: "error",
      message: "Type 'string' is not assignable to type 'number'.",
    });
  });

  it("knows nothing of what the sandbox lacks", () => {
    assertError(`fetch("x");`, 2304);
    assertError(`require("http");`, 2769);
    assertError(`import http from "http";\nconsole.log(http);`, 2307);
    assertError(`import { writeFileSync } from "fs";\nconsole.log(writeFileSync);`, 2724);
    assertError(`console.log(document.title);`);
    assertError(`new WebSocket("ws://x");`);
    assertError(`new ReadableStream();`);
    assertError(`import { spawn } from "node:child_process";\nconsole.log(spawn);`, 2307);
    assertError(`require("worker_threads");`, 2769);
    assertError(`import { readFile } from "fs/promises";\nconsole.log(readFile);`, 2307);
    assertError(`new SharedArrayBuffer(8);`);
    assertError(`Atomics.load(new Int32Array(1), 0);`);
    assertError(`WebAssembly.validate(new Uint8Array(0));`);
    assertError(`require("fs").readFileSync("data.txt", "utf8");`);
    assertError(`process.on("exit", () => {});`);
  });

  it("accepts the standard library: WinterTC globals and Node's everyday modules", () => {
    assertClean(
      `const b: Buffer = Buffer.from("x");\nconsole.log(b.toString("hex"), Buffer.concat([b, Buffer.alloc(1)]).length);\n` +
        `const u = new URL("https://a.b/c?d=1");\nconsole.log(u.searchParams.get("d"), new URLSearchParams("a=1").toString());\n` +
        `console.log(new TextDecoder().decode(new TextEncoder().encode("é")), atob(btoa("x")), structuredClone({ a: 1 }).a);\n` +
        `const ac = new AbortController();\nac.signal.addEventListener("abort", () => {});\nac.abort();\nAbortSignal.timeout(10).throwIfAborted();\n` +
        `console.log(crypto.randomUUID(), crypto.getRandomValues(new Uint8Array(4)), await crypto.subtle.digest("SHA-256", new Uint8Array(1)));\n` +
        `console.log(await Array.fromAsync([Promise.resolve(1)]), new Intl.NumberFormat("en-US").format(1), (1).toLocaleString());\n` +
        `setImmediate(() => {});\nconsole.log(new DOMException("m", "AbortError").code, await new Blob(["x"]).text(), navigator.userAgent);`,
    );
    assertClean(
      `import { EventEmitter, once } from "node:events";\nimport path from "path";\nimport * as util from "node:util";\nimport assert from "node:assert/strict";\n` +
        `import { createHash, randomBytes } from "crypto";\nimport { Buffer as B } from "node:buffer";\nimport { StringDecoder } from "string_decoder";\n` +
        `import { setTimeout as sleep } from "node:timers/promises";\nimport qs from "querystring";\nimport { fileURLToPath } from "node:url";\n` +
        `const e = new EventEmitter();\ne.on("x", (n: number) => console.log(n));\nawait Promise.race([once(e, "x"), sleep(1)]);\n` +
        `assert.deepEqual(path.join("a", "b"), "a/b");\nconsole.log(util.format("%d", 1), util.inspect({}), createHash("sha256").update("x").digest("hex"), randomBytes(2).length);\n` +
        `console.log(new StringDecoder("utf8").write(B.from("x")), qs.stringify({ a: 1 }), fileURLToPath("file:///x"));`,
    );
    assertClean(`const { createHash } = require("node:crypto");\nconst EventEmitter = require("events");\nnew EventEmitter().emit("x");\nconsole.log(createHash("md5").update("").digest("base64"), require("util").isDeepStrictEqual(1, 1));`);
    assertClean(`const data: Buffer = require("fs").readFileSync(0);\nconsole.log(data.toString("utf8"));`);
  });

  it("accepts the sandbox's globals and modules", () => {
    assertClean(`const lines: string[] = require("fs").readFileSync(0, "utf8").split("\\n");\nconsole.log(lines.length);`);
    assertClean(`const text = require("node:fs").readFileSync("/dev/stdin").toString();\nconsole.log(text);`);
    assertClean(
      `import * as readline from "node:readline";\nconst rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });\n` +
        `for await (const line of rl) console.log(line.toUpperCase());`,
    );
    assertClean(`const rl = require("readline").createInterface({ input: process.stdin });\nrl.on("line", (l) => console.log(l.length));\nrl.on("close", () => rl.close());`);
    assertClean(`import { createInterface } from "readline/promises";\nconst rl = createInterface({ input: process.stdin, output: process.stdout });\nconst a: string = await rl.question("? ");\nrl.close();\nconsole.log(a);`);
    assertClean(`import fs from "fs";\nimport process, { argv } from "node:process";\nconsole.log(fs.readFileSync(0, { encoding: "utf8" }), argv, process.env["HOME"]);`);
    assertClean(`for await (const chunk of process.stdin) process.stdout.write(chunk);\nprocess.stdin.on("data", (c) => process.stderr.write(c.trim()));`);
    assertClean(`function fail(): number {\n  process.exit(1);\n}\nconsole.log(fail);`);
    assertClean(`const args: string[] = process.argv.slice(2);\nprocess.exitCode = args.length;`);
    assertClean(`const sum: number = IsolatorHost.invoke<number>("add", 1, 2);\nconst later: string = await IsolatorHost.invokeAsync<string>("fetchIt");\nconsole.log(sum, later);`);
    assertClean(`import { host } from "isolator/guest";\nconsole.log(host.invoke<number>("add", 1, 2));`);
    assertClean(`const value = await new Promise<number>((resolve) => setTimeout(resolve, 10, 42));\nconsole.log(value);`);
    assertClean(
      `const t: NodeJS.Timeout = setInterval(() => {}, 5);\nclearInterval(t);\nclearTimeout(setTimeout(() => {}));\nqueueMicrotask(() => {});\n` +
        `process.nextTick((n: number) => console.log(n), 1);\nconsole.log(performance.now() + performance.timeOrigin, process.hrtime.bigint(), process.hrtime(process.hrtime()));`,
    );
    assertClean(`console.table([1]); console.dir({}); console.assert(1 > 0, "math"); console.count(); console.time("t"); console.timeLog("t"); console.timeEnd("t");`);
  });

  it("resolves imports among the program's files and reports errors where they are", () => {
    const util = `export function add(a: number, b: number): number {\n  return a + b;\n}\n`;
    assert.deepEqual(checker.check({ "main.ts": `import { add } from "./util.js";\nconsole.log(add(1, 2));\n`, "util.ts": util }), []);
    assert.deepEqual(checker.check({ "main.ts": `import { twice } from "./lib/twice";\nconsole.log(twice(2));\n`, "lib/twice.ts": `export const twice = (n: number) => n * 2;` }), []);
    const ds = checker.check({ "main.ts": `import { add } from "./util.js";\nconsole.log(add(1, "2"));\n`, "util.ts": util });
    assert.equal(ds.length, 1, show(ds));
    assert.equal(ds[0]!.file, "main.ts");
    assert.equal(ds[0]!.code, 2345);
    assert.deepEqual([ds[0]!.line, ds[0]!.column], [2, 20]);
    assertError(`import { add } from "./missing.js";\nconsole.log(add);`, 2307);
  });

  it("reports a syntax error with its position", () => {
    const ds = check(`const a = 1;\nconst b = (a +;\n`);
    assert.ok(ds.length > 0);
    assert.equal(ds[0]!.category, "error");
    assert.equal(ds[0]!.line, 2);
    assert.equal(ds[0]!.column, 15);
  });

  it("keeps nothing from one check to the next", () => {
    assertClean(`export function onlyInFirst(): number {\n  return 1;\n}\ndeclare global {\n  var leaked: number;\n  interface Array<T> {\n    extra(): T;\n  }\n}\nconsole.log(leaked, [1].extra());`);
    assertError(`onlyInFirst();`, 2304);
    assertError(`console.log(leaked);`, 2304);
    assertError(`console.log([1].extra());`, 2339);
    // Files are modules: the same top-level names in two files do not clash.
    assert.deepEqual(checker.check({ "a.ts": `const x = 1;\nconsole.log(x);`, "b.ts": `const x = "b";\nconsole.log(x);` }), []);
  });

  it("checks JavaScript files' syntax but not their types", () => {
    assert.deepEqual(checker.check({ "main.js": `const x = 1;\nx.foo.bar();\n` }), []);
    assert.ok(errors(checker.check({ "main.js": `const x = (1;\n` })).length > 0);
  });

  it("survives source too deeply nested for the compiler", () => {
    const ds = check(`const a = ${"(".repeat(5000)}1${")".repeat(5000)};`);
    assert.ok(ds.every((d) => d.file === "main.ts" && d.category === "error"), show(ds));
    assertClean(`console.log([3, 1, 2].toSorted().findLast((n) => n > 1));`);
  });

  it("refuses programs over the size limit without checking them", () => {
    const ds = checker.check({ "main.ts": `const s = "${"x".repeat(MAX_PROGRAM_BYTES)}";` });
    assert.equal(ds.length, 1);
    assert.equal(ds[0]!.category, "error");
    assert.match(ds[0]!.message, /too large/);
  });

  it("declares the sandbox's globals without errors of its own", () => {
    const host = ts.createCompilerHost({});
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, options) => (name === "/sandbox.d.ts" ? ts.createSourceFile(name, SANDBOX_GLOBALS, options) : read(name, options));
    const options: ts.CompilerOptions = { strict: true, noEmit: true, types: [], lib: ["lib.es2023.d.ts"], skipLibCheck: false, skipDefaultLibCheck: true };
    const ds = ts.getPreEmitDiagnostics(ts.createProgram(["/sandbox.d.ts"], options, host));
    assert.deepEqual(ds.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")), []);
  });

  it("checks a 50-line program quickly once warm", () => {
    const lines = [`import * as readline from "node:readline";`, `interface Point { x: number; y: number }`];
    for (let i = 0; lines.length < 48; i++) lines.push(`function f${i}(p: Point): Point {`, `  return { x: p.x + ${i}, y: p.y * ${i} };`, `}`);
    lines.push(`const rl = readline.createInterface({ input: process.stdin });`, `for await (const l of rl) console.log(f0({ x: Number(l), y: 1 }));`);
    const program = { "main.ts": lines.join("\n") };
    assert.deepEqual(checker.check(program), []);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      checker.check(program);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(`warm check of a ${lines.length}-line program: median ${times[10]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)}, max ${times[19]!.toFixed(1)})`);
  });
});
