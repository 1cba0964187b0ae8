/**
 * Engine instances are reused across runtimes: nothing of one runtime may reach the next.
 * White-box: these tests hold the sandboxes the host hands out, and read their memory.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { hostInternals, IsolatedRuntimeHost } from "../src/host.js";
import { IsolatedRuntime } from "../src/index.js";
import type { NativeFunctions, Sandbox } from "../src/engine/sandbox.js";
import { ENGINE_STACK_SIZE } from "../src/engine/recycle.js";

const LIMIT = 64 * 1024 * 1024;
const MARKER = "secret-of-the-previous-tenant";
const inert: NativeFunctions = { call: () => undefined, callAsync: () => undefined, console: () => undefined, load: () => undefined };

function holds(sandbox: Sandbox, text: string): boolean {
  return Buffer.from(sandbox.engine.memory.buffer).includes(text, 0, "latin1");
}

describe("instance reuse", () => {
  test("a reused instance holds nothing of the runtime before it: heap, stack and static data are zeroed", () => {
    const internals = new IsolatedRuntimeHost()[hostInternals];
    const first = internals.newSandbox("plain", LIMIT, () => undefined, inert);
    first.rt.setInterruptHandler(() => false); // a raw sandbox has none: the engine's next poll would interrupt
    // Strings, their garbage, parser and regexp work: the previous tenant's data all over its memory.
    first.ctx.unwrapResult(first.ctx.evalCode(`globalThis.kept = "${MARKER}".repeat(50000); for (let i = 0; i < 200; i++) eval("'${MARKER}' + i").match(/t(e)n/);`)).dispose();
    assert.ok(holds(first, MARKER));
    internals.recycle(first.engine, LIMIT);

    const second = internals.newSandbox("plain", LIMIT, () => undefined, inert);
    assert.equal(second.engine, first.engine, "the instance was reused");
    assert.equal(holds(second, MARKER), false);
    assert.equal(second.ctx.getString(second.ctx.unwrapResult(second.ctx.evalCode("typeof globalThis.kept"))), "undefined");
  });

  test("an instance is not reused while a call is under way in it (its stack is not at rest)", () => {
    const internals = new IsolatedRuntimeHost()[hostInternals];
    const recycleNow = () => void internals.recycle(sandbox.engine, LIMIT);
    const sandbox: Sandbox = internals.newSandbox("plain", LIMIT, () => undefined, { ...inert, console: recycleNow });
    sandbox.ctx.unwrapResult(sandbox.ctx.evalCode("console.log('from inside a guest call')")).dispose();
    const next = internals.newSandbox("plain", LIMIT, () => undefined, inert);
    assert.notEqual(next.engine, sandbox.engine);
  });

  test("an instance whose memory cannot be trusted to say what to wipe is not reused", () => {
    const internals = new IsolatedRuntimeHost()[hostInternals];
    const stackBottom = (sandbox: Sandbox) => sandbox.engine.heapStart - ENGINE_STACK_SIZE;
    // Something wrote at the very bottom of the stack (recursion past the engine's depth check would).
    const overrun = internals.newSandbox("plain", LIMIT, () => undefined, inert);
    new Uint8Array(overrun.engine.memory.buffer)[stackBottom(overrun) + 100] = 1;
    internals.recycle(overrun.engine, LIMIT);
    // The word holding the program break was lowered below any template's image.
    const lowered = internals.newSandbox("plain", LIMIT, () => undefined, inert);
    new Uint32Array(lowered.engine.memory.buffer).fill(0, 0, stackBottom(lowered) / 4);
    internals.recycle(lowered.engine, LIMIT);
    const next = internals.newSandbox("plain", LIMIT, () => undefined, inert);
    assert.notEqual(next.engine, overrun.engine);
    assert.notEqual(next.engine, lowered.engine);
  });

  test("runtimes one after another: fresh globals, their own Math.random, and the previous memory's size is no limit", () => {
    const host = new IsolatedRuntimeHost();
    const randoms = new Set<number>();
    for (let i = 0; i < 20; i++) {
      using runtime = new IsolatedRuntime(host, { memoryLimit: 32 * 1024 * 1024 });
      assert.equal(runtime.evaluate("typeof globalThis.previous"), "undefined");
      // Grow the heap a little more each time: the next runtime's wipe must cover a higher break.
      runtime.evaluate(`globalThis.previous = new Array(${(i + 1) * 20_000}).fill(1).map(String); 0`);
      randoms.add(runtime.evaluate("Math.random()") as number);
    }
    assert.equal(randoms.size, 20);
  });
});
