/**
 * `npm run bench:server`: hello-world submit-and-wait over loopback HTTP against a real
 * `isolator serve` process, load generated from this (separate) process with autocannon.
 * One JSON line per figure. Published anchors for the same job: the seed design ~60 s per hello
 * world; Piston 154 ms wall; Judge0 ~500 ms; codapi ~300 ms; .NET Fiddle 0.33 s + 0.19 s.
 */
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ANCHORS = { seedMs: 60_000, pistonMs: 154, judge0Ms: 500, codapiMs: 300, dotnetFiddleMs: 520 };
const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "isolator-bench-"));
const server = spawn(process.execPath, [cli, "serve", "--port", "0", "--data", dataDir, "--log-level", "silent", "--rate-limit", "100000000", "--max-queued", "100000", "--node", "on"], {
  stdio: ["ignore", "pipe", "inherit"],
});
const url = await new Promise<string>((resolve, reject) => {
  server.stdout.on("data", (chunk: Buffer) => {
    const m = /serving on (http:\/\/\S+)/.exec(chunk.toString());
    if (m) resolve(m[1]!);
  });
  server.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
});

const hello = (typecheck: boolean, runtime = "quickjs") => JSON.stringify({ source: 'const who: string = "world";\nconsole.log(`hello, ${who}`);', typecheck, runtime });
const report = (figure: string, unit: string, value: number, goal: string) =>
  console.log(JSON.stringify({ figure, unit, ours: Number(value.toPrecision(4)), goal, anchors: ANCHORS }));

async function latency(typecheck: boolean, n: number, runtime = "quickjs"): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(`${url}/api/runs?wait=10`, { method: "POST", headers: { "content-type": "application/json" }, body: hello(typecheck, runtime) });
    const run = (await res.json()) as { status: string };
    if (run.status !== "succeeded") throw new Error(`unexpected ${run.status}`);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

try {
  await latency(true, 50); // warm up
  const plain = await latency(false, 300);
  report("submit-and-wait hello world, typecheck off, p50", "ms", plain[plain.length >> 1]!, "<= 5 ms");
  const checked = await latency(true, 300);
  report("submit-and-wait hello world, typecheck on, p50", "ms", checked[checked.length >> 1]!, "<= 40 ms");
  // Node runs one at a time, so each takes a warm container (two are kept booted).
  await latency(false, 10, "node");
  const node = await latency(false, 60, "node");
  report("submit-and-wait hello world on the node runtime, typecheck off, p50", "ms", node[node.length >> 1]!, "<= 15 ms");

  const result = await autocannon({
    url: `${url}/api/runs?wait=10`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: hello(false),
    connections: 50,
    duration: 10,
  });
  if (result.non2xx > 0 || result.errors > 0) console.error(`non-2xx ${result.non2xx}, errors ${result.errors}`);
  report("submit-and-wait throughput, 50 clients, typecheck off", "runs/s", result.requests.average, ">= 1000 runs/s");
  report("latency under that load, p50", "ms", result.latency.p50, "");
} finally {
  server.kill("SIGTERM");
  await new Promise((resolve) => server.once("exit", resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
