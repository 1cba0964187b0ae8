/**
 * The sandbox's standard library (stdlib/): WinterTC globals in every runtime, Node's everyday
 * modules in programs, their randomness and their isolation between runtimes.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { assertSucceeded } from "./helpers.js";
import { IsolatedRuntime, IsolatedRuntimeHost } from "../src/index.js";
import { hostInternals } from "../src/host.js";
import { runProgram } from "../src/program/runner.js";
import { BUILTIN_MODULES } from "../src/stdlib/modules.js";

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

const WINTERTC_GLOBALS = ["atob", "btoa", "structuredClone", "TextEncoder", "TextDecoder", "URL", "URLSearchParams", "AbortController", "AbortSignal", "Event", "EventTarget", "DOMException", "Blob", "crypto", "Crypto", "SubtleCrypto", "performance", "navigator", "queueMicrotask", "setTimeout", "clearTimeout", "setInterval", "clearInterval", "console", "Intl"];
const NODE_GLOBALS = ["Buffer", "setImmediate", "clearImmediate", "global", "process", "require"];

async function run(source: string, language: "typescript" | "javascript" = "typescript"): Promise<string> {
  const result = await runProgram(host, source, { language, timeLimit: 10_000 });
  assertSucceeded(result);
  return result.output.map((c) => c.text).join("");
}

describe("WinterTC globals", () => {
  test("every runtime has them; a plain runtime has none of Node's", () => {
    using runtime = new IsolatedRuntime(host);
    const types = runtime.evaluate(`${JSON.stringify(WINTERTC_GLOBALS)}.map((n) => typeof globalThis[n])`) as string[];
    assert.deepEqual(types.filter((t) => t === "undefined"), []);
    assert.deepEqual(runtime.evaluate(`${JSON.stringify(NODE_GLOBALS)}.filter((n) => n in globalThis)`), []);
    assert.equal(runtime.evaluate("Object.prototype.toString.call(crypto) + Object.prototype.toString.call(crypto.subtle)"), "[object Crypto][object SubtleCrypto]");
  });

  test("absent by design: fetch, WebSocket and the other network and disk APIs", () => {
    using runtime = new IsolatedRuntime(host);
    assert.deepEqual(runtime.evaluate(`["fetch", "WebSocket", "Request", "Response", "Headers", "XMLHttpRequest", "caches", "indexedDB"].filter((n) => n in globalThis)`), []);
  });

  test("they work in a plain runtime: the everyday idioms", async () => {
    using runtime = new IsolatedRuntime(host);
    const result = await runtime.evaluateAsync(`[
      new URL("/p?q=1", "https://example.org").href,
      new URLSearchParams({ a: "1 2" }).toString(),
      new TextDecoder().decode(new TextEncoder().encode("ü")),
      btoa("hi") + atob("aGk="),
      structuredClone(new Map([[1, [2]]])).get(1)[0],
      new AbortController().signal.aborted,
      (await Array.fromAsync((async function* () { yield 1; yield 2; })())).join(),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
      Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"))).slice(0, 4)).join(),
      new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(1234.5),
      (1234567.891).toLocaleString(),
      await new Blob(["a", "b"]).text(),
      new DOMException("m", "NotFoundError").code,
    ].join(" | ")`);
    assert.equal(result, "https://example.org/p?q=1 | a=1+2 | ü | aGk=hi | 2 | false | 1,2 | true | 186,120,22,191 | $1,234.50 | 1,234,567.891 | ab | 8");
  });

  test("AbortSignal.timeout aborts with a TimeoutError once its time has passed", async () => {
    using runtime = new IsolatedRuntime(host);
    const reason = await runtime.evaluateAsync(`await new Promise((resolve) => AbortSignal.timeout(5).addEventListener("abort", (e) => resolve(e.target.reason.name)))`);
    assert.equal(reason, "TimeoutError");
  });

  test("misuse gets the platform's errors", () => {
    using runtime = new IsolatedRuntime(host);
    const errors = runtime.evaluate(`[
      () => new AbortSignal(),
      () => new Crypto(),
      () => crypto.getRandomValues(new Float64Array(2)),
      () => crypto.getRandomValues(new Uint8Array(65537)),
      () => new TextDecoder("latin2"),
      () => new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xc3])),
      () => new URL("no scheme"),
      () => atob("a"),
      () => structuredClone(Symbol()),
      () => new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Paris" }),
    ].map((f) => { try { f(); return "no error"; } catch (e) { return e.name; } })`);
    assert.deepEqual(errors, ["TypeError", "TypeError", "TypeError", "QuotaExceededError", "RangeError", "TypeError", "TypeError", "InvalidCharacterError", "DataCloneError", "RangeError"]);
  });
});

describe("Node's modules in programs", () => {
  test("the everyday idioms of a TypeScript program", async () => {
    const out = await run(`
      import { strict as assert } from "node:assert";
      import { EventEmitter } from "node:events";
      import * as path from "node:path";
      import util from "util";
      import { createHash, randomUUID } from "crypto";
      const events = new EventEmitter();
      events.on("done", (n: number) => console.log("done", n));
      events.emit("done", 1);
      assert.deepEqual({ a: 1 }, { a: 1 });
      const buf: Buffer = Buffer.from("hi");
      setImmediate(() => console.log("immediate"));
      console.log(buf.toString("hex"), path.join("a", "b"), util.format("%s!", "x"), createHash("sha256").update("a").digest("hex").slice(0, 8), randomUUID().length);
      console.log(new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" }).format(new Date(0)));
    `);
    assert.equal(out, "done 1\n6869 a/b x! ca978112 36\nJan 1, 1970\nimmediate\n");
  });

  test("require and import, with and without the node: prefix, give the same module object", async () => {
    const names = Object.keys(BUILTIN_MODULES);
    const imports = names.map((n, i) => `import * as a${i} from "${n}"; import * as b${i} from "node:${n}";`).join("\n");
    const checks = names.map((n, i) => `[${JSON.stringify(n)}, a${i}.default === require("${n}") && b${i}.default === require("node:${n}")]`).join(",\n");
    const out = await run(`${imports}\nconsole.log(JSON.stringify([${checks}].filter(([, same]) => !same)));`, "javascript");
    assert.equal(out, "[]\n");
  });

  test("each module's named exports are exactly its keys (the import table follows the modules)", async () => {
    const out = await run(`
      const table = ${JSON.stringify(BUILTIN_MODULES)};
      const wrong = [];
      for (const [name, exported] of Object.entries(table)) {
        const m = require(name);
        const keys = Object.keys(m).filter((k) => k !== "default" && k !== "__esModule");
        const missing = exported.filter((k) => !(k in m));
        const unlisted = ["fs", "readline", "readline/promises", "process", "events"].includes(name) ? [] : keys.filter((k) => !exported.includes(k));
        if (missing.length || unlisted.length) wrong.push({ name, missing, unlisted });
      }
      console.log(JSON.stringify(wrong));`, "javascript");
    assert.equal(out, "[]\n");
  });

  test("modules that need the host keep their clear, catchable error", async () => {
    const out = await run(`
      for (const name of ["child_process", "net", "http", "https", "worker_threads", "node:dgram", "cluster"]) {
        try { require(name); } catch (e) { console.log(e.code, /^Cannot find module '.*': the sandbox offers only .*buffer.*util/.test(e.message)); }
      }`, "javascript");
    assert.equal(out, "MODULE_NOT_FOUND true\n".repeat(7));
    const result = await runProgram(host, `import { spawn } from "node:child_process"; spawn("ls");`, { language: "javascript" });
    assert.equal(result.status, "failed");
    assert.match(result.error!.message, /node:child_process/);
  });

  test("fs.readFileSync without an encoding gives a Buffer, as in Node", async () => {
    const result = await runProgram(host, `const b = require("fs").readFileSync(0); console.log(Buffer.isBuffer(b), b.toString("hex"));`, { language: "javascript", stdin: "ok" });
    assertSucceeded(result);
    assert.equal(result.output.map((c) => c.text).join(""), "true 6f6b\n");
  });
});

describe("randomness", () => {
  const draw = `[crypto.randomUUID(), Array.from(crypto.getRandomValues(new Uint8Array(16))).join()].join()`;

  test("crypto output differs between runtimes, and between runtimes on a reused instance", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      using runtime = new IsolatedRuntime(host);
      seen.add(runtime.evaluate(draw) as string);
    }
    assert.equal(seen.size, 20);
  });

  test("a reused instance starts with a new key: the same draws differ", () => {
    const internals = new IsolatedRuntimeHost()[hostInternals];
    const inert = { call: () => undefined, callAsync: () => undefined, console: () => undefined, load: () => undefined };
    const limit = 64 * 1024 * 1024;
    const first = internals.newSandbox("plain", limit, () => undefined, inert);
    const a = first.ctx.getString(first.ctx.unwrapResult(first.ctx.evalCode(draw)));
    internals.recycle(first.engine, limit);
    const second = internals.newSandbox("plain", limit, () => undefined, inert);
    assert.equal(second.engine, first.engine, "the instance was reused");
    const b = second.ctx.getString(second.ctx.unwrapResult(second.ctx.evalCode(draw)));
    assert.notEqual(a, b);
  });

  test("programs on different hosts draw differently too (each host marks its own template)", async () => {
    const other = new IsolatedRuntimeHost();
    try {
      const source = `console.log(require("crypto").randomBytes(16).toString("hex"))`;
      const [x, y] = await Promise.all([runProgram(host, source, { language: "javascript" }), runProgram(other, source, { language: "javascript" })]);
      assert.notEqual(x.output[0]!.text, y.output[0]!.text);
    } finally {
      other.dispose();
    }
  });

  test("randomInt is uniform enough: every value of a small range appears", async () => {
    const out = await run(`const seen = new Set(); for (let i = 0; i < 500; i++) seen.add(require("crypto").randomInt(10)); console.log([...seen].sort((a, b) => a - b).join());`, "javascript");
    assert.equal(out, "0,1,2,3,4,5,6,7,8,9\n");
  });
});

describe("isolation of the standard library", () => {
  test("a runtime that tampers with the globals and modules leaves the next runtime's intact", async () => {
    {
      using runtime = new IsolatedRuntime(host);
      runtime.evaluate(`URL.prototype.toString = () => "hijacked"; TextEncoder.prototype.encode = () => 0; crypto.randomUUID = () => "fixed"; Intl.NumberFormat = null; delete globalThis.atob; 0`);
    }
    using next = new IsolatedRuntime(host);
    assert.equal(next.evaluate(`[String(new URL("http://a/")), new TextEncoder().encode("a").length, crypto.randomUUID().length, typeof Intl.NumberFormat, typeof atob].join()`), "http://a/,1,36,function,function");

    const tamper = await runProgram(host, `require("buffer").Buffer.prototype.toString = () => "x"; require("path").join = () => "x"; require("util").format = () => "x"; Buffer.poolSize = 1;`, { language: "javascript" });
    assertSucceeded(tamper);
    assert.equal(await run(`console.log(Buffer.from("a").toString(), require("path").join("a", "b"), require("util").format("%d", 1), Buffer.poolSize)`, "javascript"), "a a/b 1 8192\n");
  });

  test("nothing of the standard library reaches a host object", async () => {
    // Every global and module value, walked to depth 3: all constructors are the guest's own Function.
    const out = await run(`
      const roots = [...${JSON.stringify([...WINTERTC_GLOBALS, "Buffer", "setImmediate"])}.map((n) => globalThis[n]), ...${JSON.stringify(Object.keys(BUILTIN_MODULES))}.map((n) => require(n))];
      const seen = new Set(); let foreign = 0; let walked = 0;
      const walk = (v, depth) => {
        if ((typeof v !== "object" && typeof v !== "function") || v === null || seen.has(v) || depth > 3) return;
        seen.add(v); walked++;
        if (typeof v === "function" && v !== Function.prototype && !(v instanceof Function)) foreign++;
        for (const key of Reflect.ownKeys(v)) {
          const d = Object.getOwnPropertyDescriptor(v, key);
          if (d && "value" in d) walk(d.value, depth + 1);
        }
        walk(Object.getPrototypeOf(v), depth + 1);
      };
      roots.forEach((r) => walk(r, 0));
      console.log(foreign, walked > 500);`, "javascript");
    assert.equal(out, "0 true\n");
  });
});
