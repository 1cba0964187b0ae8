// Module loaders: what a host grants is importable; nothing else is, and nothing escapes.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IsolatedError, IsolatedRuntime, IsolatedRuntimeHost, IsolatedTimeoutError } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "isolator-modules-"));
const app = join(root, "app");
const plugins = join(root, "plugins");
const files: Record<string, string> = {
  "app/package.json": '{ "name": "app", "type": "module" }',
  "app/lib/greet.js": "export const greet = (n) => `hi ${n}`;",
  "app/lib/math.ts": "export interface P { n: number }\nexport const double = (p: P): number => p.n * 2;",
  "app/lib/counter.js": "export let count = 0;\nexport const bump = () => ++count;",
  "app/lib/a.js": 'import { b } from "./b.js";\nexport const a = () => "a" + b();',
  "app/lib/b.js": 'import { a } from "./a.js";\nexport const b = () => "b";\nexport const viaA = () => a();',
  "app/lib/spin.js": "while (true) {}",
  "app/lib/bad.ts": 'type T = number;\n\nexport function boom(x: T): never {\n  throw new Error("line 4 of bad.ts " + x);\n}\n',
  "app/lib/probe.js": "export const seen = [typeof process, typeof require, typeof fetch];",
  "app/lib/host.js": 'import { host } from "isolator/guest";\nexport const sum = host.invoke("add", 2, 3);',
  "app/data.json": '{ "answer": 42 }',
  "app/node_modules/esm-pkg/package.json": '{ "name": "esm-pkg", "exports": { ".": { "import": "./esm.js", "require": "./cjs.js" }, "./sub": "./sub.js" } }',
  "app/node_modules/esm-pkg/esm.js": 'export default "esm entry";',
  "app/node_modules/esm-pkg/sub.js": 'export const sub = "sub path";',
  "app/node_modules/cjs-pkg/package.json": '{ "name": "cjs-pkg", "main": "main.js" }',
  "app/node_modules/cjs-pkg/main.js": 'const dep = require("dep");\nmodule.exports = { value: dep.x + 1 };',
  "app/node_modules/dep/package.json": '{ "name": "dep", "main": "index.js" }',
  "app/node_modules/dep/index.js": "exports.x = 41;",
  "plugins/hello.ts": 'export const hello = (who: string): string => `hello, ${who}`;',
  "outside/secret.js": 'export const secret = "outside";',
  "outside-pkg/package.json": '{ "name": "linked", "main": "index.js" }',
  "outside-pkg/index.js": 'export default "linked from outside";',
  "other-app/node_modules/x/package.json": '{ "name": "x", "main": "secrets.json" }',
  "other-app/node_modules/x/secrets.json": '{ "key": "other app\'s secret" }',
  "node_modules/hoisted/package.json": '{ "name": "hoisted", "main": "index.js" }',
  "node_modules/hoisted/index.js": 'export default "above the granted directory";',
};

let host: IsolatedRuntimeHost;
before(() => {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  symlinkSync(join(root, "outside/secret.js"), join(app, "lib/link.js"));
  symlinkSync(join(root, "outside"), join(app, "lib/outside-dir"));
  symlinkSync(join(root, "outside-pkg"), join(app, "node_modules/linked"));
  symlinkSync(join(app, "lib"), join(app, "lib-alias")); // inside: allowed, one instance per real file
  host = new IsolatedRuntimeHost()
    .withDirectoryModuleLoader(app)
    .withDirectoryModuleLoader(plugins)
    .withModuleLoader((specifier) => (specifier === "virtual:config" ? 'export default { mode: "test" };' : undefined));
});
after(() => {
  host.dispose();
  rmSync(root, { recursive: true, force: true });
});

const imported = async (rt: IsolatedRuntime, specifier: string, expression: string) =>
  rt.evaluateAsync(`{ const m = await import(${JSON.stringify(specifier)}); ${expression} }`);

describe("granted modules", () => {
  test("relative files, TypeScript, JSON, packages (exports conditions, subpaths), CommonJS with require, custom", async () => {
    using rt = new IsolatedRuntime(host);
    assert.equal(await imported(rt, "./lib/greet.js", "m.greet('ann')"), "hi ann");
    assert.equal(await imported(rt, "./lib/math.js", "m.double({ n: 21 })"), 42); // .js names the .ts file
    assert.equal(await imported(rt, "./data.json", "m.default.answer"), 42);
    assert.equal(await imported(rt, "esm-pkg", "m.default"), "esm entry");
    assert.equal(await imported(rt, "esm-pkg/sub", "m.sub"), "sub path");
    assert.equal(await imported(rt, "cjs-pkg", "m.default.value"), 42);
    assert.equal(await imported(rt, "virtual:config", "m.default.mode"), "test");
  });

  test("isolator/guest is built in, and import cycles work", async () => {
    using rt = new IsolatedRuntime(host);
    rt.registerCallback("add", (a: number, b: number) => a + b);
    assert.equal(await imported(rt, "./lib/host.js", "m.sum"), 5);
    assert.equal(await imported(rt, "./lib/b.js", "m.viaA()"), "ab");
  });

  test("a module is instantiated once per runtime; a new runtime starts fresh", async () => {
    using rt = new IsolatedRuntime(host);
    assert.equal(await imported(rt, "./lib/counter.js", "m.bump()"), 1);
    assert.equal(await imported(rt, "./lib/counter.js", "m.bump()"), 2);
    using other = new IsolatedRuntime(host);
    assert.equal(await imported(other, "./lib/counter.js", "m.bump()"), 1);
  });

  test("granting a module grants only its code: it runs with no more capability than any guest", async () => {
    using rt = new IsolatedRuntime(host);
    assert.deepEqual(await imported(rt, "./lib/probe.js", "m.seen"), ["undefined", "undefined", "undefined"]);
  });

  test("relative imports from scripts resolve against the first directory loader's root only", async () => {
    using rt = new IsolatedRuntime(host);
    await assert.rejects(imported(rt, "./hello.js", "m.hello('x')"), /no module loader grants it/);
  });

  test("errors in TypeScript modules point at the TypeScript lines", async () => {
    using rt = new IsolatedRuntime(host);
    await assert.rejects(imported(rt, "./lib/bad.js", "m.boom(1)"), (e: unknown) => e instanceof IsolatedError && /at boom \(.*bad\.ts:4:\d+\)/.test(e.guestStack));
  });

  test("module bodies run under the runtime's limits", async () => {
    using rt = new IsolatedRuntime(host, { timeLimit: 200 });
    await assert.rejects(imported(rt, "./lib/spin.js", "1"), IsolatedTimeoutError);
  });
});

