/**
 * IsolatedRuntimePool: programs and lambdas on worker threads, output streaming, the hard
 * deadline (a worker stuck in native code is terminated and replaced), cancellation, the queue,
 * host callbacks across threads, stats and closing. Two pools for the whole file, closed last.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertSucceeded, inChildProcess, isA, streamRuns } from "./helpers.js";
import { setTimeout as delay } from "node:timers/promises";
import {
  IsolatedCaptureError,
  IsolatedError,
  IsolatedPoolClosedError,
  IsolatedPoolQueueFullError,
  IsolatedRuntimeHost,
  IsolatedRuntimePool,
  IsolatedTimeoutError,
  IsolatorError,
  type OutputChunk,
  type ProgramSource,
  type RunResult,
} from "../src/index.js";
import { runProgram } from "../src/program/runner.js";

declare const IsolatorHost: { invoke(n: string, ...a: unknown[]): unknown; invokeAsync(n: string, ...a: unknown[]): Promise<unknown> };

const TIME_LIMIT = 300;
/** Sleeps process.argv[2] ms, then prints "slept". */
const SLEEPER = `await new Promise((resolve) => setTimeout(resolve, Number(process.argv[2]))); console.log("slept");`;
/** A long native operation: the engine polls no interrupt inside Array.prototype.join over a huge sparse array. */
const NATIVE_HOG = `const a: number[] = []; a.length = 2 ** 32 - 1; a[5] = 1; console.log(a.join(",").length);`;
/** What the `mark` callback was called with (a task that never runs never marks). */
const marks: string[] = [];
const callbacks = {
  add: (a: number, b: number) => a + b,
  later: async (x: number) => {
    await delay(5);
    return x * 2;
  },
  boom: () => {
    throw new Error("secret host detail");
  },
  asyncBoom: async () => {
    throw new Error("secret async detail");
  },
  mark: (label: string) => {
    marks.push(label);
  },
};

/** The shared pool: 2 workers. */
let pool: IsolatedRuntimePool;
/** A small pool: 1 worker, a queue of 2, host error messages shown to the guest. */
let small: IsolatedRuntimePool;
const host = new IsolatedRuntimeHost();

before(async () => {
  pool = new IsolatedRuntimePool({ size: 2, runtime: { timeLimit: TIME_LIMIT }, callbacks });
  small = new IsolatedRuntimePool({ size: 1, maxQueue: 2, runtime: { timeLimit: TIME_LIMIT }, callbacks, exposeHostErrors: true });
  await warm(pool);
});
after(async () => {
  await pool.close({ cancel: true });
  await small.close({ cancel: true });
  host.dispose();
});

/** Both workers up and warm: two overlapping tasks. */
async function warm(p: IsolatedRuntimePool): Promise<void> {
  const results = await Promise.all([p.run(SLEEPER, { args: ["20"] }), p.run(SLEEPER, { args: ["20"] })]);
  for (const r of results) assert.equal(r.status, "succeeded");
}

