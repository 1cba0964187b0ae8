/**
 * `npm run bench`: one JSON line per figure, each measured side by side with raw
 * quickjs-emscripten in the same run, with the ratio ours / raw (time) or raw / ours (rate).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import releaseSync from "@jitl/quickjs-wasmfile-release-sync";
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSContext, type QuickJSSyncVariant } from "quickjs-emscripten-core";
import { IsolatedRuntime, IsolatedRuntimeHost, IsolatedRuntimePool } from "../src/index.js";
import { runProgram } from "../src/program/runner.js";
import { hostInternals } from "../src/host.js";
import { withoutStdlib } from "../src/stdlib/bundle.js";

declare const IsolatorHost: { invoke(name: string, ...args: unknown[]): unknown };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

function sample(n: number, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out;
}
async function sampleAsync(n: number, fn: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}
/** Mean time per op (ms) over a loop that runs for about `ms`. */
function perOp(fn: () => void, ms = 400): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return (performance.now() - start) / n;
}
function report(figure: string, unit: string, ours: number, raw: number, goal: string, extra: Record<string, unknown> = {}): void {
  const rate = unit.endsWith("/s");
  const round = (x: number) => Number(x.toPrecision(4));
  console.log(JSON.stringify({ figure, unit, ours: round(ours), raw: round(raw), ratio: round(rate ? raw / ours : ours / raw), goal, ...extra }));
}

const records = Array.from({ length: 10_000 }, (_, i) => ({ id: i, name: `user-${i}`, email: `user${i}@example.com`, active: i % 2 === 0, score: i * 1.5, tags: ["a", "b"] }));
const payloadBytes = JSON.stringify(records).length;

// Raw engine, own instance per sandbox, from a precompiled module (as the engine notes measure it).
const variant = releaseSync as unknown as QuickJSSyncVariant;
const wasmModule = new WebAssembly.Module(readFileSync(createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm")));
const rawVariant = newVariant(variant, { wasmModule } as Parameters<typeof newVariant>[1]);
const rawContext = async () => (await newQuickJSWASMModuleFromVariant(rawVariant)).newContext();

// 1. Host start until a runtime is ready.
{
  const ours = median(
    sample(15, () => {
      const host = new IsolatedRuntimeHost();
      new IsolatedRuntime(host).dispose();
      host.dispose();
    }),
  );
  const raw = median(
    await sampleAsync(15, async () => {
      const mod = await newQuickJSWASMModuleFromVariant(variant);
      mod.newContext().dispose();
    }),
  );
  report("host start until a runtime is ready", "ms", ours, raw, "<= 15 ms");
}

using host = new IsolatedRuntimeHost();

// 2. New runtime (own instance).
{
  const ours = sample(500, () => void new IsolatedRuntime(host).dispose());
  const raw = await sampleAsync(500, async () => (await rawContext()).dispose());
  report("new IsolatedRuntime (own instance) p50", "ms", median(ours), median(raw), "p50 <= 0.3 ms");
  report("new IsolatedRuntime (own instance) p95", "ms", pct(ours, 0.95), pct(raw, 0.95), "p95 <= 1 ms");
}

// 3. Hello world: new runtime, evaluate console.log, capture, dispose.
let rawHelloPerSecond = 0;
{
  const n = 600;
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    const lines: string[] = [];
    const rt = new IsolatedRuntime(host, { console: (e) => lines.push(e.text) });
    rt.evaluate('console.log("hello world")');
    rt.dispose();
  }
  const ours = n / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) {
    const lines: string[] = [];
    const ctx = await rawContext();
    const log = ctx.newFunction("log", (h) => void lines.push(ctx.getString(h)));
    const consoleObj = ctx.newObject();
    ctx.setProp(consoleObj, "log", log);
    ctx.setProp(ctx.global, "console", consoleObj);
    log.dispose();
    consoleObj.dispose();
    ctx.unwrapResult(ctx.evalCode('console.log("hello world")')).dispose();
    ctx.dispose();

  }
  const raw = n / ((performance.now() - t) / 1000);
  rawHelloPerSecond = raw;
  report("hello world runs on one core", "runs/s", ours, raw, ">= 2000 runs/s");
}

