/**
 * Hostile guests: each case checks the host survives, the error has the right type, and a
 * bystander runtime on the same host still answers.
 */
import { after, afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { isA } from "./helpers.js";
import { types } from "node:util";
import {
  IsolatedCaptureError,
  IsolatedError,
  IsolatedMemoryError,
  IsolatedRuntime,
  IsolatedRuntimeDisposedError,
  IsolatedRuntimeFaultedError,
  IsolatedRuntimeHost,
  IsolatedTimeoutError,
  IsolatorError,
  type ConsoleEntry,
} from "../src/index.js";

declare const IsolatorHost: { invoke(n: string, ...a: unknown[]): unknown; invokeAsync(n: string, ...a: unknown[]): Promise<unknown> };
// guest globals the lambdas below read
declare const helper: number;
declare const helper2: number;
declare const std: unknown;
declare const os: unknown;

const TIME_LIMIT = 250;
const host = new IsolatedRuntimeHost();
const bystander = new IsolatedRuntime(host, { timeLimit: 1000 });
bystander.evaluate("globalThis.bystanderState = 'intact'");
after(() => host.dispose());

/** The host survives and another runtime on the same host is unaffected. */
function assertBystanderFine(): void {
  assert.equal(bystander.invoke(() => 1 + 1), 2);
  assert.equal(bystander.evaluate("bystanderState"), "intact");
}
afterEach(() => assertBystanderFine());

const newRuntime = (options: ConstructorParameters<typeof IsolatedRuntime>[1] = {}) =>
  new IsolatedRuntime(host, { timeLimit: TIME_LIMIT, console: "ignore", ...options });

describe("resource exhaustion", () => {
  test("an infinite synchronous loop times out", () => {
    using rt = newRuntime();
    const started = performance.now();
    assert.throws(
      () => rt.invoke(() => {
        for (;;);
      }),
      isA(IsolatedTimeoutError, (e) => assert.equal(e.timeLimit, TIME_LIMIT)),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= TIME_LIMIT - 5 && elapsed < TIME_LIMIT + 1500, `elapsed ${elapsed} ms`);
    // the interrupted runtime is still usable
    assert.equal(rt.invoke(() => 3), 3);
  });

  test("an infinite loop in evaluate times out", () => {
    using rt = newRuntime();
    assert.throws(() => rt.evaluate("while (true) {}"), isA(IsolatedTimeoutError));
  });

  test("an infinite async loop (microtasks only) times out under invokeAsync", async () => {
    using rt = newRuntime();
    const started = performance.now();
    await assert.rejects(
      rt.invokeAsync(async () => {
        for (;;) await null;
      }),
      isA(IsolatedTimeoutError, (e) => assert.equal(e.timeLimit, TIME_LIMIT)),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= TIME_LIMIT - 5 && elapsed < TIME_LIMIT + 1500, `elapsed ${elapsed} ms`);
    assert.equal(rt.invoke(() => 3), 3);
    assert.equal(await rt.invokeAsync(async () => 4), 4);
  });

  test("an infinite async loop times out under evaluateAsync", async () => {
    using rt = newRuntime();
    const started = performance.now();
    await assert.rejects(rt.evaluateAsync("for (;;) await null"), isA(IsolatedTimeoutError, (e) => assert.equal(e.timeLimit, TIME_LIMIT)));
    assert.ok(performance.now() - started < TIME_LIMIT + 1500);
    assert.equal(rt.invoke(() => 3), 3);
  });

  test("an infinite async loop is always reported as IsolatedTimeoutError, wherever the interrupt lands", async () => {
    // the interrupt may land in a promise job whose exception the engine swallows, leaving the
    // promise pending: that must still read as a timeout, not as "can never settle"
    const names: string[] = [];
    for (let i = 0; i < 10; i++) {
      using rt = newRuntime({ timeLimit: 40 });
      try {
        if (i % 2) await rt.evaluateAsync("for (;;) await null");
        else
          await rt.invokeAsync(async () => {
            for (;;) await null;
          });
        names.push("resolved");
      } catch (e) {
        names.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      }
    }
    assert.deepEqual(names, Array(10).fill("IsolatedTimeoutError: the call exceeded its time limit of 40 ms"));
  });

  test("a never-ending setInterval times out", async () => {
    using rt = newRuntime();
    await assert.rejects(
      rt.invokeAsync(() => new Promise(() => setInterval(() => undefined, 1))),
      isA(IsolatedTimeoutError),
    );
  });

  test("a memory bomb hits the memory limit", () => {
    const memoryLimit = 32 * 1024 * 1024;
    using rt = newRuntime({ memoryLimit, timeLimit: 5000 });
    assert.throws(
      () =>
        rt.invoke(() => {
          const hoard: number[][] = [];
          for (;;) hoard.push(new Array(100_000).fill(1.5));
        }),
      isA(IsolatedMemoryError, (e) => assert.equal(e.memoryLimit, memoryLimit)),
    );
    assert.ok(rt.memoryUsage <= memoryLimit, `memoryUsage ${rt.memoryUsage}`);
    // afterwards the runtime either still works or refuses clearly
    try {
      assert.equal(rt.invoke(() => 1), 1);
    } catch (e) {
      assert.ok(e instanceof IsolatorError);
    }
  });

  test("deep recursion is a catchable guest error", () => {
    using rt = newRuntime();
    const result = rt.invoke(() => {
      function f(n: number): number {
        return f(n + 1);
      }
      try {
        f(0);
      } catch {
        return "caught";
      }
      return "not caught";
    });
    assert.equal(result, "caught");
    assert.throws(
      () =>
        rt.invoke(() => {
          function g(n: number): number {
            return g(n + 1);
          }
          return g(0);
        }),
      isA(IsolatedError, (e) => assert.match(e.message, /stack/)),
    );
    assert.equal(rt.invoke(() => 2), 2);
  });

  test("an argument too large for the runtime's memory is an IsolatedMemoryError, not a fault", () => {
    const memoryLimit = 32 * 1024 * 1024;
    using rt = newRuntime({ memoryLimit, maxMessageSize: 128 * 1024 * 1024, timeLimit: 5000 });
    assert.throws(() => rt.invoke((s: string) => s.length, "x".repeat(40 * 1024 * 1024)), isA(IsolatedMemoryError));
    assert.equal(rt.invoke(() => 1), 1);
  });

  test("returning a huge sparse array is bounded by the time limit", { todo: "residual risk, documented in docs/security.md: the engine's native encoder walks a sparse array index by index in C, where no interrupt is polled (like any long native operation); the worker-thread pool's hard kill bounds it" }, () => {
    using rt = newRuntime({ timeLimit: 100 });
    const started = performance.now();
    try {
      const r = rt.invoke(() => {
        const a: unknown[] = [];
        a.length = 5e7;
        a[5] = 1;
        return a;
      }) as unknown[];
      assert.equal(r.length, 5e7);
      assert.equal(r[5], 1);
    } catch (e) {
      assert.ok(e instanceof IsolatorError, String(e));
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 100 + 300, `the host was blocked for ${Math.round(elapsed)} ms`);
  });

  for (const [label, source] of [
    ["(", "(".repeat(100_000)],
    ["[", "[".repeat(100_000)],
  ] as const) {
    test(`deeply nested source ${label}.repeat(1e5) fails cleanly`, () => {
      const rt = newRuntime();
      assert.throws(
        () => rt.evaluate(source),
        (e: unknown) => {
          assert.ok(
            e instanceof IsolatedRuntimeFaultedError || (e instanceof IsolatedError && /stack|syntax|expect/i.test(`${e.guestName} ${e.message}`)),
            `unexpected ${String(e)}`,
          );
          return true;
        },
      );
      // a faulted runtime refuses further calls clearly; a healthy one still answers
      try {
        assert.equal(rt.invoke(() => 1), 1);
      } catch (e) {
        assert.ok(e instanceof IsolatedRuntimeFaultedError, String(e));
      }
      assert.doesNotThrow(() => rt.dispose());
      assert.equal(rt.disposed, true);
      using fresh = newRuntime();
      assert.equal(fresh.invoke(() => 1 + 1), 2);
    });
  }
});

describe("hostile return values", () => {
  test("a throwing getter on a returned object becomes an IsolatedError", () => {
    using rt = newRuntime();
    assert.throws(
      () =>
        rt.invoke(() => ({
          get x() {
            throw new Error("g");
          },
        })),
      isA(IsolatedError, (e) => assert.equal(e.message, "g")),
    );
    assert.equal(rt.invoke(() => 1), 1);
  });

  test("a Proxy returned from the guest runs its traps inside the guest and arrives as a plain copy or a clear error", () => {
    using rt = newRuntime();
    const r = rt.invoke(
      () =>
        new Proxy(
          { a: 1 },
          {
            get: (_t, k) => (k === "a" ? 42 : k === "b" ? "bee" : undefined),
            ownKeys: () => ["a", "b"],
            getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true, writable: true }),
          },
        ),
    ) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.ok(!types.isProxy(r));
    assert.equal(r.a, 42);
    assert.equal(r.b, "bee");

    assert.throws(
      () => rt.invoke(() => new Proxy({}, { ownKeys: () => { throw new Error("trap"); } })),
      isA(IsolatedError, (e) => assert.equal(e.message, "trap")),
    );
    for (const make of [
      () => new Proxy([1, 2], {}),
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
      () => new Proxy(new Map(), {}),
      () => new Proxy(function () {}, {}),
    ]) {
      try {
        rt.invoke(make);
      } catch (e) {
        assert.ok(e instanceof IsolatorError, String(e));
      }
    }
    assert.equal(rt.invoke(() => 1), 1);
  });

  test("prototype-pollution keys from the guest do not pollute the host", () => {
    using rt = newRuntime();
    const r = rt.invoke(() => JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted2":1}}}')) as Record<string, unknown>;
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted2?: unknown }).polluted2, undefined);
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.ok(Object.hasOwn(r, "__proto__"));
    const viaTape = rt.invoke(() => [new Map([["k", JSON.parse('{"__proto__":{"polluted":1}}')]])]) as Map<string, object>[];
    assert.equal(Object.getPrototypeOf(viaTape[0]!.get("k")), Object.prototype);
    const viaError = rt.invoke(() => Object.assign(new Error("e"), JSON.parse('{"__proto__":{"polluted":1}}'))) as Error;
    assert.ok(viaError instanceof Error);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal((Error.prototype as { polluted?: unknown }).polluted, undefined);
  });
});

