/**
 * `isolator run` as a user runs it: the built CLI spawned as a real process on files in a temporary
 * directory — sibling imports, refusals outside the directory, piped stdin, arguments, exit codes,
 * error locations as the user named the file, type errors tsc-style (and cached), --watch.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const base = mkdtempSync(join(tmpdir(), "isolator-cli-"));
const cache = join(base, "cache");
after(() => rmSync(base, { recursive: true, force: true }));

/** A directory of files (and, beside it, a secret the program must not reach). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(base, "p-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function isolator(args: string[], options: { cwd: string; stdin?: string }): Promise<Ran> {
  const child = spawn(process.execPath, [CLI, "run", ...args], { cwd: options.cwd, env: { ...process.env, XDG_CACHE_HOME: cache, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  child.stdin.end(options.stdin ?? "");
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("isolator run", () => {
  it("runs a TypeScript entry with its sibling imports, piped stdin and arguments", async () => {
    const dir = project({
      "main.ts": `import { double } from "./lib/math.ts";\nimport { greet } from "./lib/greet.js";\nimport { readFileSync } from "node:fs";\nconst n = Number(readFileSync(0, "utf8").trim());\nconsole.log(greet(process.argv[2]!), double(n));\n`,
      "lib/math.ts": `export const double = (x: number): number => x * 2;\n`,
      "lib/greet.ts": `export function greet(who: string): string { return "hello " + who; }\n`,
    });
    const ran = await isolator(["main.ts", "world"], { cwd: dir, stdin: "21\n" });
    assert.equal(ran.stderr, "");
    assert.equal(ran.stdout, "hello world 42\n");
    assert.equal(ran.code, 0);
  });

  it("imports .mjs and .js siblings as Node would (package.json type module)", async () => {
    const dir = project({
      "package.json": `{ "type": "module" }`,
      "main.js": `import { a } from "./a.mjs";\nimport b from "./b.js";\nconsole.log(a + b);\n`,
      "a.mjs": `export const a = 1;\n`,
      "b.js": `export default 2;\n`,
    });
    const ran = await isolator(["main.js"], { cwd: dir });
    assert.equal(ran.stdout, "3\n", ran.stderr);
    assert.equal(ran.code, 0);
  });

  it("file access: refuses imports outside the entry's directory, by path or by symlink", async () => {
    const dir = project({ "secret.ts": `export const secret = "s3cr3t";\n` });
    const app = join(dir, "app");
    mkdirSync(app);
    symlinkSync(join(dir, "secret.ts"), join(app, "link.ts"));
    writeFileSync(join(app, "up.ts"), `import { secret } from "../secret.ts";\nconsole.log(secret);\n`);
    writeFileSync(join(app, "via-link.ts"), `import { secret } from "./link.ts";\nconsole.log(secret);\n`);
    for (const entry of ["up.ts", "via-link.ts"]) {
      const ran = await isolator(["--no-typecheck", entry], { cwd: app });
      assert.equal(ran.code, 1, entry);
      assert.doesNotMatch(ran.stdout, /s3cr3t/);
      assert.match(ran.stderr, /cannot import '\.{1,2}\/(secret|link)\.ts': no module loader grants it/, entry);
    }
  });

  it("passes exit codes through: process.exit, an uncaught error, the time limit", async () => {
    const dir = project({ "exit.js": "process.exit(7)\n", "throw.js": "throw new TypeError('no')\n", "loop.js": "for (;;) {}\n" });
    assert.equal((await isolator(["exit.js"], { cwd: dir })).code, 7);
    const thrown = await isolator(["throw.js"], { cwd: dir });
    assert.equal(thrown.code, 1);
    assert.match(thrown.stderr, /TypeError: no/);
    const looped = await isolator(["--time-limit", "300", "loop.js"], { cwd: dir });
    assert.equal(looped.code, 124);
    assert.match(looped.stderr, /time limit/);
  });

  it("names the file as the user wrote it in an uncaught error's location and stack", async () => {
    const dir = project({
      "src/main.ts": `import { fail } from "./fail.ts";\nfail();\n`,
      "src/fail.ts": `export function fail(): never {\n  throw new Error("broken");\n}\n`,
    });
    const ran = await isolator(["--no-typecheck", "src/main.ts"], { cwd: dir });
    assert.equal(ran.code, 1);
    // Node's header: where it was thrown, the line, a caret; then the stack, TypeScript positions.
    assert.match(ran.stderr, /^src\/fail\.ts:2\n {2}throw new Error\("broken"\);\n +\^\n/);
    assert.match(ran.stderr, /Error: broken\n +at fail \(src\/fail\.ts:2:\d+\)\n +at .*\(?src\/main\.ts:2:\d+\)?/);
    assert.doesNotMatch(ran.stderr, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  });

  it("reports type errors tsc-style before running, and caches the check's result", async () => {
    const dir = project({ "bad.ts": `import { n } from "./n.ts";\nconst s: string = n;\nconsole.log("ran", s);\n`, "n.ts": `export const n = 1;\n` });
    const ran = await isolator(["bad.ts"], { cwd: dir });
    assert.equal(ran.code, 1);
    assert.equal(ran.stdout, "", "a program with type errors does not run");
    assert.match(ran.stderr, /^bad\.ts:2:7 - error TS2322: Type 'number' is not assignable to type 'string'\.\n\n2 const s: string = n;\n {8}~\n/);
    assert.match(ran.stderr, /Found 1 error\./);
    const cached = readdirSync(join(cache, "isolator", "typecheck"));
    assert.ok(cached.length > 0);
    assert.deepEqual(await isolator(["bad.ts"], { cwd: dir }), ran, "the cached result reports the same");
    assert.equal((await isolator(["--no-typecheck", "bad.ts"], { cwd: dir })).stdout, "ran 1\n");
  });

  it("--watch runs again when a file of the program changes", async () => {
    const dir = project({ "main.ts": `import { v } from "./v.ts";\nconsole.log("value", v);\n`, "v.ts": `export const v = 1;\n` });
    const child: ChildProcess = spawn(process.execPath, [CLI, "run", "--watch", "main.ts"], { cwd: dir, env: { ...process.env, XDG_CACHE_HOME: cache, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const seen = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (stdout.includes(text)) resolve();
        };
        child.stdout!.on("data", (d: Buffer) => {
          stdout += d;
          check();
        });
        child.once("exit", () => reject(new Error(`exited before '${text}': ${stdout}`)));
        check();
      });
    try {
      await seen("value 1\nCompleted running 'main.ts'");
      writeFileSync(join(dir, "v.ts"), `export const v = 2;\n`);
      await seen("value 2\n");
      assert.match(stdout, /Restarting 'main.ts'/);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });

  it("refuses bad options with a clear message and exit code 2", async () => {
    const dir = project({ "a.js": "" });
    const ran = await isolator(["--time-limit", "soon", "a.js"], { cwd: dir });
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /--time-limit must be a positive number/);
    assert.ok(!existsSync(join(dir, ".isolator")));
  });
});