// 3b. The standard library (WinterTC globals, Node modules): beside the same host without it,
// measured in alternating rounds so both see the same machine. Spread: min-max of the rounds.
{
  using bare = new IsolatedRuntimeHost({ [withoutStdlib]: true });
  const rounds = { newWith: [] as number[], newWithout: [] as number[], helloWith: [] as number[], helloWithout: [] as number[] };
  const helloRate = (h: IsolatedRuntimeHost, n: number) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      const rt = new IsolatedRuntime(h, { console: () => undefined });
      rt.evaluate('console.log("hello world")');
      rt.dispose();
    }
    return n / ((performance.now() - t) / 1000);
  };
  for (let round = 0; round < 5; round++) {
    rounds.newWith.push(median(sample(200, () => void new IsolatedRuntime(host).dispose())));
    rounds.newWithout.push(median(sample(200, () => void new IsolatedRuntime(bare).dispose())));
    rounds.helloWith.push(helloRate(host, 300));
    rounds.helloWithout.push(helloRate(bare, 300));
  }
  const spread = (xs: number[]) => `${Math.min(...xs).toPrecision(3)}-${Math.max(...xs).toPrecision(3)}`;
  report("new IsolatedRuntime with the standard library, p50", "ms", median(rounds.newWith), median(rounds.newWithout), "<= 1.1x without it", {
    rawIs: "same host without the standard library",
    spread: spread(rounds.newWith),
    rawSpread: spread(rounds.newWithout),
  });
  report("hello world with the standard library", "runs/s", median(rounds.helloWith), median(rounds.helloWithout), ">= 0.9x without it (ratio <= 1.11)", {
    rawIs: "same host without the standard library",
    spread: spread(rounds.helloWith),
    rawSpread: spread(rounds.helloWithout),
  });
  const mib = (bytes: number) => bytes / (1024 * 1024);
  const withImage = host[hostInternals].imageBytes("plain");
  const withoutImage = bare[hostInternals].imageBytes("plain");
  report("template image, non-zero bytes", "MiB", mib(withImage), mib(withoutImage), "grows <= 2 MiB", { rawIs: "same template without the standard library", growthMiB: Number(mib(withImage - withoutImage).toFixed(3)) });

  const everyday = `const { createHash } = require("node:crypto");
const url = new URL("https://example.org/a?b=1");
console.log(Buffer.from(url.searchParams.get("b")).toString("hex"), createHash("sha256").update(url.href).digest("hex").slice(0, 8));`;
  const hello = 'console.log("hello world")';
  for (let i = 0; i < 50; i++) await runProgram(host, i % 2 ? everyday : hello);
  const used: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < 200; i++) {
    used.push(...(await sampleAsync(1, async () => void (await runProgram(host, everyday)))));
    plain.push(...(await sampleAsync(1, async () => void (await runProgram(host, hello)))));
  }
  report("program using Buffer, URL and createHash('sha256') once, p50", "ms", median(used), median(plain), "<= 2x a hello-world program", { rawIs: "hello-world program, same host" });
}

using runtime = new IsolatedRuntime(host, { console: "ignore" });
const ctx: QuickJSContext = await rawContext();

// 4. invoke((a, b) => a + b, 1, 2).
{
  const ours = perOp(() => runtime.invoke((a: number, b: number) => a + b, 1, 2));
  const add = ctx.unwrapResult(ctx.evalCode("(a, b) => a + b"));
  const raw = perOp(() => {
    const a = ctx.newNumber(1);
    const b = ctx.newNumber(2);
    const r = ctx.unwrapResult(ctx.callFunction(add, ctx.undefined, a, b));
    ctx.getNumber(r);
    r.dispose();
    a.dispose();
    b.dispose();
  });
  add.dispose();
  report("invoke((a, b) => a + b, 1, 2)", "us", ours * 1000, raw * 1000, "<= 2 us");
}

// 5. Guest -> host callback.
{
  const calls = 20_000;
  runtime.registerCallback("inc", (x: number) => x + 1);
  const ours = perOp(() => runtime.invoke((n: number) => { let x = 0; for (let i = 0; i < n; i++) x = IsolatorHost.invoke("inc", x) as number; return x; }, calls), 600) / calls;
  const inc = ctx.newFunction("inc", (h) => ctx.newNumber(ctx.getNumber(h) + 1));
  ctx.setProp(ctx.global, "inc", inc);
  inc.dispose();
  const loop = ctx.unwrapResult(ctx.evalCode("(n) => { let x = 0; for (let i = 0; i < n; i++) x = inc(x); return x; }"));
  const n = ctx.newNumber(calls);
  const raw = perOp(() => ctx.unwrapResult(ctx.callFunction(loop, ctx.undefined, n)).dispose(), 600) / calls;
  n.dispose();
  loop.dispose();
  report("guest -> host callback", "us", ours * 1000, raw * 1000, "<= 3 us");
}

