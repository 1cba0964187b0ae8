/**
 * What the guest sees of the sandbox's own machinery: its functions print like built-ins, so their
 * source (the host's implementation) stays out of sight.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { IsolatedError, IsolatedRuntime, IsolatedRuntimeHost } from "../src/index.js";
import { runProgram } from "../src/program/runner.js";
import { assertSucceeded } from "./helpers.js";

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

/** Guest source: every function reachable from `roots` (own properties, accessors, one prototype level) whose text is not `[native code]`. */
const revealing = (roots: string) => `(() => {
  const out = [];
  const seen = new Set();
  const visit = (value, path, depth) => {
    if ((typeof value !== "function" && (typeof value !== "object" || value === null)) || seen.has(value) || depth > 3) return;
    seen.add(value);
    if (typeof value === "function") {
      const text = Function.prototype.toString.call(value);
      if (!/^function [\\w $]*\\(\\) \\{\\n    \\[native code\\]\\n\\}$/.test(text)) out.push(path + ": " + text.slice(0, 60));
    }
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key !== "string" || key === "prototype" && typeof value === "function" && value.prototype === undefined) continue;
      const d = Object.getOwnPropertyDescriptor(value, key);
      for (const [part, v] of [["", d.value], [" get", d.get], [" set", d.set]]) visit(v, path + "." + key + part, depth + 1);
    }
  };
  for (const [name, value] of Object.entries({ ${roots} })) visit(value, name, 0);
  return out;
})()`;

test("the sandbox's functions (console, IsolatorHost, timers) print like built-ins, hiding the machinery's source", () => {
  using rt = new IsolatedRuntime(host);
  const roots = "console, IsolatorHost, setTimeout, setInterval, clearTimeout, clearInterval, queueMicrotask, toString: Function.prototype.toString";
  assert.deepEqual(rt.evaluate(revealing(roots)), []);
  assert.deepEqual(
    rt.evaluate(`[String(console.log), IsolatorHost.invoke + "", setTimeout.toString(), Function.prototype.toString.toString(), queueMicrotask.name]`),
    ["log", "invoke", "setTimeout", "toString"].map((name) => `function ${name}() {\n    [native code]\n}`).concat("queueMicrotask"),
  );
});

test("the guest's own functions still show their source, and renaming a sandbox function does not change what it prints", () => {
  using rt = new IsolatedRuntime(host);
  assert.equal(rt.evaluate("function mine(a) { return a + 1; } mine.toString()"), "function mine(a) { return a + 1; }");
  assert.equal(rt.evaluate(`Object.defineProperty(setTimeout, "name", { value: "x" }); String(setTimeout)`), "function setTimeout() {\n    [native code]\n}");
  const typeError = (e: unknown) => e instanceof IsolatedError && e.guestName === "TypeError";
  assert.throws(() => rt.evaluate("Function.prototype.toString.call({})"), typeError);
  assert.throws(() => rt.evaluate("new setTimeout(() => {})"), typeError);
});

test("the standard library's globals print like built-ins, also once built on first use", () => {
  using rt = new IsolatedRuntime(host);
  const roots = "URL, URLSearchParams, TextEncoder, TextDecoder, AbortController, Event, EventTarget, atob, btoa, structuredClone, crypto, Blob, DOMException, Intl, toLocaleString: (1).toLocaleString, fromAsync: Array.fromAsync";
  assert.deepEqual(rt.evaluate(revealing(roots)), []);
  assert.equal(rt.evaluate("String(Object.toString)"), "function toString() {\n    [native code]\n}"); // the engine's own, for comparison
});

test("a program's environment (process, require, performance, readline, Node modules) prints like built-ins too", async () => {
  const roots = "process, require, performance, fs: require('fs'), readline: require('readline'), path: require('path'), util: require('util'), events: require('events'), Buffer, setImmediate";
  const result = await runProgram(host, `console.log(JSON.stringify(${revealing(roots)}))`, { language: "javascript" });
  assertSucceeded(result);
  assert.deepEqual(JSON.parse(result.output.map((c) => c.text).join("")), []);
});

test("console text keeps NUL characters; a callback name with a NUL is refused, never cut to another callback's name", () => {
  const entries: string[] = [];
  using rt = new IsolatedRuntime(host, { console: ({ text }) => entries.push(text) });
  rt.evaluate(`console.log("a\\0b"); console.info("c\\0", 1); console.warn("plain")`);
  assert.deepEqual(entries, ["a\0b", "c\0 1", "plain"]);
  let called = 0;
  rt.registerCallback("a", () => ++called);
  assert.throws(
    () => rt.evaluate(`IsolatorHost.invoke("a\\0b")`),
    (e: unknown) => e instanceof IsolatedError && e.guestName === "TypeError" && /NUL/.test(e.message),
  );
  assert.equal(called, 0);
  assert.throws(() => rt.registerCallback("a\0b", () => 1), /without NUL/);
});
