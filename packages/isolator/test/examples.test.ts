// The README's examples are the files in examples/: this checks they are the same text and
// that each one runs and prints what the README promises.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");

function run(example: string): string {
  return execFileSync(process.execPath, [`${root}packages/isolator/dist-examples/${example}.js`], { encoding: "utf8" });
}

for (const example of ["hello", "environment", "objects", "pool"]) {
  test(`README shows examples/${example}.ts verbatim`, () => {
    const source = readFileSync(`${root}packages/isolator/examples/${example}.ts`, "utf8").trim();
    assert.ok(readme.includes(source), `README.md must contain examples/${example}.ts exactly`);
  });
}

test("hello example: host and guest both speak, the guest through a callback", () => {
  const out = run("hello");
  assert.match(out, /^Host: I'm running on Node\.js v\d+/m);
  assert.match(out, /^Guest: I'm running on QuickJS in WebAssembly, and my host is \S+/m);
});

test("environment example: a typed record comes back from the guest", () => {
  const out = run("environment");
  assert.match(out, /engine: 'QuickJS'/);
  assert.match(out, /canSeeHost: false/);
  assert.match(out, /startedAt: \d{4}-\d\d-\d\dT/);
  assert.match(out, /primes: Set\(3\) \{ 2, 3, 5 \}/);
});

test("pool example: a TypeScript program with stdin runs on a worker", () => {
  assert.equal(run("pool").trim(), 'succeeded 0 "Hello, Ada!\\n"');
});

test("objects example: a host-module function returns its class; objects live in the guest", () => {
  const [first, second] = run("objects").trim().split("\n");
  assert.match(first ?? "", /^true running on QuickJS in WebAssembly; the host's clock says \d{4}$/);
  assert.equal(second, "38 52");
});