describe("refused imports", () => {
  for (const [specifier, reason] of [
    ["node:fs", /Node\.js and QuickJS built-in modules are not available.*loaders consulted: directory app:\/, directory plugins:\/, a custom loader/],
    ["std", /built-in modules are not available/],
    ["/etc/passwd", /absolute paths are refused/],
    ["left-pad", /no module loader grants it/],
  ] as const) {
    test(`'${specifier}' is refused with a clear error`, async () => {
      using rt = new IsolatedRuntime(host);
      await assert.rejects(imported(rt, specifier, "1"), (e: unknown) => e instanceof IsolatedError && reason.test(e.message));
    });
  }

  /** The guest-facing refusal of `specifier`, with the specifier replaced by X. */
  const refusal = async (specifier: string) => {
    using rt = new IsolatedRuntime(host);
    const error = await rt.evaluateAsync(`{ let r; try { await import(${JSON.stringify(specifier)}); r = 1; } catch (e) { r = e.message; } r }`);
    assert.equal(typeof error, "string", `'${specifier}' was imported`);
    assert.ok(!(error as string).includes(root), `a host path in: ${String(error)}`);
    return (error as string).replace(specifier, "X");
  };

  test("relative imports cannot leave the granted directory, and a refusal reads the same whether the file exists or not", async () => {
    const missing = await refusal("../outside/missing.js");
    assert.match(missing, /^cannot import 'X' from script\.js: no module loader grants it \(loaders consulted: directory app:\/, directory plugins:\/, a custom loader\)$/);
    for (const specifier of ["../outside/secret.js", "../../../../../../etc/passwd", "./../app/../outside/secret.js", "../other-app/node_modules/x/secrets.json"]) {
      assert.equal(await refusal(specifier), missing, specifier);
    }
  });

  test("a symlink inside the granted directory that leads outside it (file, directory, package) is refused like a missing file", async () => {
    const missing = await refusal("./lib/missing.js");
    for (const specifier of ["./lib/link.js", "./lib/outside-dir/secret.js"]) assert.equal(await refusal(specifier), missing, specifier);
    assert.equal(await refusal("linked"), await refusal("not-installed"));
  });

  test("bare specifiers resolve only into node_modules inside the granted directory: a sibling app's and an ancestor's packages are out of reach", async () => {
    const missing = await refusal("not-installed");
    for (const specifier of ["x", "x/secrets.json", "hoisted"]) assert.equal(await refusal(specifier), missing, specifier);
  });

  test("the host's error carries the refusal's detail (host paths, why) that the guest was not shown", async () => {
    using rt = new IsolatedRuntime(host);
    await assert.rejects(imported(rt, "./lib/link.js", "1"), (e: unknown) => {
      assert.ok(e instanceof IsolatedError);
      assert.ok(!e.message.includes(root));
      assert.match(e.hostDetail ?? "", /link\.js is really .*outside\/secret\.js, outside .*app/);
      assert.ok(e.hostDetail!.includes(app));
      return true;
    });
  });

  test("guest stacks and messages name granted modules <dir>:/path, never by host path; a symlinked alias inside is the same module", async () => {
    using rt = new IsolatedRuntime(host);
    await assert.rejects(imported(rt, "./lib/bad.js", "m.boom(1)"), (e: unknown) => {
      assert.ok(e instanceof IsolatedError);
      assert.match(e.guestStack, /at boom \(app:\/lib\/bad\.ts:4:\d+\)/);
      assert.ok(!e.guestStack.includes(root) && !e.message.includes(root), e.guestStack);
      return true;
    });
    assert.equal(await imported(rt, "./lib/counter.js", "m.bump()"), 1);
    assert.equal(await imported(rt, "./lib-alias/counter.js", "m.bump()"), 2);
  });

  test("a host with no loaders refuses every import but isolator/guest", async () => {
    using bare = new IsolatedRuntimeHost();
    using rt = new IsolatedRuntime(bare);
    await assert.rejects(imported(rt, "./x.js", "1"), /loaders consulted: none/);
    assert.equal(await imported(rt, "isolator/guest", "typeof m.host.invoke"), "function");
  });
});