describe("hijacked guest intrinsics", () => {
  const HIJACK = `
    Promise = null;
    Object.prototype.then = function (resolve) { resolve("hijacked then"); };
    JSON.parse = () => { throw new Error("hijacked JSON.parse"); };
    JSON.stringify = () => { throw new Error("hijacked JSON.stringify"); };
    Object.keys = () => { throw new Error("hijacked Object.keys"); };
    Object.defineProperty = () => { throw new Error("hijacked Object.defineProperty"); };
    Array.prototype.push = function () { throw new Error("hijacked push"); };
    Array.isArray = () => false;
    Map.prototype.set = function () { throw new Error("hijacked Map.prototype.set"); };
    Map.prototype.get = function () { throw new Error("hijacked Map.prototype.get"); };
    Map.prototype.forEach = function () { throw new Error("hijacked Map.prototype.forEach"); };
    Set.prototype.add = function () { throw new Error("hijacked Set.prototype.add"); };
    Function.prototype.call = function () { throw new Error("hijacked call"); };
    Error = function () { throw new Error("hijacked Error"); };
    TypeError = null;
    "done"`;

  test("invoke still copies Maps, Errors and plain values correctly after the guest hijacks built-ins", () => {
    using rt = newRuntime();
    assert.equal(rt.evaluate(HIJACK), "done");
    // eslint-disable-next-line no-sparse-arrays
    const m = new Map<unknown, unknown>([[1, { a: [1, , 2] }], ["s", new Set([1])]]);
    assert.deepStrictEqual(rt.invoke((v: unknown) => v, m), m);
    const e = rt.invoke((v: unknown) => v, new TypeError("x", { cause: 1 })) as TypeError;
    assert.ok(e instanceof TypeError);
    assert.equal(e.message, "x");
    assert.equal(e.cause, 1);
    assert.deepStrictEqual(rt.invoke((v: unknown) => v, { a: 1, b: [1, 2] }), { a: 1, b: [1, 2] });
    assert.deepStrictEqual(rt.invoke(() => new Map()), new Map());
    // guest-thrown errors are still described
    assert.throws(
      () =>
        rt.invoke(() => {
          throw new RangeError("boom");
        }),
      isA(IsolatedError, (err) => {
        assert.equal(err.guestName, "RangeError");
        assert.equal(err.message, "boom");
      }),
    );
  });

  test("invokeAsync still works (and never adopts a non-promise result's then) after the guest hijacks built-ins", async () => {
    using rt = newRuntime();
    rt.evaluate(HIJACK);
    const m = new Map([[1, 2]]);
    // a non-promise result is the value itself: Object.prototype.then is not called
    assert.deepStrictEqual(await rt.invokeAsync((v: unknown) => v, m), m);
    assert.equal(
      await rt.invokeAsync(async (v: Map<number, number>) => {
        await null;
        return v.size;
      }, m),
      1,
    );
    await assert.rejects(
      rt.invokeAsync(async () => {
        throw new RangeError("async boom");
      }),
      isA(IsolatedError, (err) => assert.equal(err.message, "async boom")),
    );
    assert.equal(rt.evaluate("'still ok'"), "still ok");
  });

  test("evaluateAsync's completion value survives a hijacked Object.prototype.then", { todo: "known limitation, documented in docs/api.md: QuickJS resolves the async script's { value } completion through ordinary promise resolution, so a guest that installs Object.prototype.then corrupts only its own result" }, async () => {
    using rt = newRuntime();
    rt.evaluate(`Object.prototype.then = function (resolve) { resolve("hijacked then"); }; 1`);
    assert.equal(await rt.evaluateAsync("await 1; 'ok'"), "ok");
  });

  test("guest errors are still copied out when Function.prototype.apply is hijacked", () => {
    using rt = newRuntime({ timeLimit: 5000 });
    rt.evaluate(`Function.prototype.apply = function () { throw new Error("hijacked apply"); }; 1`);
    const started = performance.now();
    assert.throws(
      () =>
        rt.invoke(() => {
          throw new RangeError("boom", { cause: 7 });
        }),
      isA(IsolatedError, (e) => {
        assert.equal(e.message, "boom");
        assert.equal((e.cause as Error).cause, 7);
      }),
    );
    assert.deepStrictEqual(rt.invoke(() => new Map([[1, 2]])), new Map([[1, 2]]));
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
  });

  test("Map/Set/Error copies survive a hijacked Array.prototype[Symbol.iterator]", () => {
    using rt = newRuntime({ timeLimit: 5000 });
    rt.evaluate(`Array.prototype[Symbol.iterator] = function () { throw new Error("hijacked iterator"); }; 1`);
    assert.deepStrictEqual(rt.invoke((v: unknown) => v, new Map([[1, 2]])), new Map([[1, 2]]));
  });

  test("timers and console.count keep working after the guest hijacks Map.prototype.set", async () => {
    using rt = newRuntime();
    rt.evaluate(`Map.prototype.set = function () { throw new Error("hijacked Map.prototype.set"); }; 1`);
    assert.equal(await rt.invokeAsync(() => new Promise((resolve) => setTimeout(() => resolve("fired"), 1))), "fired");
    assert.equal(rt.invoke(() => (console.count("n"), 1)), 1);
  });
});