const text = (result: RunResult) => result.output.map((c) => c.text).join("");

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await delay(5);
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe("run", () => {
  test("returns the same results as the in-thread runProgram", async () => {
    const programs: [ProgramSource, { stdin?: string; args?: string[] }][] = [
      [`const [a, b] = require("fs").readFileSync(0, "utf8").split(" ").map(Number); console.log(a + b, process.argv.slice(2).join(","));`, { stdin: "2 40", args: ["x", "y"] }],
      [`console.error("warn"); process.exitCode = 3;`, {}],
      [`function thrower(): never {\n  throw new TypeError("bad");\n}\nthrower();`, {}],
      [`const x: number = ;`, {}],
      [{ files: { "main.ts": `import { two } from "./two.js"; console.log(two * 21);`, "two.ts": `export const two: number = 2;` }, entry: "main.ts" }, {}],
    ];
    for (const [program, options] of programs) {
      const [pooled, local] = await Promise.all([pool.run(program, options), runProgram(host, program, { timeLimit: TIME_LIMIT, ...options })]);
      const shape = (r: RunResult) => ({ status: r.status, exitCode: r.exitCode, error: r.error, output: streamRuns(r.output) });
      assert.deepEqual(shape(pooled), shape(local));
    }
  });

  test("stats: queuedMs, runMs, cpuMs and memoryPeakBytes are numbers; memoryPeakBytes > 0", async () => {
    const result = await pool.run(`let s = 0; for (let i = 0; i < 1e5; i++) s += i; console.log(s);`);
    assertSucceeded(result);
    for (const key of ["queuedMs", "runMs", "cpuMs", "memoryPeakBytes"] as const) {
      assert.equal(typeof result.stats[key], "number", key);
      assert.ok(Number.isFinite(result.stats[key]) && result.stats[key] >= 0, `${key} = ${result.stats[key]}`);
    }
    assert.ok(result.stats.memoryPeakBytes > 0);
  });

  test("output streams through onOutput, in order, while the program is still running", async () => {
    const seen: { chunk: OutputChunk; settled: boolean }[] = [];
    let settled = false;
    const running = pool.run(`console.log("first"); console.error("second"); await new Promise((r) => setTimeout(r, 100)); console.log("third");`, {
      onOutput: (chunk) => seen.push({ chunk, settled }),
    });
    const result = await running;
    settled = true;
    assertSucceeded(result);
    assert.deepEqual(streamRuns(result.output), [["stdout", "first\n"], ["stderr", "second\n"], ["stdout", "third\n"]]);
    assert.ok(seen.length >= 2, `${seen.length} chunks streamed`);
    assert.ok(seen.every((s) => !s.settled));
    // what streamed is the result's output, in the same order
    assert.deepEqual(seen.map((s) => s.chunk), result.output.slice(0, seen.length));
  });

  test(
    "every chunk reaches onOutput before run() resolves",
    async () => {
      const counts: string[] = [];
      for (let i = 0; i < 20; i++) {
        let streamed = 0;
        const result = await pool.run(`console.log("a"); console.log("b");`, { onOutput: () => streamed++ });
        counts.push(`${streamed}/${result.output.length}`);
      }
      assert.deepEqual(counts, counts.map((c) => `${c.split("/")[1]}/${c.split("/")[1]}`));
    },
  );

  test("onStart comes once, before the first chunk of output", async () => {
    for (let i = 0; i < 20; i++) {
      const events: string[] = [];
      await pool.run(`console.log("a")`, { onStart: () => events.push("start"), onOutput: () => events.push("output") });
      assert.deepEqual(events, ["start", "output"]);
    }
  });

  test("stdin, argv and exit codes work through the pool", async () => {
    const sum = await pool.run(
      `const rl = require("readline").createInterface({ input: process.stdin });
       let total = 0;
       for await (const line of rl) total += Number(line);
       console.log(process.argv[2], total);`,
      { stdin: "1\n2\n3\n", args: ["sum"] },
    );
    assertSucceeded(sum);
    assert.equal(text(sum), "sum 6\n");

    const exitCode = await pool.run(`process.exitCode = 3;`);
    assert.deepEqual([exitCode.status, exitCode.exitCode], ["failed", 3]);

    const exited = await pool.run(`console.log("before"); process.exit(4); console.log("after");`);
    assert.deepEqual([exited.status, exited.exitCode, text(exited)], ["failed", 4, "before\n"]);

    const thrown = await pool.run(`throw new RangeError("out of range");`);
    assert.deepEqual([thrown.status, thrown.exitCode, thrown.error?.name, thrown.error?.message], ["failed", 1, "RangeError", "out of range"]);

    const rejected = await pool.run(`async function main() { throw new TypeError("nobody caught me"); } main(); console.log("after");`);
    assert.deepEqual([rejected.status, rejected.exitCode, rejected.error?.name, rejected.error?.message, text(rejected)], ["failed", 1, "TypeError", "nobody caught me", "after\n"]);
  });
});

