/**
 * Floods of promise jobs, microtasks, timers and rejections: the time limit holds (QuickJS turns an
 * interrupt inside a promise reaction into a rejection and runs the next job, so the host must stop
 * the drain itself), the outcome is a limit error and never an engine fault, and what comes after works.
 * Bounds on elapsed time are generous (the machine is shared); the 1.5x figure lives in the bench.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { IsolatedMemoryError, IsolatedRuntime, IsolatedRuntimeHost, IsolatedRuntimePool, IsolatedTimeoutError, type RunResult } from "../src/index.js";
import { runProgram } from "../src/program/runner.js";

const TIME_LIMIT = 500;
/** Far above the 1.5x measured in the bench, far below the seconds to minutes a flood ran before. */
const ELAPSED_BOUND = 3 * TIME_LIMIT + 1000;
const SMALL_MEMORY = 17 * 1024 * 1024;

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

const FLOODS: Record<string, string> = {
  "an exponential fan-out of .then jobs beside a never-ending await loop": `
    const fan = () => { Promise.resolve().then(() => { fan(); fan(); }); };
    fan();
    for (;;) await null;`,
  "two promise chains that feed each other (microtask ping-pong)": `
    const ping = () => Promise.resolve().then(pong);
    const pong = () => Promise.resolve().then(ping);
    ping();
    await new Promise(() => {});`,
  "an exponential fan-out of queueMicrotask": `
    const f = () => { queueMicrotask(f); queueMicrotask(f); };
    f();
    await new Promise(() => {});`,
  "an exponential fan-out of rejected promises": `
    const f = () => { Promise.reject(new Error("x")).catch(() => {}); Promise.reject(1); queueMicrotask(f); queueMicrotask(f); };
    f();
    await new Promise(() => {});`,
  "an exponential fan-out of zero-delay timers": `
    const f = () => { setTimeout(f, 0); setTimeout(f, 0); };
    f();
    await new Promise(() => {});`,
  "a zero-delay interval whose every tick queues microtasks": `
    setInterval(() => { for (let i = 0; i < 100; i++) queueMicrotask(() => {}); }, 0);
    await new Promise(() => {});`,
};

/** Runs `source` to its end; the outcome must be a limit error, in bounded time. */
async function assertEndsAtALimit(rt: IsolatedRuntime, source: string): Promise<void> {
  const started = performance.now();
  await assert.rejects(rt.evaluateAsync(source), (e: unknown) => {
    assert.ok(e instanceof IsolatedTimeoutError || e instanceof IsolatedMemoryError, `expected a limit error, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return true;
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed < ELAPSED_BOUND, `ran ${Math.round(elapsed)} ms under a ${TIME_LIMIT} ms limit`);
}

/** A new runtime with the same limits (it takes over the disposed one's engine instance) works. */
async function assertNextRuntimeWorks(memoryLimit?: number): Promise<void> {
  using next = new IsolatedRuntime(host, { timeLimit: TIME_LIMIT, ...(memoryLimit ? { memoryLimit } : {}) });
  assert.equal(await next.evaluateAsync("await Promise.resolve(20); 20 + 1"), 21);
}

describe("the time limit holds for floods of jobs, microtasks and timers (in-thread)", () => {
  for (const [name, source] of Object.entries(FLOODS)) {
    test(name, async () => {
      const rt = new IsolatedRuntime(host, { timeLimit: TIME_LIMIT, console: "ignore" });
      await assertEndsAtALimit(rt, source);
      rt.dispose();
      await assertNextRuntimeWorks();
    });
  }

  test("a flood at a full memory ends at a limit, never as an engine fault", async () => {
    for (const source of [FLOODS["an exponential fan-out of .then jobs beside a never-ending await loop"]!, FLOODS["an exponential fan-out of queueMicrotask"]!]) {
      const rt = new IsolatedRuntime(host, { timeLimit: TIME_LIMIT, memoryLimit: SMALL_MEMORY, console: "ignore" });
      // Fill the memory, then free about 1 MiB for the flood to fill at once.
      rt.evaluate(`globalThis.keep = []; try { for (;;) keep.push(new Array(4096).fill(1)); } catch {} keep.length -= 16;`);
      await assertEndsAtALimit(rt, source);
      rt.dispose();
      await assertNextRuntimeWorks(SMALL_MEMORY);
    }
  });

  test("an endless await loop that timed out is over: the runtime answers async calls afterwards", async () => {
    using rt = new IsolatedRuntime(host, { timeLimit: TIME_LIMIT });
    await assertEndsAtALimit(rt, "globalThis.turns = 0; for (;;) { await null; turns++; }");
    const turns = rt.evaluate<number>("turns");
    assert.ok(turns > 0);
    assert.equal(await rt.evaluateAsync("await null; await null; turns"), turns, "the loop took no more turns");
  });
});

describe("running out of memory is a memory error, never an engine fault", () => {
  test("console at full memory (its formatter compiled then) is IsolatedMemoryError; the runtime goes on once memory is freed", () => {
    const output: string[] = [];
    using rt = new IsolatedRuntime(host, { memoryLimit: 20 * 1024 * 1024, console: (entry) => output.push(entry.text) });
    const release = () => void ((globalThis as { keep?: unknown }).keep = undefined);
    rt.invoke(release); // compiled while there is memory
    // Fill the memory down to its last small blocks, then need the formatter for the first time.
    const fill = `globalThis.keep = []; for (let n = 65536; n >= 1; n >>= 1) try { for (;;) keep.push(new Array(n).fill(1)); } catch {}`;
    assert.throws(() => rt.evaluate(`${fill}; console.log("x", { a: 1 });`), IsolatedMemoryError);
    rt.invoke(release);
    rt.evaluate(`console.log("y", { b: 2 })`);
    assert.deepEqual(output, ["y { b: 2 }"]);
  });
});

describe("the time limit holds for floods in programs", () => {
  const PROGRAM_FLOODS = {
    "promise jobs and an await loop": `const fan = () => { Promise.resolve().then(() => { fan(); fan(); }); }; fan(); (async () => { for (;;) await null; })();`,
    "process.nextTick": `const f = () => { process.nextTick(f); process.nextTick(f); }; f();`,
    "rejections heard by an unhandledRejection listener": `process.on("unhandledRejection", () => {}); const f = () => { Promise.reject(new Error("x")); queueMicrotask(f); queueMicrotask(f); }; f();`,
  };
  const assertStopped = (result: RunResult) => assert.ok(result.status === "timed_out" || result.status === "memory_exceeded", `status ${result.status}: ${JSON.stringify(result.error)}`);

  for (const [name, source] of Object.entries(PROGRAM_FLOODS)) {
    test(`${name}, in-thread`, async () => {
      const started = performance.now();
      assertStopped(await runProgram(host, source, { timeLimit: TIME_LIMIT }));
      assert.ok(performance.now() - started < ELAPSED_BOUND);
      assert.equal((await runProgram(host, `console.log("next")`)).status, "succeeded");
    });
  }

  test("in the pool, each flood stops and the worker runs the next task", async () => {
    await using pool = new IsolatedRuntimePool({ size: 1 });
    for (const source of Object.values(PROGRAM_FLOODS)) {
      assertStopped(await pool.run(source, { timeLimit: TIME_LIMIT }));
      const next = await pool.run(`console.log("next")`);
      assert.equal(next.status, "succeeded");
      assert.equal(next.output.map((c) => c.text).join(""), "next\n");
    }
  });
});
