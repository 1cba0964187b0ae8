/**
 * Saved templates (IsolatedRuntimeHost's templateCache): a later host starts its runtimes from the
 * image an earlier one saved — same behaviour, fresh randomness per runtime — and a damaged file is
 * never used: the host boots afresh and replaces it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { IsolatedRuntimeHost, runProgram } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "isolator-templates-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const program = `const a = Math.random(); const b = crypto.getRandomValues(new Uint8Array(8)).join(); console.log(JSON.stringify({ a, b, sum: [1, 2, 3].reduce((x, y) => x + y) }));`;

async function runOnFreshHost(): Promise<{ a: number; b: string; sum: number }> {
  using host = new IsolatedRuntimeHost({ templateCache: dir });
  const result = await runProgram(host, program);
  assert.equal(result.status, "succeeded", JSON.stringify(result.error));
  return JSON.parse(result.output.map((c) => c.text).join("")) as { a: number; b: string; sum: number };
}

describe("saved templates", () => {
  test("a later host starts from the saved image: same behaviour, its own randomness", async () => {
    const first = await runOnFreshHost();
    const files = readdirSync(dir).filter((f) => f.endsWith(".template"));
    assert.equal(files.length, 1);
    const saved = readFileSync(join(dir, files[0]!));
    const second = await runOnFreshHost();
    assert.deepEqual(readFileSync(join(dir, files[0]!)), saved, "the saved image was used, not replaced");
    assert.equal(second.sum, 6);
    assert.notEqual(second.a, first.a, "Math.random is seeded per runtime");
    assert.notEqual(second.b, first.b, "crypto.getRandomValues is keyed per runtime");
  });

  test("a damaged image is ignored and replaced", async () => {
    const [file] = readdirSync(dir).filter((f) => f.endsWith(".template"));
    const path = join(dir, file!);
    const damaged = readFileSync(path);
    damaged[damaged.length >> 1]! ^= 0xff;
    writeFileSync(path, damaged);
    assert.equal((await runOnFreshHost()).sum, 6);
    assert.notDeepEqual(readFileSync(path), damaged);
    writeFileSync(path, Buffer.from("not a template"));
    assert.equal((await runOnFreshHost()).sum, 6);
  });
});
