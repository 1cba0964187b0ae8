/**
 * Client text the service and its workers scan stays linear in its length: programs and names
 * built to make a scan retry from every position are answered within their time limit (a
 * quadratic scan of them would take minutes: the run would end timed_out, the request hang).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { startTestServer, type RunView, type TestServer } from "./helpers.js";

let server: TestServer;
before(async () => {
  server = await startTestServer({ poolSize: 1 });
});
after(() => server?.close());

describe("client text is scanned in linear time", () => {
  it("a program of 200,000 blank lines is told a module at once and runs", async () => {
    const run = await server.api.runToEnd({ source: `${"\n".repeat(200_000)}export {};\nconsole.log("ran");\n`, typecheck: false, limits: { timeMs: 2000 } });
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.equal(run.stdout, "ran\n");
  });

  it("a guest error message of 300,000 characters is mapped to TypeScript positions within the run's time limit", async () => {
    const source = 'const s: string = "a:1".repeat(60_000);\nthrow new Error(s + "main.ts:1:1 " + ":".repeat(100_000));\n';
    const run: RunView = await server.api.runToEnd({ source, typecheck: false, limits: { timeMs: 2000 } });
    assert.equal(run.status, "failed", JSON.stringify(run.error).slice(0, 300));
    assert.ok(run.error!.message.startsWith("a:1a:1")); // (cut to the run's output budget after it was mapped)
  });

  it("long adversarial file names and entries are refused promptly with 400", async () => {
    const units = fc.sample(fc.array(fc.constantFrom(".", "js", "x", "/", "..", "m", ".jsx"), { minLength: 1, maxLength: 6 }).map((p) => p.join("")), 4);
    for (const unit of units) {
      const long = unit.repeat(Math.ceil(100_000 / unit.length));
      for (const body of [{ files: { [long]: "1" } }, { files: { "main.js": "1" }, entry: long }]) {
        const res = await server.api.submit({ ...body, typecheck: false });
        assert.equal(res.status, 400, `${JSON.stringify(unit)}: ${res.status}`);
      }
    }
  });
});
