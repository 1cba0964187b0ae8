import assert from "node:assert/strict";
import { after, test } from "node:test";
import { IsolatedError, IsolatedRuntime, IsolatedRuntimeHost } from "../src/index.js";

const host = new IsolatedRuntimeHost();
after(() => host.dispose());
declare function boom(n: number): never;

test("evaluate with a .ts filename runs TypeScript (enums, interfaces, annotations)", () => {
  using rt = new IsolatedRuntime(host);
  assert.equal(rt.evaluate("enum Color { Red, Green }\ninterface P { n: number }\nconst p: P = { n: 2 };\np.n + Color.Green", { filename: "main.ts" }), 3);
});

test("guest stack traces point at the TypeScript lines, also for calls made later", () => {
  using rt = new IsolatedRuntime(host);
  const source = 'type T = number;\n\nfunction boom(x: T): never {\n  throw new Error("line 4");\n}\nboom(1);';
  assert.throws(
    () => rt.evaluate(source, { filename: "b.ts" }),
    (e: unknown) => e instanceof IsolatedError && /at boom \(b\.ts:4:\d+\)/.test(e.guestStack) && /b\.ts:6:\d+/.test(e.guestStack),
  );
  assert.throws(
    () => rt.invoke(() => boom(2)),
    (e: unknown) => e instanceof IsolatedError && /at boom \(b\.ts:4:\d+\)/.test(e.guestStack),
  );
});

test("a TypeScript syntax error names the file, line and column, and nothing runs", () => {
  using rt = new IsolatedRuntime(host);
  assert.throws(
    () => rt.evaluate("globalThis.ran = true;\nconst x: = 1", { filename: "c.ts" }),
    (e: unknown) => e instanceof IsolatedError && e.guestName === "SyntaxError" && e.message.startsWith("c.ts:2:10:"),
  );
  assert.equal(rt.evaluate("typeof globalThis.ran"), "undefined");
});

test("source nested deeper than the transpiler can take is refused, not a crash", () => {
  using rt = new IsolatedRuntime(host);
  assert.throws(() => rt.evaluate(`let x = ${"[".repeat(50_000)}${"]".repeat(50_000)}`, { filename: "deep.ts" }), /nests brackets deeper than 1000 levels/);
});

test("a file name cannot plant its transpilation for another name and source (a NUL in the name included)", () => {
  using rt = new IsolatedRuntime(host);
  // Under a key of name + "\0" + source, these two would share one cache entry.
  assert.throws(() => rt.evaluate('b"', { filename: 'victim.ts\0"a.ts' }), (e: unknown) => e instanceof IsolatedError && e.guestName === "SyntaxError");
  assert.equal(rt.evaluate('"a.ts\0b"', { filename: "victim.ts" }), "a.ts\0b");
});