describe("console flooding", () => {
  test("huge console output is bounded by maxOutputBytes with a single truncation marker", () => {
    const entries: ConsoleEntry[] = [];
    using rt = newRuntime({ console: (entry) => entries.push(entry), maxOutputBytes: 1000, timeLimit: 5000 });
    rt.invoke(() => {
      for (let i = 0; i < 3000; i++) console.log(`line ${i} ${"x".repeat(50)}`);
      console.error("y".repeat(100_000));
    });
    const total = entries.reduce((n, e) => n + Buffer.byteLength(e.text), 0);
    const markers = entries.filter((e) => /truncated/.test(e.text));
    assert.equal(markers.length, 1);
    assert.equal(entries.at(-1), markers[0], "the marker is the last entry");
    assert.ok(total <= 1000 + 100, `total ${total} bytes`);
    assert.ok(entries.length < 30, `${entries.length} entries`);

    // a single oversized entry is cut too
    entries.length = 0;
    rt.invoke(() => console.log("z".repeat(50_000)));
    assert.equal(entries.length, 1);
    assert.ok(Buffer.byteLength(entries[0]!.text) <= 1100);
    assert.match(entries[0]!.text, /truncated/);
  });
});

describe("host callbacks", () => {
  test("a throwing host callback reaches the guest as a redacted error", async () => {
    using rt = newRuntime();
    rt.registerCallback("boom", () => {
      throw new Error("secret host detail");
    });
    rt.registerCallback("asyncBoom", async () => {
      throw new Error("secret async detail");
    });
    const seen = rt.invoke(() => {
      try {
        IsolatorHost.invoke("boom");
        return "no error";
      } catch (e) {
        return { isError: e instanceof Error, name: (e as Error).name, message: (e as Error).message, stack: String((e as Error).stack) };
      }
    }) as { isError: boolean; name: string; message: string; stack: string };
    assert.deepEqual({ isError: seen.isError, name: seen.name, message: seen.message }, { isError: true, name: "Error", message: "host callback 'boom' failed" });
    assert.ok(!seen.stack.includes("secret"));
    assert.ok(!seen.stack.includes("file://") && !seen.stack.includes(".test."), seen.stack);

    assert.throws(
      () => rt.invoke(() => IsolatorHost.invoke("boom")),
      isA(IsolatedError, (e) => {
        assert.equal(e.message, "host callback 'boom' failed");
        assert.ok(!e.guestStack.includes("secret"));
      }),
    );

    const asyncSeen = await rt.invokeAsync(async () => {
      try {
        await IsolatorHost.invokeAsync("asyncBoom");
        return "no error";
      } catch (e) {
        return (e as Error).message + "|" + String((e as Error).stack);
      }
    });
    assert.match(String(asyncSeen), /^host callback 'asyncBoom' failed\|/);
    assert.ok(!String(asyncSeen).includes("secret"));
  });

  test("exposeHostErrors: true shows the host message (never its stack)", async () => {
    using rt = newRuntime({ exposeHostErrors: true });
    rt.registerCallback("boom", () => {
      throw new Error("visible detail");
    });
    rt.registerCallback("asyncBoom", async () => {
      throw new Error("visible async detail");
    });
    const [message, stack] = rt.invoke(() => {
      try {
        IsolatorHost.invoke("boom");
        return ["no error", ""];
      } catch (e) {
        return [(e as Error).message, String((e as Error).stack)];
      }
    }) as [string, string];
    assert.equal(message, "host callback 'boom' failed: visible detail");
    assert.ok(!stack.includes("file://") && !stack.includes(".test."), stack);
    const asyncMessage = await rt.invokeAsync(async () => {
      try {
        await IsolatorHost.invokeAsync("asyncBoom");
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.equal(asyncMessage, "host callback 'asyncBoom' failed: visible async detail");
  });

  test("an unknown callback name gives a guest error naming it", async () => {
    using rt = newRuntime();
    const message = rt.invoke(() => {
      try {
        IsolatorHost.invoke("doesNotExist", 1);
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.match(String(message), /doesNotExist/);
    const asyncMessage = await rt.invokeAsync(async () => {
      try {
        await IsolatorHost.invokeAsync("alsoMissing");
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.match(String(asyncMessage), /alsoMissing/);
    assert.throws(() => rt.invoke(() => IsolatorHost.invoke("doesNotExist")), isA(IsolatedError, (e) => assert.match(e.message, /doesNotExist/)));
  });
});

describe("lifecycle", () => {
  test("calling a disposed runtime throws IsolatedRuntimeDisposedError", async () => {
    const rt = newRuntime();
    rt.dispose();
    assert.equal(rt.disposed, true);
    assert.doesNotThrow(() => rt.dispose(), "dispose is idempotent");
    assert.throws(() => rt.invoke(() => 1), isA(IsolatedRuntimeDisposedError));
    assert.throws(() => rt.evaluate("1"), isA(IsolatedRuntimeDisposedError));
    assert.throws(() => rt.registerCallback("x", () => 1), isA(IsolatedRuntimeDisposedError));
    await assert.rejects(rt.invokeAsync(() => 1), isA(IsolatedRuntimeDisposedError));
    await assert.rejects(rt.evaluateAsync("1"), isA(IsolatedRuntimeDisposedError));
  });

  test("disposing a runtime during a pending async call ends that call", async () => {
    const rt = newRuntime({ timeLimit: 5000 });
    const pending = rt.invokeAsync(() => new Promise((resolve) => setTimeout(resolve, 2000)));
    setTimeout(() => rt.dispose(), 20);
    const started = performance.now();
    await assert.rejects(pending, isA(IsolatedRuntimeDisposedError));
    assert.ok(performance.now() - started < 1000);
  });

  test("disposing the host disposes its runtimes", async () => {
    const ownHost = new IsolatedRuntimeHost();
    const a = new IsolatedRuntime(ownHost);
    const b = new IsolatedRuntime(ownHost);
    assert.equal(a.invoke(() => 1), 1);
    ownHost.dispose();
    assert.equal(ownHost.disposed, true);
    assert.equal(a.disposed, true);
    assert.equal(b.disposed, true);
    assert.throws(() => a.invoke(() => 1), isA(IsolatedRuntimeDisposedError));
    await assert.rejects(b.invokeAsync(() => 1), isA(IsolatedRuntimeDisposedError));
    assert.throws(() => new IsolatedRuntime(ownHost), isA(IsolatedRuntimeDisposedError));
    assert.doesNotThrow(() => ownHost.dispose());
  });
});

describe("capture detection", () => {
  test("a lambda using a host variable throws IsolatedCaptureError before running", () => {
    using rt = newRuntime();
    rt.evaluate("globalThis.ran = false");
    const secret = 1;
    assert.throws(
      () =>
        rt.invoke(() => {
          (globalThis as { ran?: boolean }).ran = true;
          return secret;
        }),
      isA(IsolatedCaptureError, (e) => {
        assert.deepEqual(e.identifiers, ["secret"]);
        assert.match(e.message, /secret/);
      }),
    );
    assert.equal(rt.evaluate("ran"), false, "nothing ran");
    const other = 2;
    assert.throws(
      () => rt.invoke(() => secret + other + Math.max(1, 2)),
      isA(IsolatedCaptureError, (e) => assert.deepEqual([...e.identifiers].sort(), ["other", "secret"])),
    );
    assert.throws(() => rt.invoke(() => secret), isA(IsolatorError));
    // passing the value as an argument is the fix
    assert.equal(rt.invoke((s: number) => s + 1, secret), 2);
  });

  test("guest globals defined earlier are allowed", () => {
    using rt = newRuntime();
    assert.throws(() => rt.invoke(() => helper), isA(IsolatedCaptureError, (e) => assert.deepEqual(e.identifiers, ["helper"])));
    rt.evaluate("globalThis.helper = 1; var helper2 = 2");
    assert.equal(rt.invoke(() => helper + helper2), 3);
  });
});

describe("isolation from the host", () => {
  test("no host globals are visible in the guest", () => {
    using rt = newRuntime();
    const seen = rt.invoke(() => ({
      process: typeof process,
      require: typeof require,
      fetch: typeof fetch,
      WebAssembly: typeof WebAssembly,
      std: typeof std,
      os: typeof os,
      Buffer: typeof Buffer,
      natives: typeof (globalThis as Record<string, unknown>).__isolatorNatives,
      global: typeof (globalThis as Record<string, unknown>).global,
    }));
    assert.deepEqual(seen, {
      process: "undefined",
      require: "undefined",
      fetch: "undefined",
      WebAssembly: "undefined",
      std: "undefined",
      os: "undefined",
      Buffer: "undefined",
      natives: "undefined",
      global: "undefined",
    });
  });

  test("climbing constructors from IsolatorHost reaches only the guest", () => {
    using rt = newRuntime();
    (globalThis as { escaped?: unknown }).escaped = undefined;
    const result = rt.invoke(() => {
      const out: Record<string, unknown> = {};
      try {
        out.process = String((IsolatorHost as unknown as { constructor: { constructor: (s: string) => () => unknown } }).constructor.constructor("return process")());
      } catch (e) {
        out.process = `${(e as Error).name}: ${(e as Error).message}`;
      }
      try {
        const F = (IsolatorHost.invoke as unknown as { constructor: (s: string) => () => unknown }).constructor;
        out.sameGlobal = F("return this")() === globalThis;
        out.typeofProcess = F("return typeof process")();
        F("globalThis.escaped = 'yes'")();
      } catch (e) {
        out.fn = String(e);
      }
      return out;
    }) as Record<string, unknown>;
    assert.match(String(result.process), /ReferenceError/);
    assert.equal(result.sameGlobal, true);
    assert.equal(result.typeofProcess, "undefined");
    assert.equal((globalThis as { escaped?: unknown }).escaped, undefined, "nothing was written on the host's global");
    assert.equal(typeof process, "object");
  });
});
