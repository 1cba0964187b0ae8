// The pool's module loaders: directories granted to every worker, custom loaders run in the pool's thread.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { IsolatedError, IsolatedRuntimePool } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "isolator-pool-modules-"));
let pool: IsolatedRuntimePool;
const asked: string[] = [];

before(() => {
  writeFileSync(join(dir, "shapes.ts"), "export const area = (w: number, h: number): number => w * h;\n");
  pool = new IsolatedRuntimePool({
    size: 1,
    runtime: { timeLimit: 2000 },
    modules: [{ directory: dir }, (specifier) => (asked.push(specifier), specifier === "virtual:greeting" ? 'export default "hello from the host";' : undefined)],
  });
});
after(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a program imports from a granted directory and from a custom loader", async () => {
  const result = await pool.run('import { area } from "./shapes.js";\nimport greeting from "virtual:greeting";\nconsole.log(area(6, 7), greeting);');
  assert.equal(result.status, "succeeded", JSON.stringify(result.error));
  assert.equal(result.output.map((c) => c.text).join(""), "42 hello from the host\n");
  assert.ok(asked.includes("virtual:greeting"));
});

test("what no loader grants is refused, naming the loaders consulted", async () => {
  const result = await pool.run('import "left-pad";');
  assert.equal(result.status, "failed");
  assert.match(result.error?.message ?? "", /cannot import 'left-pad'.*no module loader grants it.*loaders consulted: directory .*, a custom loader/);
});

test("pool.invoke lambdas can import granted modules dynamically", async () => {
  const area = await pool.invoke(async () => {
    const specifier = "./shapes.js";
    return ((await import(specifier)) as { area(w: number, h: number): number }).area(3, 4);
  });
  assert.equal(area, 12);
});

test("import() from a program that is a script (no import/export) reaches the granted directories", async () => {
  const result = await pool.run('import("./shapes.js").then((m) => console.log(m.area(2, 3)));', { language: "javascript" });
  assert.equal(result.status, "succeeded", JSON.stringify(result.error));
  assert.equal(result.output.map((c) => c.text).join(""), "6\n");
});

test("a refused import's host-side detail crosses from the worker; the guest's message names no host path", async () => {
  const error = await pool
    .invoke(async () => {
      const specifier = "../secret.js";
      return import(specifier);
    })
    .catch((e: unknown) => e);
  assert.ok(error instanceof IsolatedError);
  assert.ok(!error.message.includes(dir), error.message);
  assert.ok(error.hostDetail?.includes(dir), error.hostDetail);
  const run = await pool.run('import "../secret.js";');
  assert.equal(run.status, "failed");
  assert.ok(!JSON.stringify(run.error).includes(dir), JSON.stringify(run.error));
});
