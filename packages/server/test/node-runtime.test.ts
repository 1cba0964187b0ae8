/**
 * The node runtime through the service, with real bubblewrap containers: runs ask for it with
 * `runtime: "node"`, type-check against Node's types, show up per runtime in health and metrics,
 * and survive a server killed mid-run without leaving a sandbox process behind.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { Api, freshDir, sleep, startTestServer, type Accepted, type RunView, type TestServer } from "./helpers.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
let server: TestServer;

before(async () => {
  server = await startTestServer({ poolSize: 1, node: { enabled: true, size: 2, warm: 1, modules: undefined } });
});

after(async () => {
  await server?.close();
});

describe("runtime node over HTTP", () => {
  it("runs real Node.js: Buffer and fs type-check and work; the run says node", async () => {
    const run = await server.api.runToEnd({
      runtime: "node",
      source: `import { readFileSync } from "node:fs";\nconst b: Buffer = Buffer.from(readFileSync(0, "utf8"));\nconsole.log(b.toString("base64"), process.argv.slice(2));`,
      stdin: "hi",
      args: ["x"],
    });
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(run.runtime, "node");
    assert.equal(run.stdout, "aGk= [ 'x' ]\n");
  });

  it("type-checks all of Node for node runs, and only the sandbox's modules for QuickJS runs", async () => {
    const source = `import { cpus } from "node:os";\nimport { writeFileSync } from "node:fs";\nwriteFileSync("/work/out.txt", "x");\nconsole.log(cpus().length > 0);`;
    const quickjs = await server.api.runToEnd({ source });
    assert.equal(quickjs.status, "compile_error");
    assert.match(quickjs.diagnostics.map((d) => d.message).join("\n"), /node:os/);
    const node = await server.api.runToEnd({ runtime: "node", source });
    assert.equal(node.status, "succeeded", JSON.stringify(node));
    assert.equal(node.stdout, "true\n");
  });

  it("names the .ts line of an uncaught error", async () => {
    const run = await server.api.runToEnd({ runtime: "node", source: `const n: number = 1;\n\nthrow new RangeError("at line " + (n + 2));` });
    assert.equal(run.status, "failed");
    assert.equal(run.error?.name, "RangeError");
    assert.match(run.error?.stack ?? "", /main\.ts:3:7/);
  });

  it("runs the README's node curl example as shown", async () => {
    const readme = readFileSync(fileURLToPath(new URL("../../../../README.md", import.meta.url)), "utf8");
    const body = /-d '(\{"runtime": "node".*?\})'/s.exec(readme)?.[1];
    assert.ok(body, "README.md has a node curl example");
    const res = await server.api.submit(JSON.parse(body) as unknown, "?wait=20");
    const run = res.body as RunView;
    assert.deepEqual({ status: run.status, runtime: run.runtime, stdout: run.stdout }, { status: "succeeded", runtime: "node", stdout: "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4\n" });
  });

  it("reports each runtime in health and metrics", async () => {
    const health = await server.api.request<{ runtimes: { node: { available: boolean; stats: { limits: string } } } }>("GET", "/api/health");
    assert.equal(health.body.runtimes.node.available, true);
    assert.match(health.body.runtimes.node.stats.limits, /cgroup|rlimit/);
    const metrics = (await server.api.request<string>("GET", "/metrics")).body;
    assert.match(metrics, /^isolator_runs_submitted_total\{runtime="node"\} [1-9]/m);
    assert.match(metrics, /^isolator_runs_finished_total\{runtime="node",status="succeeded"\} [1-9]/m);
    assert.match(metrics, /^isolator_run_seconds_count\{runtime="node"\} [1-9]/m);
  });
});

describe("a server killed mid node-run", () => {
  const children = new Set<ChildProcess>();
  after(() => {
    for (const child of children) child.kill("SIGKILL");
  });

  async function serve(dataDir: string): Promise<{ child: ChildProcess; api: Api }> {
    const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--data", dataDir, "--log-level", "warn", "--workers", "1", "--node", "on", "--node-warm", "1"], { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.setEncoding("utf8").on("data", (text: string) => {
        stdout += text;
        const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`the server exited (${code}) before serving`)));
    });
    return { child, api: new Api(url) };
  }

  it("leaves no sandbox process behind, and the run is retried", async () => {
    const dataDir = freshDir("isolator-node-durability-");
    const marker = `node-durability-${process.pid}`;
    try {
      const first = await serve(dataDir);
      const accepted = await first.api.submit({ runtime: "node", typecheck: false, source: `// ${marker}\nconst { spawn } = require("child_process");\nspawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, stdio: "ignore" }).unref();\nlet i = 0; const t = setInterval(() => { console.log("tick", ++i); if (i === 20) clearInterval(t); }, 100);`, limits: { timeMs: 10_000 } });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      const id = (accepted.body as Accepted).id;
      for (let seen = ""; !seen.includes("tick 2"); await sleep(50)) seen = ((await first.api.get(id)).body as RunView).stdout;
      const launchers = sandboxesOf(first.child.pid!);
      assert.ok(launchers.length > 0, "the running sandbox is found");
      first.child.kill("SIGKILL");
      await once(first.child, "exit");
      // Every process of the sandboxes (the program, its detached child, the warm ones) is gone.
      for (let tries = 0; launchers.some(alive) && tries < 100; tries++) await sleep(50);
      assert.deepEqual(launchers.filter(alive), []);

      const second = await serve(dataDir);
      const run = await second.api.terminal(id);
      assert.equal(run.status, "succeeded", JSON.stringify(run));
      assert.equal(run.attempts, 2);
      assert.match(run.stdout, /^tick 1\n[\s\S]*tick 20\n$/);
      second.child.kill("SIGTERM");
      await once(second.child, "exit");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Every process descending from `root` (sandboxes included). */
function sandboxesOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      parents.set(Number(pid), Number(/^PPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent !== pid) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}
