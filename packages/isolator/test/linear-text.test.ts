/**
 * Host code that reads guest or client text with regular expressions stays linear in that text:
 * for adversarial inputs built by fast-check, one text 8x as long costs about as much as 8 short
 * ones (a quadratic scan costs 8x as much). Ratios, not absolute times, and generous ones: the
 * machine is shared. A quadratic regression does not finish within the tests' timeout.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { IsolatedError, IsolatedRuntime, IsolatedRuntimeHost, transpile } from "../src/index.js";
import { mapPositions } from "../src/transpile.js";
import { prepareProgram } from "../src/program/runner.js";
import { someLineBegins } from "../src/source-lines.js";
import { wrapCommonJs } from "../src/modules/commonjs.js";

const N = 50_000;
const K = 8;
/** The same characters in K texts of N or in one of K*N: linear work takes about as long (1x; up to 2x seen on a loaded machine), quadratic work Kx. */
const MAX_RATIO = 4;
const TIMEOUT = { timeout: 120_000 };

/** `unit` repeated to `length` characters. */
const fill = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Pieces the host's patterns look for, mixed so that matches keep almost succeeding. */
const adversarialUnit = fc
  .array(fc.constantFrom(":", "1", "42", " ", "\n", "\n\n", "\t", "(", ")", "a", ".ts", ":7:", "import", "export", "require(", "'", '"', "x.ts:1:", "//"), { minLength: 1, maxLength: 12 })
  .map((pieces) => pieces.join(""));

/** Time of `work` on one text of K*N over its time on K texts of N; the fastest of interleaved rounds, the least disturbed by the machine's other work. */
function growth(work: (text: string) => void, unit: string): number {
  const small = fill(unit, N);
  const large = fill(unit, K * N);
  const time = (fn: () => void) => {
    const started = performance.now();
    fn();
    return performance.now() - started;
  };
  let [bestSmall, bestLarge] = [Infinity, Infinity];
  for (let round = 0; round < 7; round++) {
    bestSmall = Math.min(
      bestSmall,
      time(() => {
        for (let i = 0; i < K; i++) work(small);
      }),
    );
    bestLarge = Math.min(bestLarge, time(() => work(large)));
  }
  return bestLarge / Math.max(bestSmall, 0.05);
}

/** Linear growth for units fast-check draws. */
function assertLinear(work: (text: string) => void): void {
  for (const unit of fc.sample(adversarialUnit, 5)) {
    let ratio = growth(work, unit);
    if (ratio >= MAX_RATIO) ratio = growth(work, unit); // a spike of the machine's load passes; quadratic work does not
    assert.ok(ratio < MAX_RATIO, `one text of ${K * N} characters (unit ${JSON.stringify(unit)}) took ${ratio.toFixed(1)}x as long as ${K} of ${N}`);
  }
}

const maps = new Map([["main.ts", transpile("main.ts", "const a: number = 1;\nthrow new Error(String(a));\n").map!]]);

test("mapping guest error positions to TypeScript is linear in the guest's text", TIMEOUT, () => {
  assertLinear((text) => mapPositions(text, maps));
  assertLinear((text) => mapPositions(`main.ts${text}`, maps));
});

test("mapping guest error positions rewrites what the greedy pattern found, and nothing else", () => {
  const reference = (text: string) =>
    text.replace(/([^\s()]+):(\d+):(\d+)/g, (whole, file: string, line: string, column: string) => {
      if (file !== "main.ts") return whole;
      return mapPositions(`${file}:${line}:${column}`, maps);
    });
  fc.assert(
    fc.property(fc.array(fc.constantFrom("main.ts", ":", "2", "17", " ", "(", ")", "x", "at "), { maxLength: 20 }), (pieces) => {
      const text = pieces.join("");
      assert.equal(mapPositions(text, maps), reference(text));
    }),
  );
  assert.equal(mapPositions("at f (main.ts:2:7)", maps), "at f (main.ts:2:7)".replace("2:7", mapPositions("main.ts:2:7", maps).slice(8)));
});

test("telling a script from a module is linear in the program's text", TIMEOUT, () => {
  assertLinear((text) => prepareProgram(text, "javascript"));
  assertLinear((text) => someLineBegins(text, /(import\s*[\w{*'"]|export\s)/y));
  assert.equal(prepareProgram(`${"\n".repeat(1000)}  export const x = 1;`, "javascript").module, true);
  assert.equal(prepareProgram(`${"\n \t".repeat(1000)}console.log("export")`, "javascript").module, false);
});

test("reading a CommonJS file's requires is linear in its text", TIMEOUT, () => {
  assertLinear((text) => wrapCommonJs(text, "/pkg/index.js"));
});

test("transpiling TypeScript reports one error per line without rescanning the source for each", () => {
  // oxc's own semantic checks are quadratic in redeclarations (docs/security.md); the positions are not.
  const source = Array.from({ length: 1000 }, (_, i) => `let a${i}; let a${i};`).join("\n");
  const diagnostics = transpile("few.ts", source).diagnostics;
  assert.equal(diagnostics.length, 1000);
  assert.deepEqual(
    diagnostics.map((d) => d.line),
    Array.from({ length: 1000 }, (_, i) => i + 1),
  );
});

test("a guest error message of 400,000 characters is mapped to TypeScript positions within the call", { timeout: 60_000 }, () => {
  using host = new IsolatedRuntimeHost();
  using rt = new IsolatedRuntime(host, { timeLimit: 5_000 });
  assert.throws(
    () => rt.evaluate('const x: string = "a:1".repeat(40_000) + "main.ts:2:1 ";\nthrow new Error(x + ":".repeat(300_000));', { filename: "main.ts" }),
    (e: unknown) => e instanceof IsolatedError && e.message.length > 400_000 && e.guestStack.includes("main.ts:2"),
  );
});