describe("limits and the hard deadline", () => {
  test("a long native operation is stopped by the hard deadline: timed_out within timeLimit + 50 ms of its start", async () => {
    await warm(pool); // both workers ready: the task starts at once
    const replacedBefore = pool.stats().workersReplaced;
    const submitted = performance.now();
    const result = await pool.run(NATIVE_HOG, { timeLimit: 150 });
    const wall = performance.now() - submitted;
    assert.equal(result.status, "timed_out");
    assert.equal(result.exitCode, null);
    assert.equal(result.error?.name, "IsolatedTimeoutError");
    assert.ok(result.stats.queuedMs + result.stats.runMs <= 230, `started-to-resolved ${result.stats.queuedMs + result.stats.runMs} ms`);
    assert.ok(wall <= 250, `submitted-to-resolved ${wall} ms`);

    // the stuck worker was replaced, and the pool goes on
    const next = await Promise.all([0, 1, 2, 3].map((i) => pool.run(`console.log(${i} * 2);`)));
    assert.deepEqual(next.map((r) => [r.status, text(r)]), [0, 1, 2, 3].map((i) => ["succeeded", `${i * 2}\n`]));
    assert.ok(pool.stats().workersReplaced >= replacedBefore + 1, `workersReplaced ${pool.stats().workersReplaced}`);
  });

  test("pool.invoke is bounded by the hard deadline too", async () => {
    await assert.rejects(
      pool.invoke(() => {
        const a: number[] = [];
        a.length = 2 ** 32 - 1;
        a[5] = 1;
        return a.join(",").length;
      }),
      isA(IsolatedTimeoutError, (e) => assert.equal(e.timeLimit, TIME_LIMIT)),
    );
    assert.equal(await pool.invoke((a: number) => a + 1, 1), 2);
  });

  test("an endless async loop is timed_out", async () => {
    const result = await pool.run(`for (;;) await null;`, { timeLimit: 100 });
    assert.equal(result.status, "timed_out");
    assert.equal(result.exitCode, null);
  });

  test("a memory bomb is memory_exceeded", async () => {
    const result = await pool.run(`const hoard: number[][] = []; for (;;) hoard.push(new Array(100_000).fill(1.5));`, { memoryLimit: 16 * 1024 * 1024, timeLimit: 3000 });
    assert.equal(result.status, "memory_exceeded");
    assert.equal(result.error?.name, "IsolatedMemoryError");
  });

  test(
    "a task that crashes its worker is reported and later tasks still succeed",
    async () => {
      const script = `
        const { IsolatedRuntimePool } = await import(${JSON.stringify(new URL("../src/index.js", import.meta.url).href)});
        const pool = new IsolatedRuntimePool({ size: 1 });
        const crash = await pool.run("(".repeat(100_000));
        const next = await pool.run("console.log('alive')");
        console.log(JSON.stringify({ crash: crash.status, next: next.status, output: next.output.map((c) => c.text).join("") }));
        await pool.close();`;
      const outcome = await inChildProcess(script);
      assert.deepEqual({ code: outcome.code, signal: outcome.signal }, { code: 0, signal: null });
      const reported = JSON.parse(outcome.stdout) as { crash: string; next: string; output: string };
      assert.ok(["failed", "crashed"].includes(reported.crash), reported.crash);
      assert.deepEqual([reported.next, reported.output], ["succeeded", "alive\n"]);
    },
  );
  test(
    "a trivial task with a tiny time limit is never hard-killed on a cold worker",
    async () => {
      // in a child process: its pool's workers are cold, and killing tasks that are about to finish is racy (see the closing tests)
      const script = `
        const { IsolatedRuntimePool } = await import(${JSON.stringify(new URL("../src/index.js", import.meta.url).href)});
        const uncaught = [];
        process.on("uncaughtException", (e) => uncaught.push(String(e.message).split("\\n")[0]));
        const pool = new IsolatedRuntimePool({ size: 1 });
        const outcomes = [];
        for (let i = 0; i < 3; i++) {
          const result = await pool.run("console.log(1)", { timeLimit: 100 }); // a trivial task; the slack is for a loaded machine's scheduling
          outcomes.push(result.error ? result.error.message : result.status);
        }
        console.log(JSON.stringify({ outcomes, replaced: pool.stats().workersReplaced, uncaught }));
        await pool.close();`;
      const outcome = await inChildProcess(script);
      assert.deepEqual({ code: outcome.code, signal: outcome.signal }, { code: 0, signal: null });
      const reported = JSON.parse(outcome.stdout) as { outcomes: string[]; replaced: number; uncaught: string[] };
      // the in-thread limit may still stop a 5 ms task; the hard kill ("the program exceeded ...") must not
      assert.deepEqual(reported.outcomes.filter((o) => o.startsWith("the program exceeded")), []);
      assert.equal(reported.replaced, 0);
      assert.deepEqual(reported.uncaught, []);
    },
  );
});

