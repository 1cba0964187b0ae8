/**
 * The Node executor with real bubblewrap containers: programs run as under `node`, and every
 * escape or abuse attempt ends in the safe outcome. Each test is named after what it protects.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { NodeExecutor, SandboxUnavailableError } from "../src/node/index.js";
import { assertSucceeded, isA } from "./helpers.js";

const MB = 1024 * 1024;
let executor: NodeExecutor;

before(async () => {
  executor = await NodeExecutor.start({ size: 2, warm: 2, timeLimit: 10_000, memoryLimit: 128 * MB });
});

after(async () => {
  await executor?.close({ cancel: true });
});

const text = (r: { output: { stream: string; text: string }[] }, stream = "stdout") =>
  r.output
    .filter((c) => c.stream === stream)
    .map((c) => c.text)
    .join("");

/** Processes on the host whose command line holds `marker`. */
function hostProcessesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe("programs run as under node", () => {
  test("stdin, args and exit codes", async () => {
    const r = await executor.run(`const input = require("fs").readFileSync(0, "utf8"); console.log(input.toUpperCase(), process.argv.slice(2).join(",")); process.exitCode = 7;`, { stdin: "hello", args: ["a", "b c"] });
    assert.equal(r.status, "failed");
    assert.equal(r.exitCode, 7);
    assert.equal(text(r), "HELLO a,b c\n");
    const exited = await executor.run(`console.log("before"); process.exit(300); console.log("after");`);
    assert.deepEqual([exited.exitCode, text(exited)], [44, "before\n"]);
  });

  test("Node's own APIs: Buffer, URL, structuredClone, crypto, events, util, path, Intl", async () => {
    const r = await executor.run(`
      import { EventEmitter } from "node:events";
      import { format } from "node:util";
      import path from "node:path";
      import { randomUUID } from "node:crypto";
      const e = new EventEmitter(); let got = "";
      e.on("x", (v: string) => (got = v)); e.emit("x", "evt");
      console.log(Buffer.from("hi").toString("base64"), new URL("https://a.b/c?d=1").searchParams.get("d"), structuredClone({ a: [1] }).a[0],
        randomUUID().length, got, format("%d", 42), path.join("a", "..", "b"), new Intl.NumberFormat("en-US").format(1234.5));`);
    assertSucceeded(r);
    assert.equal(text(r), "aGk= 1 1 36 evt 42 b 1,234.5\n");
  });

  test("uncaught errors name the TypeScript lines", async () => {
    const r = await executor.run(`type T = { a: number };\nconst t: T = { a: 1 };\n\nfunction boom(): never {\n  throw new TypeError("bad " + t.a);\n}\nboom();\n`);
    assert.equal(r.status, "failed");
    assert.equal(r.exitCode, 1);
    assert.equal(r.error?.name, "TypeError");
    assert.equal(r.error?.message, "bad 1");
    assert.match(r.error?.stack ?? "", /main\.ts:5:9/);
    assert.match(text(r, "stderr"), /main\.ts:5/);
  });

  test("modules across files, with top-level await", async () => {
    const r = await executor.run({ files: { "main.ts": `import { twice } from "./lib/math.js";\nconsole.log(await Promise.resolve(twice(21)));`, "lib/math.ts": `export const twice = (n: number): number => n * 2;` }, entry: "main.ts" });
    assertSucceeded(r);
    assert.equal(text(r), "42\n");
  });

  test("a syntax error fails the run before any sandbox", async () => {
    const r = await executor.run(`const = 1;`);
    assert.equal(r.status, "failed");
    assert.equal(r.error?.name, "SyntaxError");
  });

  test("two runs in parallel are unaware of each other", async () => {
    const program = (name: string) => `
      const fs = require("fs");
      fs.writeFileSync("/work/mine-${name}", "secret ${name}");
      setTimeout(() => {
        const files = fs.readdirSync("/work").filter((f: string) => f.startsWith("mine-"));
        const tmp = fs.readdirSync("/tmp");
        const pids = fs.readdirSync("/proc").filter((p: string) => /^\\d+$/.test(p));
        console.log(JSON.stringify({ files, tmp, pids }));
      }, 300);`;
    const [a, b] = await Promise.all([executor.run(program("a")), executor.run(program("b"))]);
    assertSucceeded(a);
    assertSucceeded(b);
    const seenA = JSON.parse(text(a)) as { files: string[]; tmp: string[]; pids: string[] };
    const seenB = JSON.parse(text(b)) as { files: string[]; tmp: string[]; pids: string[] };
    assert.deepEqual(seenA.files, ["mine-a"]);
    assert.deepEqual(seenB.files, ["mine-b"]);
    assert.ok(seenA.pids.length <= 3 && seenB.pids.length <= 3, `pids: ${seenA.pids} / ${seenB.pids}`);
  });

  test("npm packages from an operator's read-only node_modules", async () => {
    const modules = mkdtempSync(join(tmpdir(), "isolator-node-modules-"));
    const withModules = await (async () => {
      cpSync(fileURLToPath(new URL("../../../../node_modules/ms", import.meta.url)), join(modules, "ms"), { recursive: true });
      return NodeExecutor.start({ size: 1, warm: 1, nodeModules: modules });
    })();
    try {
      const r = await withModules.run(`import ms from "ms";\nconsole.log(ms("2h"), ms(60000));\nrequire("fs").writeFileSync("/node_modules/ms/index.js", "hacked");`, { language: "javascript" });
      assert.equal(text(r), "7200000 1m\n");
      assert.equal(r.status, "failed", "the mount is read-only");
      assert.match(r.error?.message ?? "", /read-only|EROFS|require is not defined/);
      assert.notEqual(readFileSync(join(modules, "ms", "index.js"), "utf8"), "hacked");
    } finally {
      await withModules.close();
      rmSync(modules, { recursive: true, force: true });
    }
  });
});

