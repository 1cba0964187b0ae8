/**
 * Restart durability with real processes: the real CLI (`isolator serve`) is SIGKILLed mid-run and
 * started again on the same data directory. Every accepted run must still exist, finished runs keep
 * their results, queued runs proceed, interrupted runs are retried once, then end as internal_error.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { Api, freshDir, sleep, ticker, tickerOutput, type Accepted, type RunView } from "./helpers.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

const children = new Set<ChildProcess>();
/** The run that waited for the worker behind the twice-interrupted one, as it ended. */
let waitingBehind: RunView | undefined;
const dirs: string[] = [];

after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  api: Api;
  /** What it wrote to stderr (for failure messages). */
  stderr(): string;
}

/** Starts `isolator serve` on a free port and the given data directory; resolves with its URL. */
async function serve(dataDir: string): Promise<Served> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--data", dataDir, "--log-level", "warn", "--workers", "1", "--rate-limit", "100000"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: the checker threads warm up (load TypeScript, parse the libs) before the server listens, 8-10 s on a loaded machine.
    const timer = setTimeout(() => reject(new Error(`no 'serving on' line in 60 s; stdout: ${stdout}; stderr: ${stderr}`)), 60_000);
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      const m = /isolator: serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before serving; stderr: ${stderr}`));
    });
  });
  return { child, api: new Api(url), stderr: () => stderr };
}

async function kill(served: Served): Promise<void> {
  const exited = once(served.child, "exit");
  served.child.kill("SIGKILL");
  const [code, signal] = (await exited) as [number | null, string | null];
  assert.equal(signal, "SIGKILL", `exit ${code}; stderr: ${served.stderr()}`);
}

/** A graceful stop (SIGTERM), or SIGKILL if it takes more than 10 s. */
async function stop(served: Served): Promise<void> {
  const exited = once(served.child, "exit");
  served.child.kill("SIGTERM");
  const timer = setTimeout(() => served.child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

const quick = (i: number) => ({ source: `console.log("quick " + process.argv[2]);\n`, args: [String(i)], typecheck: false });
const queued = (i: number) => ({ source: `console.log("queued " + process.argv[2]);\n`, args: [String(i)], typecheck: false });
/** Prints a tick every 100 ms for about 3 s. */
const long = { source: ticker(30, 100), typecheck: false, limits: { timeMs: 10_000 } };

describe("durability across SIGKILL", () => {
  it("keeps every accepted run: finished ones keep results, interrupted ones are retried, queued ones proceed", async () => {
    const dataDir = freshDir("isolator-durability-");
    dirs.push(dataDir);
    const first = await serve(dataDir);

    // Finished before the crash.
    const finished: RunView[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await first.api.submit(quick(i), "?wait=10");
      assert.equal(res.status, 200, JSON.stringify(res.body));
      finished.push(res.body as RunView);
      assert.equal(finished[i]!.status, "succeeded");
      assert.equal(finished[i]!.stdout, `quick ${i}\n`);
    }
    const compileError = (await first.api.submit({ source: `const n: number = "x";\n` }, "?wait=10")).body as RunView;
    assert.equal(compileError.status, "compile_error");

    // One worker, so two runs active (poolSize * 2): the long one runs, the second waits in the
    // pool (status running), the rest wait in the queue.
    const longId = await first.api.accepted(long);
    const behindId = await first.api.accepted({ source: `console.log("behind");\n`, typecheck: false });
    const queuedIds: string[] = [];
    for (let i = 0; i < 3; i++) queuedIds.push(await first.api.accepted(queued(i)));

    await first.api.until(longId, (r) => r.status === "running" && r.stdout.includes("tick 3\n"));
    for (const id of queuedIds) assert.equal(((await first.api.get(id)).body as RunView).status, "queued");
    await kill(first);

    const second = await serve(dataDir);
    const api = second.api;
    try {
      // Every accepted run still exists.
      for (const id of [...finished.map((r) => r.id), compileError.id, longId, behindId, ...queuedIds]) {
        const res = await api.get(id);
        assert.equal(res.status, 200, `${id}: ${JSON.stringify(res.body)}`);
      }
      // Finished runs keep their results, untouched.
      for (const [i, before] of finished.entries()) {
        const run = (await api.get(before.id)).body as RunView;
        assert.equal(run.status, "succeeded");
        assert.equal(run.stdout, `quick ${i}\n`);
        assert.equal(run.attempts, 1);
        assert.equal(run.exitCode, 0);
        assert.equal(run.finishedAt, before.finishedAt);
        assert.deepEqual(run.output, before.output);
      }
      const ce = (await api.get(compileError.id)).body as RunView;
      assert.equal(ce.status, "compile_error");
      assert.deepEqual(ce.diagnostics, compileError.diagnostics);

      // The interrupted runs were retried once, and finished this time.
      const longRun = await api.terminal(longId);
      assert.equal(longRun.status, "succeeded", JSON.stringify(longRun).slice(0, 600));
      assert.equal(longRun.attempts, 2);
      assert.ok(longRun.stdout.endsWith(tickerOutput(30)), longRun.stdout);
      const behind = await api.terminal(behindId);
      assert.equal(behind.status, "succeeded");
      assert.ok(behind.attempts === 1 || behind.attempts === 2, String(behind.attempts));
      assert.equal(behind.stdout, "behind\n");

      // The queued runs proceeded, once each.
      for (const [i, id] of queuedIds.entries()) {
        const run = await api.terminal(id);
        assert.equal(run.status, "succeeded");
        assert.equal(run.stdout, `queued ${i}\n`);
        assert.equal(run.attempts, 1);
      }

      // And the restarted server takes new runs.
      const fresh = (await api.submit(quick(9), "?wait=10")).body as RunView;
      assert.equal(fresh.stdout, "quick 9\n");
    } finally {
      await stop(second);
    }
  });

  it(
    "shows a retried run's output of the attempt that finished, not both attempts'",
    async () => {
      const dataDir = freshDir("isolator-durability-");
      dirs.push(dataDir);
      const first = await serve(dataDir);
      const id = await first.api.accepted({ source: ticker(8, 50), typecheck: false, limits: { timeMs: 10_000 } });
      await first.api.until(id, (r) => r.status === "running" && r.stdout.includes("tick 2\n"));
      await kill(first);
      const second = await serve(dataDir);
      try {
        const run = await second.api.terminal(id);
        assert.equal(run.attempts, 2);
        assert.equal(run.status, "succeeded");
        assert.equal(run.stdout, tickerOutput(8));
      } finally {
        await stop(second);
      }
    },
  );

  it("ends a run interrupted twice as internal_error, with the reason", async () => {
    const dataDir = freshDir("isolator-durability-");
    dirs.push(dataDir);
    const first = await serve(dataDir);
    const id = await first.api.accepted(long);
    // With one worker this one waits for it inside the pool: it never starts before the crashes.
    const behindId = await first.api.accepted({ source: `console.log("waiting");\n`, typecheck: false });
    await first.api.until(id, (r) => r.status === "running" && r.stdout.includes("tick 1\n"));
    await kill(first);

    const second = await serve(dataDir);
    const retried = await second.api.until(id, (r) => r.attempts === 2 && r.status === "running");
    assert.equal(retried.attempts, 2);
    await sleep(300); // mid-way through its second attempt
    assert.equal(((await second.api.get(id)).body as RunView).status, "running");
    await kill(second);

    const third = await serve(dataDir);
    try {
      const run = (await third.api.get(id)).body as RunView;
      assert.equal(run.status, "internal_error", JSON.stringify(run).slice(0, 600));
      assert.equal(run.attempts, 2);
      assert.ok(run.finishedAt, "no finishedAt");
      assert.ok(run.error, "no error");
      assert.ok(run.error.message.length > 0);
      assert.match(run.error.message, /stopped|interrupted|restart/i, run.error.message);
      // It stays that way: not retried a third time.
      await sleep(200);
      const later = (await third.api.get(id)).body as RunView;
      assert.equal(later.status, "internal_error");
      assert.equal(later.attempts, 2);
      // The run that waited behind it is not lost either: it ends.
      waitingBehind = await third.api.terminal(behindId);
      // An event stream of the failed run ends with the failed run.
      const res = await fetch(`${third.api.url}/api/runs/${id}/events`, { signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      assert.match(text, /event: run\ndata: .*"status":"internal_error"/);
      // And new runs still work.
      const fresh = await third.api.submit(quick(1), "?wait=10");
      assert.equal(fresh.status, 200);
      assert.equal((fresh.body as Accepted & RunView).stdout, "quick 1\n");
    } finally {
      await stop(third);
    }
  });

  it(
    "runs a run that only waited for a worker when the server died, rather than failing it",
    () => {
      assert.ok(waitingBehind, "the scenario above did not get that far");
      assert.equal(waitingBehind.status, "succeeded", JSON.stringify(waitingBehind).slice(0, 400));
      assert.equal(waitingBehind.stdout, "waiting\n");
    },
  );
});