describe("cancellation", () => {
  test("aborting a queued task cancels it at once, and it never runs", async () => {
    await warm(pool);
    const sleepers = [pool.run(SLEEPER, { args: ["200"], timeLimit: 2000 }), pool.run(SLEEPER, { args: ["200"], timeLimit: 2000 })];
    let sleepersDone = false;
    void Promise.all(sleepers).then(() => (sleepersDone = true));
    const controller = new AbortController();
    const queued = pool.run(`IsolatorHost.invoke("mark", "queued task ran"); console.log("ran");`, { signal: controller.signal });
    await delay(20);
    assert.equal(pool.stats().queued, 1);
    controller.abort();
    const result = await queued;
    assert.equal(sleepersDone, false, "cancelled before the running tasks finished");
    assert.equal(result.status, "cancelled");
    assert.equal(result.exitCode, null);
    assert.deepEqual(result.output, []);
    for (const r of await Promise.all(sleepers)) assertSucceeded(r);
    await pool.run(`0`); // anything left in the queue has had its turn
    assert.ok(!marks.includes("queued task ran"));
  });

  test("aborting a running task cancels it (its worker is replaced) and the pool goes on", async () => {
    const controller = new AbortController();
    // Two quick writes (the second held back, to go out with any that follow) before a busy loop.
    const running = pool.run(`console.log("started"); console.log("still started"); for (;;);`, { signal: controller.signal, timeLimit: 5000 });
    await until(() => pool.stats().running === 1, "the task runs");
    await delay(50);
    controller.abort();
    const result = await running;
    assert.equal(result.status, "cancelled");
    assert.equal(result.exitCode, null);
    assert.equal(text(result), "started\nstill started\n", "output written before the kill is kept");
    const next = await pool.run(`console.log("next");`);
    assertSucceeded(next);
    assert.equal(text(next), "next\n");
  });

  test("an already-aborted signal cancels without running", async () => {
    const result = await pool.run(`IsolatorHost.invoke("mark", "pre-aborted ran");`, { signal: AbortSignal.abort() });
    assert.equal(result.status, "cancelled");
    assert.ok(!marks.includes("pre-aborted ran"));
  });
});

describe("the queue", () => {
  test(
    "past maxQueue, a submission rejects at once with IsolatedPoolQueueFullError; the others complete",
    async () => {
      const outcomes = [0, 1, 2, 3].map((i) =>
        small.run(`${SLEEPER} console.log(${i});`, { args: ["50"] }).then(
          (r) => text(r),
          (e: unknown) => e,
        ),
      );
      // the 4th (1 running + 2 queued before it) is refused before anything completes
      const fourth = await Promise.race([outcomes[3]!, delay(30).then(() => "still pending")]);
      const settled = await Promise.all(outcomes);
      assert.ok(fourth instanceof IsolatedPoolQueueFullError, `4th submission: ${String(fourth)}`);
      assert.deepEqual(settled.slice(0, 3), ["slept\n0\n", "slept\n1\n", "slept\n2\n"]);
    },
  );

  test("1,000 mixed tasks: none lost, each result carries its own task's output", async () => {
    const program = `const i = Number(process.argv[2]);
      if (i % 50 === 7) for (;;);
      if (i % 10 === 3) throw new Error("task " + i);
      console.log(i);`;
    const kind = (i: number) => (i % 50 === 7 ? "loops" : i % 10 === 3 ? "throws" : "prints");
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.run(program, { args: [String(i)], ...(kind(i) === "loops" ? { timeLimit: 50 } : {}) })));
    assert.equal(results.length, 1000);
    const wrong: string[] = [];
    results.forEach((r, i) => {
      const ok =
        kind(i) === "loops"
          ? r.status === "timed_out" && r.output.length === 0
          : kind(i) === "throws"
            ? r.status === "failed" && r.exitCode === 1 && r.error?.message === `task ${i}` && r.output.length === 0
            : r.status === "succeeded" && text(r) === `${i}\n`;
      if (!ok) wrong.push(`${i}: ${r.status} ${JSON.stringify(r.output)} ${JSON.stringify(r.error)}`);
    });
    assert.deepEqual(wrong, []);
    const statuses = results.reduce<Record<string, number>>((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {});
    assert.deepEqual(statuses, { succeeded: 880, failed: 100, timed_out: 20 });
  });
});

