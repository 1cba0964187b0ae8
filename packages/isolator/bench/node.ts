/**
 * `npm run bench:node` (part of `npm run bench`): the Node executor beside a bare `node hello.js`
 * spawned in the same run, one JSON line per figure with the ratio ours / bare (of times, and of
 * rates). Goals (issue 11): warm latency <= 0.3x, throughput >= 0.8x, overrun <= 50 ms.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeExecutor } from "../src/node/index.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const round = (x: number) => Number(x.toPrecision(4));
function report(figure: string, unit: string, ours: number, bare: number, goal: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ figure, unit, ours: round(ours), bare: round(bare), ratio: bare > 0 ? round(ours / bare) : null, goal, ...extra }));
}

const dir = mkdtempSync(join(tmpdir(), "isolator-bench-node-"));
const helloFile = join(dir, "hello.js");
const hello = 'console.log("hello world")';
writeFileSync(helloFile, hello);

/** One bare `node hello.js`, spawned and waited for (output read). */
function bareNode(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [helloFile], { stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.resume();
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`node exited ${code}`))));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** `n` jobs, `parallel` at a time: jobs per second. */
async function rate(n: number, parallel: number, job: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next++ < n) await job();
  }));
  return n / ((performance.now() - t) / 1000);
}

const executor = await NodeExecutor.start({ size: 2, warm: 2 });
const warmed = async () => {
  while (executor.stats().warm < 2) await new Promise((r) => setTimeout(r, 5));
};
try {
  // Latency: one run at a time, each on a warm sandbox (the replacement booted before the next), beside bare spawns.
  for (let i = 0; i < 5; i++) await bareNode();
  const bare: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 30; i++) {
    bare.push(await timed(bareNode));
    await warmed();
    warm.push(
      await timed(async () => {
        const r = await executor.run(hello, { language: "javascript" });
        if (r.status !== "succeeded") throw new Error(`hello world ${r.status}`);
      }),
    );
  }
  report("hello world on a warm node executor, p50", "ms", median(warm), median(bare), "<= 0.3x a bare node spawn", { p90: round(pct(warm, 0.9)), bareP90: round(pct(bare, 0.9)) });

  // Throughput: the same 2-at-a-time load (2 cores), three rounds each.
  const ours: number[] = [];
  const bareRates: number[] = [];
  for (let round = 0; round < 3; round++) {
    bareRates.push(await rate(40, 2, bareNode));
    ours.push(await rate(40, 2, () => executor.run(hello, { language: "javascript" })));
  }
  report("hello-world runs per second, 2 at a time", "runs/s", median(ours), median(bareRates), ">= 0.8x bare node spawns", { rounds: ours.map(Math.round), bareRounds: bareRates.map(Math.round) });

  // Deadline: a busy loop under a 100 ms limit, killed with its whole container.
  const overruns: number[] = [];
  for (let i = 0; i < 10; i++) {
    await warmed();
    let startedAt = 0;
    const r = await executor.run("for (;;) {}", { language: "javascript", timeLimit: 100, onStart: () => (startedAt = performance.now()) });
    if (r.status !== "timed_out") throw new Error(`busy loop ${r.status}`);
    overruns.push(performance.now() - startedAt - 100); // start to the caller's answer, past the limit
  }
  report("deadline overrun of a busy loop (container killed), p50", "ms", median(overruns), 0, "<= 50 ms", { p99: round(pct(overruns, 0.99)) });
  console.log(JSON.stringify({ figure: "node executor limits", limits: executor.stats().limits }));
} finally {
  await executor.close();
  rmSync(dir, { recursive: true, force: true });
}