// 6. 1 MB payload (10k records) round trip, full fidelity.
{
  const ours = median(sample(15, () => void runtime.invoke((v: unknown) => v, records)));
  const identity = ctx.unwrapResult(ctx.evalCode("(s) => JSON.stringify(JSON.parse(s))"));
  const raw = median(
    sample(15, () => {
      const s = ctx.newString(JSON.stringify(records));
      const r = ctx.unwrapResult(ctx.callFunction(identity, ctx.undefined, s));
      JSON.parse(ctx.getString(r));
      r.dispose();
      s.dispose();
    }),
  );
  const mbps = (ms: number) => payloadBytes / 1e6 / (ms / 1000);
  report("1 MB payload round trip (10k records)", "MB/s", mbps(ours), mbps(raw), ">= 60 MB/s", { payloadBytes });
  identity.dispose();
}

// 7. Guest CPU: fib(27).
{
  const source = "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } fib(27)";
  const ours = median(sample(5, () => void runtime.evaluate(source)));
  const raw = median(sample(5, () => ctx.unwrapResult(ctx.evalCode(source)).dispose()));
  report("guest CPU fib(27)", "ms", ours, raw, "<= 1.05x raw");
}
ctx.dispose();

// 8. The pool (2 workers): hello-world programs per second, idle latency, deadline overrun, replacement.
// Throughput is the steady state: the median of five rounds after the workers' JIT has warmed up.
{
  const hello = 'console.log("hello world")';
  for (let i = 0; i < 300; i++) await runProgram(host, hello);
  let t = performance.now();
  for (let i = 0; i < 1000; i++) await runProgram(host, hello);
  const inThread = 1000 / ((performance.now() - t) / 1000);
  report("hello-world program in-thread (one core)", "runs/s", inThread, rawHelloPerSecond, "reference for the pool");

  await using pool = new IsolatedRuntimePool({ size: 2, maxQueue: 10_000 });
  const batch = (n: number) => Promise.all(Array.from({ length: n }, () => pool.run(hello)));
  await batch(6000);
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    t = performance.now();
    await batch(3000);
    rounds.push(3000 / ((performance.now() - t) / 1000));
  }
  const pooled = median(rounds);
  report("hello-world tasks through the pool, 2 workers", "runs/s", pooled, rawHelloPerSecond, ">= 3000 runs/s (in-thread x 1.5)", {
    inThreadRunsPerSecond: Math.round(inThread),
    rounds: rounds.map(Math.round),
  });

  const latency = await sampleAsync(300, async () => void (await pool.run('console.log("hello world")')));
  report("one task on an idle pool, p50", "ms", median(latency), 1000 / rawHelloPerSecond, "<= 1 ms");
  report("one task on an idle pool, p99", "ms", pct(latency, 0.99), 1000 / rawHelloPerSecond, "<= 1 ms (p50)");

  const overruns: number[] = [];
  const replaced: number[] = [];
  for (let i = 0; i < 10; i++) {
    const timeLimit = 100;
    const submitted = performance.now();
    const r = await pool.run("const a = []; a.length = 2 ** 32 - 1; a[5] = 1; a.join(',')", { timeLimit });
    overruns.push(performance.now() - submitted - r.stats.queuedMs - timeLimit);
    const after = performance.now();
    await pool.run("1");
    replaced.push(performance.now() - after);
  }
  report("deadline overrun of a long native op (hard kill), p99", "ms", pct(overruns, 0.99), 0, "<= 50 ms", { median: Number(median(overruns).toFixed(2)) });
  report("next task right after a kill (worker replacement)", "ms", median(replaced), 1000 / rawHelloPerSecond, "cost of replacing a killed worker");
}

