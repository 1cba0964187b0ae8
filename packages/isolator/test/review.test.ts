// Regression tests for the findings of the security review of the boundary (each was a working
// exploit against an earlier build: host crash, amplification, time-limit bypass, leak).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { IsolatedError, IsolatedRuntime, IsolatedRuntimeHost, IsolatedRuntimePool, IsolatedSerializationError, IsolatedTimeoutError, IsolatorError } from "../src/index.js";
import { runProgram } from "../src/program/runner.js";

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

describe("security review regressions", () => {
  test("a guest rewriting the tape through Array.prototype setters cannot expand it on the host", () => {
    using rt = new IsolatedRuntime(host, { timeLimit: 1000 });
    const started = performance.now();
    try {
      rt.evaluate(`
        const tapes = new Set();
        Object.defineProperty(Array.prototype, "1", { configurable: true, set(v) {
          tapes.add(this);
          Object.defineProperty(this, "1", { value: v, writable: true, enumerable: true, configurable: true });
        }});
        let bomb = ["a", 0];
        for (let i = 0; i < 40; i++) bomb = ["a", 2, "0", bomb, "1", bomb];
        ({ y: new Map(), get x() {
          let out; for (const t of tapes) if (t[0] === "o") out = t;
          delete Array.prototype[1];
          if (out) { out.length = 1; out[1] = "bomb"; out[2] = bomb; out[3] = "z"; }
          return 0;
        } })`);
    } catch (e) {
      assert.ok(e instanceof IsolatorError, String(e));
    }
    assert.ok(performance.now() - started < 1000);
    assert.equal(rt.evaluate("1 + 1"), 2);
  });

  test("one large value passed to a callback many times is bounded by maxMessageSize in total", () => {
    using rt = new IsolatedRuntime(host, { memoryLimit: 64 << 20, timeLimit: 5000 });
    rt.registerCallback("count", (...args: unknown[]) => args.length);
    const outcome = rt.evaluate<string>(`
      const big = new Uint8Array(10e6);
      const args = ["count"]; for (let i = 0; i < 20; i++) args.push(big);
      try { IsolatorHost.invoke.apply(null, args); "copied" } catch (e) { e.message }`);
    assert.match(outcome, /maxMessageSize/);
  });

  test("pending async calls cannot pile up host copies; unknown names are refused before copying", async () => {
    using rt = new IsolatedRuntime(host, { timeLimit: 5000 });
    const rejected = await rt.evaluateAsync<number>(`
      const arr = new Array(1e6).fill({}); let failed = 0;
      const calls = []; for (let i = 0; i < 100; i++) calls.push(IsolatorHost.invokeAsync("nope", arr).catch(() => failed++));
      await Promise.all(calls); failed`);
    assert.equal(rejected, 100);
  });

  test("huge BigInts decode in linear time", () => {
    using rt = new IsolatedRuntime(host, { timeLimit: 1000 });
    const started = performance.now();
    const values = rt.evaluate<bigint[]>("{ const big = (1n << 1048574n) - 1n; const a = []; for (let i = 0; i < 8; i++) a.push(big); a }");
    assert.equal(values.length, 8);
    assert.equal(values[0], (1n << 1048574n) - 1n);
    assert.ok(performance.now() - started < 1000);
  });

  test("a loop of costly console calls is stopped by the time limit, and capped output is never read", () => {
    let sinkCalls = 0;
    // Room for one copy of the 30 MB string, so that the limit met is time: copying it may otherwise run out of memory first.
    using rt = new IsolatedRuntime(host, { console: () => void sinkCalls++, maxOutputBytes: 1024, timeLimit: 200, memoryLimit: 256 * 1024 * 1024 });
    const started = performance.now();
    assert.throws(() => rt.evaluate(`const s = "é".repeat(15e6); for (let i = 0; i < 1e9; i++) console.log(s)`), IsolatedTimeoutError);
    assert.ok(sinkCalls <= 1, `the sink was called ${sinkCalls} times`); // 0 when the machine is so loaded that the deadline passes first
    assert.ok(performance.now() - started < 2000);
  });

  test("over-long callback names are refused in the guest", () => {
    using rt = new IsolatedRuntime(host, { timeLimit: 200 });
    assert.match(rt.evaluate<string>(`try { IsolatorHost.invoke("x".repeat(4e6)) } catch (e) { e.message }`), /at most 256 characters/);
    assert.throws(() => rt.evaluate(`const s = "x".repeat(4e6); for (;;) try { IsolatorHost.invoke(s) } catch {}`), IsolatedTimeoutError);
  });

  test("a guest's resizable buffers cannot reserve more host address space than maxMessageSize", () => {
    using rt = new IsolatedRuntime(host);
    assert.throws(
      () => rt.evaluate("const a = []; for (let i = 0; i < 1000; i++) a.push(new ArrayBuffer(1, { maxByteLength: 2 ** 31 - 1 })); a"),
      (e: unknown) => e instanceof IsolatedSerializationError && /maxByteLength add up to more than maxMessageSize/.test(e.message),
    );
    const kept = rt.evaluate<(ArrayBuffer & { maxByteLength: number })[]>("[new ArrayBuffer(1, { maxByteLength: 1024 })]");
    assert.equal(kept[0]!.maxByteLength, 1024);
  });

  test("a callback result whose getter throws is redacted, and does not fault the runtime", async () => {
    using rt = new IsolatedRuntime(host);
    rt.registerCallback("getRow", () => ({
      id: 1,
      get secret(): string {
        throw new Error("ECONNREFUSED postgres://admin:pw@10.0.0.5/db");
      },
    }));
    const sync = rt.evaluate<string>(`try { IsolatorHost.invoke("getRow") } catch (e) { e.message }`);
    assert.equal(sync, "host callback 'getRow' failed");
    const async = await rt.evaluateAsync<string>(`let m; try { await IsolatorHost.invokeAsync("getRow") } catch (e) { m = e.message } m`);
    assert.equal(async, "host callback 'getRow' failed");
    assert.equal(rt.evaluate("1 + 1"), 2);
  });

  test("the guest has no resizable-buffer or shared-memory primitives, and no host path in its memory", () => {
    using rt = new IsolatedRuntime(host);
    assert.deepEqual(
      rt.evaluate(`[typeof ArrayBuffer.prototype.resize, typeof ArrayBuffer.prototype.transfer, typeof SharedArrayBuffer, typeof Atomics]`),
      ["undefined", "undefined", "undefined", "undefined"],
    );
  });

  test("an error named like an Object.prototype member still arrives as an Error", () => {
    using rt = new IsolatedRuntime(host);
    const value = rt.evaluate<{ e: Error }>(`const e = new Error("hello"); e.name = "constructor"; ({ e, m: new Map() })`);
    assert.ok(value.e instanceof Error);
    assert.equal(value.e.name, "constructor");
    assert.equal(value.e.message, "hello");
    assert.throws(() => rt.evaluate(`const e2 = new Error("boom"); e2.name = "constructor"; throw e2`), (e: unknown) => e instanceof IsolatedError && e.cause instanceof Error);
  });

  test("a serialization budget error names the limit", () => {
    using rt = new IsolatedRuntime(host, { maxMessageSize: 1000 });
    assert.throws(() => rt.evaluate("'x'.repeat(5000)"), IsolatedSerializationError);
  });
});