describe("network", () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  before(async () => {
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  test("no connection to the host's services on loopback, nor to any outside address", async () => {
    const r = await executor.run(`
      const net = require("net");
      const tryConnect = (host: string, port: number) => new Promise((resolve) => {
        const s = net.connect({ host, port, timeout: 2000 });
        s.on("connect", () => { s.destroy(); resolve(host + ":" + port + " connected"); });
        s.on("timeout", () => { s.destroy(); resolve(host + ":" + port + " timeout"); });
        s.on("error", (e: NodeJS.ErrnoException) => resolve(host + ":" + port + " " + e.code));
      });
      (async () => {
        for (const [h, p] of [["127.0.0.1", ${port}], ["127.0.0.1", 5432], ["127.0.0.1", 6379], ["1.1.1.1", 80], ["8.8.8.8", 53]] as const) console.log(await tryConnect(h, p));
        console.log(Object.keys(require("os").networkInterfaces()).join(","));
      })();`);
    assertSucceeded(r);
    assert.doesNotMatch(text(r), /connected/);
    assert.equal(connections, 0);
    assert.match(text(r), /1\.1\.1\.1:80 (ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|timeout)/);
  });
});

describe("host files", () => {
  test("the host's files are not there: /etc, /root, /home, the checkout, a data directory", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "isolator-data-"));
    writeFileSync(join(dataDir, "isolator.db"), "secret");
    process.env.ISOLATOR_TEST_SECRET = "host-secret-value";
    try {
      const paths = ["/etc/hostname", "/etc/shadow", "/etc/passwd", "/root", "/home", process.cwd(), join(dataDir, "isolator.db"), "/proc/1/environ", "/proc/self/environ"];
      const r = await executor.run(`
        const fs = require("fs");
        for (const p of ${JSON.stringify(paths)}) {
          try { const v = fs.statSync(p).isDirectory() ? fs.readdirSync(p).join(",") : fs.readFileSync(p, "utf8"); console.log(p, "READ", JSON.stringify(v)); }
          catch (e) { console.log(p, (e as NodeJS.ErrnoException).code); }
        }
        console.log(JSON.stringify(process.env));`);
      assertSucceeded(r);
      const out = text(r);
      assert.doesNotMatch(out, /host-secret-value|secret"|root:/);
      for (const p of ["/etc/hostname", "/etc/shadow", "/root", "/home", process.cwd(), join(dataDir, "isolator.db")]) assert.match(out, new RegExp(`${p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} (ENOENT|EACCES)`));
    } finally {
      delete process.env.ISOLATOR_TEST_SECRET;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("nothing can be written outside the private tmpfs", async () => {
    const r = await executor.run(`
      const fs = require("fs");
      for (const p of ["/usr/bin/node", "/isolator/launcher.cjs", "/evil", "/usr/evil", "/lib/evil", "/dev/evil"]) {
        try { fs.writeFileSync(p, "x"); console.log(p, "WROTE"); } catch (e) { console.log(p, (e as NodeJS.ErrnoException).code); }
      }
      // Its own UTS namespace: renaming it renames nothing on the host.
      fs.writeFileSync("/proc/sys/kernel/hostname", "renamed");`);
    assertSucceeded(r);
    assert.doesNotMatch(text(r), /WROTE/);
    assert.notEqual(hostname(), "renamed");
  });
});

describe("host processes", () => {
  test("kill -9 of a host pid reaches nothing", async () => {
    const r = await executor.run(`for (const pid of [${process.pid}, ${process.ppid}]) { try { process.kill(pid, "SIGKILL"); console.log("killed", pid); } catch (e) { console.log((e as NodeJS.ErrnoException).code); } }`);
    assertSucceeded(r);
    assert.doesNotMatch(text(r), /killed/);
  });

  test("no host process can be traced or inspected: /proc shows only the sandbox's own", async () => {
    const r = await executor.run(`
      const fs = require("fs");
      const pids = fs.readdirSync("/proc").filter((p: string) => /^\\d+$/.test(p));
      let host; try { host = fs.readFileSync("/proc/${process.pid}/mem"); } catch (e) { host = (e as NodeJS.ErrnoException).code; }
      console.log(JSON.stringify({ pids, host, uid: process.getuid() }));`);
    assertSucceeded(r);
    const seen = JSON.parse(text(r)) as { pids: string[]; host: string; uid: number };
    assert.ok(seen.pids.every((p) => Number(p) < 10), `pids: ${seen.pids}`);
    assert.equal(seen.host, "ENOENT");
    if (process.getuid?.() === 0) assert.equal(seen.uid, 65534, "a root host runs programs as nobody");
  });
});

describe("limits", () => {
  test("memory: a 1 GB Buffer under a 128 MB limit ends memory_exceeded", async () => {
    const r = await executor.run(`const b = Buffer.allocUnsafe(1024 * 1024 * 1024).fill(1); console.log(b.length);`, { memoryLimit: 128 * MB });
    assert.equal(r.status, "memory_exceeded", JSON.stringify(r.error));
    assert.equal(r.exitCode, null);
    assert.equal(text(r), "");
  });

  test("memory: a growing JavaScript heap ends memory_exceeded", async () => {
    const r = await executor.run(`const keep: string[] = []; for (let i = 0; ; i++) keep.push("x".repeat(1000) + i);`, { memoryLimit: 128 * MB });
    assert.equal(r.status, "memory_exceeded");
  });

  test("process count: a fork bomb is contained and reported", async () => {
    // A low limit (Node itself runs about ten threads, and threads count): the bomb stops after a child or two.
    await using small = await NodeExecutor.start({ size: 1, warm: 0, maxProcesses: 24 });
    const r = await small.run(`
      const { spawn } = require("child_process");
      let n = 0;
      try { for (;;) { spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" }); n++; } }
      catch (e) { console.log("stopped after", n, (e as Error).message); process.exit(1); }`, { memoryLimit: 512 * MB });
    assert.notEqual(r.status, "succeeded");
    assert.equal(r.error?.name, "ProcessLimitError", JSON.stringify(r));
  });

  test("disk: a disk bomb in the tmpfs stops at its size", async () => {
    const r = await executor.run(`
      const fs = require("fs");
      const block = Buffer.alloc(1024 * 1024, 1);
      let written = 0;
      try { for (let i = 0; ; i++) { fs.writeFileSync("/work/f" + i, block); written++; } }
      catch (e) { console.log("stopped", written, (e as NodeJS.ErrnoException).code); }`, { memoryLimit: 256 * MB });
    assertSucceeded(r);
    assert.match(text(r), /stopped (\d+) (ENOSPC|EFBIG)/);
    assert.ok(Number(/stopped (\d+)/.exec(text(r))![1]) <= 16);
  });

  test("output: a flood ends output_exceeded at the cap", async () => {
    const r = await executor.run(`for (;;) console.log("x".repeat(1000));`, { maxOutputBytes: 64 * 1024 });
    assert.equal(r.status, "output_exceeded");
    assert.ok(Buffer.byteLength(text(r)) <= 64 * 1024);
    assert.ok(Buffer.byteLength(text(r)) > 32 * 1024);
  });

  test("time: a program ignoring SIGTERM is killed at its deadline", async () => {
    const r = await executor.run(`process.on("SIGTERM", () => console.log("ignored")); console.log("spinning"); for (;;) {}`, { timeLimit: 500 });
    assert.equal(r.status, "timed_out");
    assert.equal(text(r), "spinning\n");
  });

  test("lifetime: a daemon (double fork, setsid) does not outlive its run", async () => {
    const marker = `isolator-daemon-${process.pid}-${Date.now()}`;
    const r = await executor.run(`
      const { spawn } = require("child_process");
      const grandchild = "require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000) // ${marker}'], { detached: true, stdio: 'ignore' }).unref()";
      spawn(process.execPath, ["-e", grandchild], { detached: true, stdio: "ignore" }).unref();
      setTimeout(() => console.log("parent exits"), 500);`, { memoryLimit: 256 * MB });
    assertSucceeded(r);
    assert.ok(await eventually(() => hostProcessesWith(marker).length === 0), "a daemon outlived its run");
  });

  test("cancel ends a running program at once", async () => {
    const controller = new AbortController();
    const running = executor.run(`setInterval(() => {}, 1000);`, { signal: controller.signal, onStart: () => setTimeout(() => controller.abort(), 100) });
    assert.equal((await running).status, "cancelled");
  });
});

describe("the executor", () => {
  test("leaves no process behind once closed", async () => {
    const own = await NodeExecutor.start({ size: 1, warm: 2, memoryLimit: 99 * MB }); // its sandboxes' command lines say 99
    await own.run(`console.log(1)`);
    assert.ok(hostProcessesWith("--max-old-space-size=99").length > 0, "the warm sandboxes are found");
    await own.close();
    assert.ok(await eventually(() => hostProcessesWith("--max-old-space-size=99").length === 0));
  });

  test("reports SandboxUnavailableError when bubblewrap is missing", async () => {
    await assert.rejects(NodeExecutor.start({ bwrap: "/nonexistent/bwrap" }), isA(SandboxUnavailableError, (e) => assert.match(e.message, /bubblewrap/)));
  });

  test("says which limits applied", () => {
    assert.match(executor.stats().limits, /^(cgroup-v1|cgroup-v2|rlimit)$/);
  });
});