// 9. Modules, isolated objects and classes.
{
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "isolator-bench-"));
  const counterClass = "class Counter { constructor(n) { this.n = n; } inc() { return ++this.n; } }";
  writeFileSync(join(dir, "counter.js"), `export ${counterClass}\nexport const table = Array.from({ length: 200 }, (_, i) => i * i);\n`);
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  const modHost = new IsolatedRuntimeHost().withDirectoryModuleLoader(dir).withClass(Point);
  const raw = await rawContext();

  // Import: the first in a runtime (the engine parses; the host's source cache is warm), then cached.
  const first = sample(200, () => {
    const rt = new IsolatedRuntime(modHost);
    rt.createObject("./counter.js", "Counter", 1).dispose();
    rt.dispose();
  });
  const rawFirst = await sampleAsync(200, async () => {
    const ctx2 = await rawContext();
    ctx2.unwrapResult(ctx2.evalCode(`export ${counterClass}\nexport const table = Array.from({ length: 200 }, (_, i) => i * i);`, "counter.js", { type: "module" })).dispose();
    ctx2.dispose();
  });
  report("new runtime + module import + createObject", "ms", median(first), median(rawFirst), "(no goal)", { rawIs: "new raw context + module eval" });
  const coldHost = sample(10, () => {
    using fresh = new IsolatedRuntimeHost().withDirectoryModuleLoader(dir);
    using rt = new IsolatedRuntime(fresh);
    rt.createObject("./counter.js", "Counter", 1).dispose();
  });
  report("cold: new host + runtime + module import (file read, empty cache)", "ms", median(coldHost), median(rawFirst), "(no goal)", { rawIs: "new raw context + module eval" });

  using rt = new IsolatedRuntime(modHost);
  rt.createObject("./counter.js", "Counter", 1).dispose();
  const factory = raw.unwrapResult(raw.evalCode(`(n) => new (${counterClass})(n)`));
  const one = raw.newNumber(1);
  const createOurs = perOp(() => rt.createObject("./counter.js", "Counter", 1).dispose());
  const createRaw = perOp(() => raw.unwrapResult(raw.callFunction(factory, raw.undefined, one)).dispose());
  report("createObject (module imported)", "us", createOurs * 1000, createRaw * 1000, "(no goal)");

  using counter = rt.createObject("./counter.js", "Counter", 1);
  const instance = raw.unwrapResult(raw.callFunction(factory, raw.undefined, one));
  const inc = raw.getProp(instance, "inc");
  const invokeOurs = perOp(() => counter.invoke("inc"));
  const invokeRaw = perOp(() => {
    const r = raw.unwrapResult(raw.callFunction(inc, instance));
    raw.getNumber(r);
    r.dispose();
  });
  report('IsolatedObject.invoke("inc")', "us", invokeOurs * 1000, invokeRaw * 1000, "(no goal)");

  const points = Array.from({ length: 1000 }, (_, i) => new Point(i, -i));
  const plain = points.map((p) => ({ x: p.x, y: p.y }));
  const classTrip = median(sample(30, () => void rt.invoke((v: unknown) => v, points)));
  const plainTrip = median(sample(30, () => void runtime.invoke((v: unknown) => v, plain)));
  report("round trip of 1,000 registered-class instances", "ms", classTrip, plainTrip, "(no goal)", { rawIs: "the same data as plain objects, through Isolator" });

  for (const h of [factory, one, instance, inc]) h.dispose();
  raw.dispose();
  modHost.dispose();
  rmSync(dir, { recursive: true, force: true });
}

// 10. Promise jobs: draining in batches (the deadline checked between them) against raw draining in one
// call; and how far past its time limit a flood of jobs runs in-thread, beside a plain loop's overrun.
{
  const awaits = "for (let i = 0; i < 100000; i++) await null;";
  using rt = new IsolatedRuntime(host, { timeLimit: 10_000 });
  await rt.evaluateAsync(awaits);
  const ours = median(await sampleAsync(5, async () => void (await rt.evaluateAsync(awaits))));
  const rawCtx = await rawContext();
  const raw = median(
    sample(5, () => {
      rawCtx.unwrapResult(rawCtx.evalCode(`(async () => { ${awaits} })()`)).dispose();
      rawCtx.runtime.executePendingJobs();
    }),
  );
  rawCtx.dispose();
  report("100,000 awaits (promise jobs)", "ms", ours, raw, "<= 1.1x raw");

  const timeLimit = 1000;
  const flood = "const fan = () => { Promise.resolve().then(() => { fan(); fan(); }); }; fan(); for (;;) await null;";
  const overrun = async (source: string) => {
    const flooded = new IsolatedRuntime(host, { timeLimit, console: "ignore" });
    const started = performance.now();
    await flooded.evaluateAsync(source).catch(() => undefined);
    flooded.dispose();
    return (performance.now() - started) / timeLimit;
  };
  const floods: number[] = [];
  const loops: number[] = [];
  for (let round = 0; round < 5; round++) {
    floods.push(await overrun(flood));
    loops.push(await overrun("for (;;);"));
  }
  report("a flood of promise jobs ends at x timeLimit (in-thread), max of 5", "x", Math.max(...floods), Math.max(...loops), "<= 1.5x", {
    rawIs: "a plain infinite loop, same limit",
    rounds: floods.map((x) => Number(x.toFixed(3))),
  });
}