describe("host callbacks", () => {
  test("sync IsolatorHost.invoke and async IsolatorHost.invokeAsync reach the pool's callbacks", async () => {
    const result = await pool.run(`console.log(IsolatorHost.invoke("add", 2, 3)); console.log(await IsolatorHost.invokeAsync("later", 21));`);
    assertSucceeded(result);
    assert.equal(text(result), "5\n42\n");
    const viaModule = await pool.run(`import { host } from "isolator/guest"; console.log(host.invoke("add", 40, 2));`);
    assert.equal(text(viaModule), "42\n");
  });

  test("a throwing callback reaches the guest as \"host callback 'boom' failed\", without the host's message", async () => {
    const result = await pool.run(
      `try { IsolatorHost.invoke("boom"); } catch (e) { console.log(JSON.stringify([(e as Error).message, (e as Error).stack])); }
       try { await IsolatorHost.invokeAsync("asyncBoom"); } catch (e) { console.log(JSON.stringify([(e as Error).message, (e as Error).stack])); }`,
    );
    assertSucceeded(result);
    const [sync, async] = result.output.map((c) => JSON.parse(c.text) as [string, string]);
    assert.equal(sync![0], "host callback 'boom' failed");
    assert.equal(async![0], "host callback 'asyncBoom' failed");
    assert.ok(!text(result).includes("secret"), text(result));
    const uncaught = await pool.run(`IsolatorHost.invoke("boom");`);
    assert.equal(uncaught.status, "failed");
    assert.equal(uncaught.error?.message, "host callback 'boom' failed");
  });

  test("exposeHostErrors: true shows the host's message to pool.invoke lambdas", async () => {
    const messages = await small.invoke(async () => {
      const out: string[] = [];
      try {
        IsolatorHost.invoke("boom");
      } catch (e) {
        out.push((e as Error).message);
      }
      try {
        await IsolatorHost.invokeAsync("asyncBoom");
      } catch (e) {
        out.push((e as Error).message);
      }
      return out;
    });
    assert.deepEqual(messages, ["host callback 'boom' failed: secret host detail", "host callback 'asyncBoom' failed: secret async detail"]);
  });

  test(
    "exposeHostErrors: true shows the host's message to pool.run programs",
    async () => {
      const result = await small.run(`try { IsolatorHost.invoke("boom"); } catch (e) { console.log((e as Error).message); }`);
      assert.equal(text(result), "host callback 'boom' failed: secret host detail\n");
    },
  );

  test("an async callback called through the sync IsolatorHost.invoke gives the guest a clear error", async () => {
    const result = await pool.run(`try { IsolatorHost.invoke("later", 1); } catch (e) { console.log((e as Error).message); }`);
    assertSucceeded(result);
    assert.equal(text(result), "host callback 'later' is async; call it with IsolatorHost.invokeAsync\n");
  });
});

describe("invoke", () => {
  test("runs a lambda with its arguments on a worker", async () => {
    assert.equal(await pool.invoke((a: number, b: number) => a * b, 6, 7), 42);
  });

  test("returns rich values (a Map)", async () => {
    const map = await pool.invoke((n: number) => new Map([["n", n], ["twice", n * 2]]), 4);
    assert.ok(map instanceof Map);
    assert.deepEqual([...map], [["n", 4], ["twice", 8]]);
  });

  test("uses the pool's sync and async callbacks", async () => {
    assert.equal(await pool.invoke(async (x: number) => ((await IsolatorHost.invokeAsync("later", x)) as number) + (IsolatorHost.invoke("add", 1, 1) as number), 5), 12);
  });

  test("a guest error rejects with IsolatedError", async () => {
    await assert.rejects(
      pool.invoke(() => {
        throw new TypeError("from the guest");
      }),
      isA(IsolatedError, (e) => {
        assert.equal(e.guestName, "TypeError");
        assert.equal(e.message, "from the guest");
      }),
    );
  });

  test("an endless loop rejects with IsolatedTimeoutError", async () => {
    await assert.rejects(
      pool.invoke(() => {
        for (;;);
      }),
      isA(IsolatedTimeoutError, (e) => assert.equal(e.timeLimit, TIME_LIMIT)),
    );
  });

  test("a lambda that captures a host variable rejects with IsolatedCaptureError", async () => {
    const secret = 7;
    await assert.rejects(
      pool.invoke(() => secret * 2),
      isA(IsolatedCaptureError, (e) => assert.deepEqual(e.identifiers, ["secret"])),
    );
  });
});

