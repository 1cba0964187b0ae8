/**
 * Copying values is bounded by what they hold, not by the lengths they claim: a guest (or a caller)
 * choosing a huge array length, or holes, cannot stall the host thread past the call's time limit.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { IsolatedError, IsolatedRuntime, IsolatedRuntimeHost, IsolatedSerializationError, IsolatedTimeoutError } from "../src/index.js";

declare const IsolatorHost: { invoke(n: string, ...a: unknown[]): unknown };

const TIME_LIMIT = 1000;
/** Far below the minutes these took before, far above any honest run on a loaded machine. */
const BOUND_MS = 15 * TIME_LIMIT;

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

function timed<T>(body: () => T): T {
  const start = performance.now();
  try {
    return body();
  } finally {
    const elapsed = performance.now() - start;
    assert.ok(elapsed < BOUND_MS, `the call took ${Math.round(elapsed)} ms`);
  }
}

describe("a guest value cannot stall the host while copying", () => {
  test("an array claiming 2^32-1 elements with one present arrives sparse, as fast as its content allows", () => {
    using rt = new IsolatedRuntime(host, { timeLimit: TIME_LIMIT });
    const fast = timed(() => rt.evaluate<unknown[]>("const fast = [1]; fast.length = 2 ** 32 - 1; fast"));
    assert.equal(fast.length, 2 ** 32 - 1);
    assert.equal(fast[0], 1);
    assert.ok(!(1 in fast));
    const slow = timed(() => rt.evaluate<{ deep: unknown[][] }>("const slow = []; slow[2 ** 32 - 2] = 'last'; ({ deep: [slow, [1, 2]] })"));
    assert.equal(slow.deep[0]!.length, 2 ** 32 - 1);
    assert.equal(slow.deep[0]![2 ** 32 - 2], "last");
    assert.deepEqual(slow.deep[1], [1, 2]);
    // Many long arrays: the copy ends, or the time limit ends it.
    timed(() => {
      try {
        rt.evaluate("const many = []; for (let i = 0; i < 2e4; i++) { const a = [i]; a.length = 2 ** 31; many.push(a); } many");
      } catch (e) {
        assert.ok(e instanceof IsolatedTimeoutError || e instanceof IsolatedSerializationError, String(e));
      }
    });
    assert.equal(rt.evaluate("1 + 1"), 2);
  });

  test("a long sparse array elsewhere in the guest's heap does not slow or break other values", () => {
    using rt = new IsolatedRuntime(host, { timeLimit: TIME_LIMIT });
    rt.evaluate("globalThis.kept = [1]; kept.length = 2 ** 32 - 1; undefined");
    assert.deepEqual(
      timed(() => rt.evaluate("({ list: [1, 2, 3], nested: { s: 'x' } })")),
      { list: [1, 2, 3], nested: { s: "x" } },
    );
    assert.throws(
      () => timed(() => rt.evaluate("throw Object.assign(new RangeError('with data'), { data: kept })")),
      (e: unknown) => e instanceof IsolatedError && e.guestName === "RangeError" && (e.cause as { data: unknown[] }).data.length === 2 ** 32 - 1,
    );
  });

  test("callback arguments and values passed in by the caller are bounded the same way", () => {
    using rt = new IsolatedRuntime(host, { timeLimit: TIME_LIMIT });
    let received: unknown[] | undefined;
    rt.registerCallback("take", (a: unknown[]) => {
      received = a;
      return a.length;
    });
    assert.equal(
      timed(() => rt.invoke(() => {
        const a = ["first"];
        a.length = 2 ** 32 - 1;
        return IsolatorHost.invoke("take", a);
      })),
      2 ** 32 - 1,
    );
    assert.equal(received?.[0], "first");
    const sparse: unknown[] = [1];
    sparse.length = 2 ** 32 - 1;
    const back = timed(() => rt.invoke((a: unknown[]) => [a.length, a], sparse));
    assert.equal(back[0], 2 ** 32 - 1);
    assert.equal((back[1] as unknown[]).length, 2 ** 32 - 1);
  });
});