describe("second security review regressions (instance reuse, rejection tracking)", () => {
  test("stackLimit stops short of the engine's own 5 MiB stack: recursion can never run past its end", async () => {
    assert.throws(() => new IsolatedRuntime(host, { stackLimit: 5_300_000 }), (e: unknown) => e instanceof IsolatorError && /at most 4194304/.test(e.message));
    await assert.rejects(runProgram(host, "1", { stackLimit: 5_300_000 }), /at most 4194304/);
    await using pool = new IsolatedRuntimePool({ size: 1 });
    await assert.rejects(pool.run("1", { stackLimit: 5_300_000 }), /at most 4194304/);
    // At the largest stackLimit, deep recursion with big frames ends in a catchable guest error,
    // and the next runtime on the reused instance holds nothing of it.
    const frames = Array.from({ length: 2000 }, (_, i) => `v${i}`).join(",");
    using deep = new IsolatedRuntime(host, { stackLimit: 4 * 1024 * 1024, memoryLimit: 32 * 1024 * 1024 });
    deep.evaluate(`globalThis.kept = "deep-secret-".repeat(100000); 0`);
    assert.match(String(deep.evaluate(`function f(n) { let ${frames}; return f(n + 1); } let e; try { f(0) } catch (x) { e = String(x) } e`)), /stack overflow/);
    assert.equal(deep.evaluate("1 + 1"), 2);
  });

  test("a program template made after a runtime was disposed boots on a fresh instance", async () => {
    using fresh = new IsolatedRuntimeHost();
    new IsolatedRuntime(fresh).dispose(); // leaves a spare instance with the template boot's memory size
    const result = await runProgram(fresh, "console.log('booted')");
    assert.equal(result.status, "succeeded");
  });

  test("promises rejected and then handled, in a loop, are not kept: memory stays flat", async () => {
    const source = `const pad = "x".repeat(4000); async function fail(i) { throw new Error(pad + i); }
      let n = 0; for (let i = 0; i < 20000; i++) { try { await fail(i); } catch { n++; } } console.log(n);`;
    const result = await runProgram(host, source, { timeLimit: 10_000, memoryLimit: 32 * 1024 * 1024 });
    assert.equal(result.status, "succeeded", JSON.stringify(result.error));
    assert.ok(result.stats.memoryPeakBytes < 16 * 1024 * 1024, `${result.stats.memoryPeakBytes} bytes`);
  });

  test("a runtime's memory usage is its own, not what a reused instance held before", async () => {
    using fresh = new IsolatedRuntimeHost();
    const first = await runProgram(fresh, "console.log(1)");
    await runProgram(fresh, "globalThis.big = new Uint8Array(12 * 1024 * 1024); console.log(big.length)");
    const after = await runProgram(fresh, "console.log(1)");
    assert.equal(after.stats.memoryPeakBytes, first.stats.memoryPeakBytes);
  });
});