describe("stats", () => {
  test("completed, timedOut and cancelled move with the tasks", async () => {
    const before = pool.stats();
    assertSucceeded(await pool.run(`console.log(1);`));
    assert.equal((await pool.run(`for (;;);`, { timeLimit: 50 })).status, "timed_out");
    assert.equal((await pool.run(`console.log(1);`, { signal: AbortSignal.abort() })).status, "cancelled");
    await assert.rejects(
      pool.invoke(() => {
        for (;;);
      }),
      isA(IsolatedTimeoutError),
    );
    const now = pool.stats();
    assert.equal(now.size, 2);
    assert.equal(now.completed - before.completed, 4);
    assert.equal(now.timedOut - before.timedOut, 2);
    assert.equal(now.cancelled - before.cancelled, 1);
    assert.equal(now.crashed - before.crashed, 0);
    assert.equal(now.running, 0);
    assert.equal(now.queued, 0);
  });

  test(
    "a malformed program or invalid option rejects with IsolatorError, as runProgram throws, instead of reporting a crash",
    async () => {
      const crashedBefore = pool.stats().crashed;
      await assert.rejects(pool.run({ files: { "a.ts": "1" }, entry: "b.ts" }), isA(IsolatorError, (e) => assert.match(e.message, /b\.ts/)));
      await assert.rejects(pool.run("1", { timeLimit: -5 }), isA(IsolatorError, (e) => assert.match(e.message, /timeLimit/)));
      assert.equal(pool.stats().crashed, crashedBefore);
    },
  );
});

