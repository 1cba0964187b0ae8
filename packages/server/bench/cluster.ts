/**
 * `npm run bench:cluster`: the embedded server beside a cluster (1 API node + 1 worker node, then
 * + 2 worker nodes), all real processes on this machine's PostgreSQL and Redis. Figures: CPU-bound
 * throughput (fib(25), 50 clients, the workers the bottleneck), hello-world submit-and-wait p50
 * (one client), cancel latency across nodes. One JSON line per figure, each beside its reference
 * from the same run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const POSTGRES = process.env.ISOLATOR_BENCH_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS = process.env.ISOLATOR_BENCH_REDIS ?? "redis://127.0.0.1:6379";
const CLIENTS = 50;
const WINDOW_MS = 10_000;
const ROUNDS = 3;

const FIB = JSON.stringify({ language: "javascript", source: "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\nconsole.log(fib(25));", typecheck: false, limits: { timeMs: 30_000 } });
const HELLO = JSON.stringify({ source: 'console.log("hello, world");', typecheck: false });

const children: ChildProcess[] = [];

function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      const m = ready.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once("exit", (code) => reject(new Error(`${args[0]} exited with ${code}: ${out}`)));
  });
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

async function post(url: string, body: string): Promise<{ id: string; status: string }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return (await res.json()) as { id: string; status: string };
}

/** Runs finished per second with CLIENTS clients submitting and waiting, over WINDOW_MS; median of ROUNDS. */
async function throughput(api: string): Promise<{ median: number; rounds: number[] }> {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const end = Date.now() + WINDOW_MS;
    let done = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < end) {
          const run = await post(`${api}/api/runs?wait=30`, FIB);
          if (run.status === "succeeded") done++;
          else failed++;
        }
      }),
    );
    if (failed > 0) console.error(`${failed} runs did not succeed`);
    rounds.push(done / ((Date.now() - end + WINDOW_MS) / 1000));
  }
  return { median: [...rounds].sort((a, b) => a - b)[rounds.length >> 1]!, rounds: rounds.map((r) => Number(r.toFixed(2))) };
}

/** Submit-and-wait p50 of a hello world, one client. */
async function helloP50(api: string, n = 100): Promise<number> {
  for (let i = 0; i < 20; i++) await post(`${api}/api/runs?wait=10`, HELLO); // warm up
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const run = await post(`${api}/api/runs?wait=10`, HELLO);
    if (run.status !== "succeeded") throw new Error(`hello world ended ${run.status}`);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[n >> 1]!;
}

/** From POST cancel on one API node to its answer (the run cancelled on its worker), p50 of n. */
async function cancelP50(submitTo: string, cancelAt: string, n = 10): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const { id } = await post(`${submitTo}/api/runs`, JSON.stringify({ language: "javascript", source: "while (true) {}", typecheck: false, limits: { timeMs: 20_000 } }));
    for (;;) {
      const run = (await (await fetch(`${submitTo}/api/runs/${id}`)).json()) as { status: string };
      if (run.status === "running") break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const t = performance.now();
    const run = (await (await fetch(`${cancelAt}/api/runs/${id}/cancel`, { method: "POST" })).json()) as { status: string };
    times.push(performance.now() - t);
    if (run.status !== "cancelled") throw new Error(`cancel answered ${run.status}`);
  }
  return times.sort((a, b) => a - b)[n >> 1]!;
}

const report = (figure: string, unit: string, ours: number, reference: { name: string; value: number }, goal: string, extra: object = {}) =>
  console.log(JSON.stringify({ figure, unit, ours: Number(ours.toPrecision(4)), reference: { ...reference, value: Number(reference.value.toPrecision(4)) }, goal, ...extra }));

const schema = `bench_${randomBytes(5).toString("hex")}`;
const prefix = `bench-${randomBytes(5).toString("hex")}`;
const store = `${POSTGRES}${POSTGRES.includes("?") ? "&" : "?"}schema=${schema}`;
const queue = `${REDIS}${REDIS.includes("?") ? "&" : "?"}prefix=${prefix}`;
const dataDir = mkdtempSync(join(tmpdir(), "isolator-bench-cluster-"));
const common = ["--port", "0", "--log-level", "silent", "--rate-limit", "100000000", "--max-queued", "100000"];
const serving = /serving on (http:\/\/\S+)/;
const working = /metrics on (http:\/\/\S+)\/metrics/;

try {
  const embedded = await start(["serve", ...common, "--data", dataDir, "--workers", "2"], serving);
  const embeddedHello = await helloP50(embedded.url);
  const embeddedFib = await throughput(embedded.url);
  await stopAll();

  const [api, api2] = await Promise.all([start(["serve", ...common, "--store", store, "--queue", queue, "--workers", "0"], serving), start(["serve", ...common, "--store", store, "--queue", queue, "--workers", "0"], serving)]);
  await start(["worker", "--store", store, "--queue", queue, "--concurrency", "1", "--log-level", "error"], working);
  const clusterHello = await helloP50(api.url);
  const oneWorker = await throughput(api.url);
  const cancel = await cancelP50(api.url, api2.url);
  await start(["worker", "--store", store, "--queue", queue, "--concurrency", "1", "--log-level", "error"], working);
  const twoWorkers = await throughput(api.url);
  await stopAll();

  report("hello world submit-and-wait p50, cluster (1 API + 1 worker)", "ms", clusterHello, { name: "embedded server", value: embeddedHello }, "<= 3x embedded", { ratio: Number((clusterHello / embeddedHello).toFixed(2)) });
  report("fib(25) throughput, 50 clients, 1 API + 1 worker (1 thread)", "runs/s", oneWorker.median, { name: "embedded server, 2 threads", value: embeddedFib.median }, "-", { rounds: oneWorker.rounds, referenceRounds: embeddedFib.rounds });
  report("fib(25) throughput, 50 clients, 1 API + 2 workers (1 thread each)", "runs/s", twoWorkers.median, { name: "1 API + 1 worker", value: oneWorker.median }, ">= 1.6x", { ratio: Number((twoWorkers.median / oneWorker.median).toFixed(2)), rounds: twoWorkers.rounds });
  report("cancel across nodes (submitted to one API node, cancelled on another), p50", "ms", cancel, { name: "goal", value: 100 }, "<= 100 ms");
} finally {
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
  const redis = new Redis(REDIS);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}