describe("closing", () => {
  test(
    "close() finishes the work queued and running when it is called",
    async () => {
      // in a child process: an uncaught piscina 'error' here would fail this whole file
      const script = `
        const { IsolatedRuntimePool } = await import(${JSON.stringify(new URL("../src/index.js", import.meta.url).href)});
        const uncaught = [];
        process.on("uncaughtException", (e) => uncaught.push(String(e.message).split("\\n")[0]));
        const sleeper = ${JSON.stringify(SLEEPER)};
        const pool = new IsolatedRuntimePool({ size: 2 });
        await Promise.all([pool.run(sleeper, { args: ["20"] }), pool.run(sleeper, { args: ["20"] })]);
        const tasks = [
          pool.run(sleeper, { args: ["60"] }),
          pool.run(sleeper, { args: ["60"] }),
          pool.run('console.log("queued 1")'),
          pool.run('console.log("queued 2")'),
        ];
        const invoked = pool.invoke((x) => x + 1, 1).catch((e) => e.name + ": " + e.message);
        await pool.close();
        const results = await Promise.all(tasks);
        await new Promise((resolve) => setTimeout(resolve, 50));
        console.log(JSON.stringify({ results: results.map((r) => [r.status, r.output.map((c) => c.text).join("")]), invoked: await invoked, uncaught }));`;
      const outcome = await inChildProcess(script);
      assert.deepEqual({ code: outcome.code, signal: outcome.signal }, { code: 0, signal: null });
      const reported = JSON.parse(outcome.stdout) as { results: [string, string][]; invoked: unknown; uncaught: string[] };
      assert.deepEqual(reported, {
        results: [
          ["succeeded", "slept\n"],
          ["succeeded", "slept\n"],
          ["succeeded", "queued 1\n"],
          ["succeeded", "queued 2\n"],
        ],
        invoked: 2,
        uncaught: [],
      });
    },
  );

  test("after close(), run() and invoke() reject with IsolatedPoolClosedError; closing again is a no-op", async () => {
    await pool.close();
    await assert.rejects(pool.run(`console.log("late");`), isA(IsolatedPoolClosedError));
    await assert.rejects(pool.invoke(() => 1), isA(IsolatedPoolClosedError));
    await pool.close();
    await pool.close({ cancel: true });
  });

  const cancelledByClose: { results: RunResult[]; invokeError: unknown; before: ReturnType<IsolatedRuntimePool["stats"]>; after?: ReturnType<IsolatedRuntimePool["stats"]> } = {
    results: [],
    invokeError: undefined,
    before: undefined as never,
  };

  test("close({ cancel: true }) ends queued and running work at once", async () => {
    await small.run(`0`); // the worker is up
    cancelledByClose.before = small.stats();
    const running = small.run(`IsolatorHost.invoke("mark", "long task started"); for (;;);`, { timeLimit: 5000 });
    const queued = small.run(`IsolatorHost.invoke("mark", "queued behind close ran");`);
    const invoked = small.invoke(() => 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    await until(() => marks.includes("long task started"), "the long task runs");
    await small.close({ cancel: true });
    cancelledByClose.results = await Promise.all([running, queued]);
    cancelledByClose.invokeError = await invoked;
    cancelledByClose.after = small.stats();
    for (const r of cancelledByClose.results) {
      assert.notEqual(r.status, "succeeded");
      assert.equal(r.exitCode, null);
    }
    assert.ok(cancelledByClose.invokeError instanceof IsolatorError, String(cancelledByClose.invokeError));
    assert.ok(!marks.includes("queued behind close ran"));
    await assert.rejects(small.run(`0`), isA(IsolatedPoolClosedError));
  });

  test(
    "close({ cancel: true }) reports the work it ended as cancelled",
    () => {
      assert.deepEqual(cancelledByClose.results.map((r) => r.status), ["cancelled", "cancelled"]);
      assert.equal(cancelledByClose.after!.cancelled - cancelledByClose.before.cancelled, 3);
      assert.equal(cancelledByClose.after!.crashed - cancelledByClose.before.crashed, 0);
    },
  );
});

describe("third review regressions (cancellation, the queue bound, callers' callbacks)", () => {
  test("a close({ cancel: true }) after a close() still cancels, and both end together", async () => {
    const own = new IsolatedRuntimePool({ size: 1 });
    const running = own.run(`for (;;);`, { timeLimit: 10_000 });
    await until(() => own.stats().running === 1, "the task runs");
    const graceful = own.close();
    await own.close({ cancel: true });
    assert.equal((await running).status, "cancelled");
    await graceful;
  });

  test("tasks cancelled while waiting count against maxQueue until a worker has skipped them", async () => {
    await using own = new IsolatedRuntimePool({ size: 1, maxQueue: 2 });
    const long = own.run(SLEEPER, { args: ["300"], timeLimit: 2000 });
    await until(() => own.stats().running === 1, "the long task runs");
    const refused: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      const queued = own.run("1", { signal: controller.signal }).catch((e: unknown) => refused.push(e));
      controller.abort();
      await queued;
    }
    assert.ok(refused.length >= 8 && refused.every((e) => e instanceof IsolatedPoolQueueFullError), `${refused.length} refused`);
    assertSucceeded(await long);
  });

  test("an onOutput or onStart that throws is the caller's problem: the task and the host go on", async () => {
    await using own = new IsolatedRuntimePool({ size: 1 });
    const result = await own.run(`console.log("a"); await null; console.log("b");`, {
      onStart: () => {
        throw new Error("onStart fails");
      },
      onOutput: () => {
        throw new Error("onOutput fails");
      },
    });
    assertSucceeded(result);
    assert.equal(text(result), "a\nb\n");
  });

  test("output written just before a long native operation survives the hard kill", async () => {
    await using own = new IsolatedRuntimePool({ size: 1 });
    const result = await own.run(`console.log("before the stall"); ${NATIVE_HOG}`, { timeLimit: 150 });
    assert.equal(result.status, "timed_out");
    assert.equal(text(result), "before the stall\n");
  });

  test("arguments that cannot be sent to a worker are the caller's error, not a crash", async () => {
    await using own = new IsolatedRuntimePool({ size: 1 });
    await assert.rejects(own.invoke((f: unknown) => typeof f, () => 2), (e: unknown) => e instanceof IsolatorError && /cannot be sent to a worker/.test(e.message));
    assert.equal(own.stats().crashed, 0);
  });
});
