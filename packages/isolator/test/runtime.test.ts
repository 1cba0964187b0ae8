/**
 * The documented API of IsolatedRuntime: invoke, invokeAsync, evaluate, evaluateAsync,
 * host callbacks, timers, console routing, guest error details and option validation.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { isA } from "./helpers.js";
import {
  IsolatedError,
  IsolatedRuntime,
  IsolatedRuntimeHost,
  IsolatedTimeoutError,
  IsolatorError,
  type ConsoleEntry,
  type IsolatedRuntimeOptions,
} from "../src/index.js";

declare const IsolatorHost: { invoke(n: string, ...a: unknown[]): unknown; invokeAsync(n: string, ...a: unknown[]): Promise<unknown> };
// guest globals the lambdas below read
declare const counter: number;
declare function greet(name: string): string;

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

const newRuntime = (options: IsolatedRuntimeOptions = {}) => new IsolatedRuntime(host, { timeLimit: 2000, console: "ignore", ...options });

describe("invoke", () => {
  test("runs a lambda with copied arguments and returns a copied result", () => {
    using rt = newRuntime();
    assert.equal(rt.invoke(() => 1 + 1), 2);
    assert.equal(rt.invoke((a: number, b: number) => a * b, 6, 7), 42);
    const input = { list: [1, 2, 3] };
    const out = rt.invoke((o: { list: number[] }) => {
      o.list.push(4);
      return o;
    }, input);
    assert.deepEqual(out, { list: [1, 2, 3, 4] });
    assert.deepEqual(input, { list: [1, 2, 3] }, "the host's argument is a copy, never mutated");
    assert.notEqual(out, input);
  });

  test("accepts arrow functions, function expressions and method shorthand; refuses native functions and non-functions", () => {
    using rt = newRuntime();
    assert.equal(
      rt.invoke(function named(x: number) {
        return x + 1;
      }, 1),
      2,
    );
    const obj = {
      method(x: number) {
        return x * 3;
      },
    };
    assert.equal(rt.invoke(obj.method, 2), 6);
    assert.throws(() => rt.invoke(Math.max as never), isA(IsolatorError));
    assert.throws(() => rt.invoke("1 + 1" as never), isA(IsolatorError));
  });

  test("the guest has the usual built-ins", () => {
    using rt = newRuntime();
    assert.deepEqual(
      rt.invoke(() => [JSON.stringify({ a: [1] }), [3, 1, 2].sort().join(","), new Map([[1, 2]]).size, typeof Promise, typeof BigInt, "x".padStart(3, "-")]),
      ['{"a":[1]}', "1,2,3", 1, "function", "function", "--x"],
    );
  });
});

describe("evaluate", () => {
  test("returns the script's completion value", () => {
    using rt = newRuntime();
    assert.equal(rt.evaluate("1 + 2"), 3);
    assert.deepEqual(rt.evaluate("({ a: [1, 'x'] })"), { a: [1, "x"] });
    assert.equal(rt.evaluate("var nothing = 1;"), undefined);
  });

  test("guest globals persist within a runtime and are visible to later calls", () => {
    using rt = newRuntime();
    rt.evaluate("var g1 = 1; globalThis.g2 = 2; let g3 = 3; function g4() { return 4; }");
    assert.deepEqual(rt.evaluate("[g1, g2, g3, g4()]"), [1, 2, 3, 4]);
    rt.evaluate("globalThis.counter = 0; function greet(n) { return 'hi ' + n; }");
    rt.invoke(() => {
      (globalThis as unknown as { counter: number }).counter++;
    });
    rt.invoke(() => {
      (globalThis as unknown as { counter: number }).counter++;
    });
    assert.equal(rt.invoke(() => counter), 2);
    assert.equal(rt.invoke((n: string) => greet(n), "you"), "hi you");
  });

  test("a new runtime starts clean", () => {
    using a = newRuntime();
    a.evaluate("var leaked = 1; globalThis.leaked2 = 2; Array.prototype.polluted = 'yes'");
    using b = newRuntime();
    assert.deepEqual(b.evaluate("[typeof leaked, typeof leaked2, [].polluted]"), ["undefined", "undefined", undefined]);
  });

  test("syntax errors are IsolatedErrors with the guest's name", () => {
    using rt = newRuntime();
    assert.throws(
      () => rt.evaluate("let let = 1", { filename: "bad.js" }),
      isA(IsolatedError, (e) => {
        assert.equal(e.guestName, "SyntaxError");
        assert.match(e.guestStack, /bad\.js/);
      }),
    );
    assert.throws(() => rt.evaluate(42 as unknown as string), isA(IsolatorError));
  });
});

describe("invokeAsync and evaluateAsync", () => {
  test("invokeAsync resolves an async lambda's value, and a plain value as is", async () => {
    using rt = newRuntime();
    assert.equal(await rt.invokeAsync(async (x: number) => (await Promise.resolve(x)) + 1, 41), 42);
    assert.equal(await rt.invokeAsync((a: number, b: number) => a * b, 6, 7), 42);
    assert.deepEqual(await rt.invokeAsync(async () => new Map([["k", new Set([1])]])), new Map([["k", new Set([1])]]));
  });

  test("invokeAsync rejects with the guest's error", async () => {
    using rt = newRuntime();
    await assert.rejects(
      rt.invokeAsync(async () => {
        await null;
        throw new TypeError("async failure");
      }),
      isA(IsolatedError, (e) => {
        assert.equal(e.guestName, "TypeError");
        assert.equal(e.message, "async failure");
        assert.ok(e.cause instanceof TypeError);
      }),
    );
  });

  test("a promise that can never settle is reported, not hung on", async () => {
    using rt = newRuntime();
    const started = performance.now();
    await assert.rejects(rt.invokeAsync(() => new Promise(() => undefined)), isA(IsolatedError, (e) => assert.match(e.message, /never settle/)));
    assert.ok(performance.now() - started < 1000);
  });

  test("concurrent async calls on one runtime are serialised and all settle", async () => {
    using rt = newRuntime();
    const results = await Promise.all([
      rt.invokeAsync(async () => {
        await new Promise((r) => setTimeout(r, 10));
        return 1;
      }),
      rt.invokeAsync(async () => 2),
      Promise.resolve(rt.invoke(() => 3)),
    ]);
    assert.deepEqual(results, [1, 2, 3]);
  });

  test("evaluateAsync supports top-level await and returns the completion value", async () => {
    using rt = newRuntime();
    assert.equal(await rt.evaluateAsync("const x = await Promise.resolve(41); x + 1"), 42);
    assert.equal(await rt.evaluateAsync("await new Promise((r) => setTimeout(r, 5)); 'done'"), "done");
    assert.equal(await rt.evaluateAsync("var persisted = await Promise.resolve(7); persisted"), 7);
    assert.equal(rt.evaluate("persisted"), 7, "globals declared by evaluateAsync persist");
    await assert.rejects(
      rt.evaluateAsync("await Promise.reject(new RangeError('nope'))"),
      isA(IsolatedError, (e) => {
        assert.equal(e.guestName, "RangeError");
        assert.equal(e.message, "nope");
      }),
    );
  });

  test("evaluateAsync awaits a completion value that is a promise, as invokeAsync awaits an async lambda", async () => {
    using rt = newRuntime();
    assert.equal(await rt.evaluateAsync("Promise.resolve(20).then((x) => x + 1)"), 21);
    assert.deepEqual(await rt.evaluateAsync("new Promise((r) => setTimeout(() => r({ late: [1, 2] }), 5))"), { late: [1, 2] });
    assert.equal(await rt.evaluateAsync("await 1; Promise.resolve(Promise.resolve('nested'))"), "nested");
    await assert.rejects(
      rt.evaluateAsync("Promise.reject(new TypeError('late'))"),
      isA(IsolatedError, (e) => assert.equal(e.guestName, "TypeError")),
    );
    assert.equal(await rt.evaluateAsync("'plain'"), "plain");
  });

  test("evaluateAsync respects the time limit", async () => {
    using rt = newRuntime({ timeLimit: 200 });
    // a synchronous spin after an await (an endless await loop is covered in hostile.test.ts)
    await assert.rejects(rt.evaluateAsync("await null; for (;;);"), isA(IsolatedTimeoutError, (e) => assert.equal(e.timeLimit, 200)));
  });
});

describe("host callbacks", () => {
  test("sync callbacks: arguments and results are copied", () => {
    using rt = newRuntime();
    const calls: unknown[][] = [];
    const returned = rt
      .registerCallback("add", (a: number, b: number) => a + b)
      .registerCallback("record", (...args: unknown[]) => {
        calls.push(args);
        return { ok: true, when: new Date(0), tags: new Set(["a"]) };
      });
    assert.equal(returned, rt, "registerCallback chains");
    assert.equal(rt.invoke(() => IsolatorHost.invoke("add", 2, 3)), 5);
    const r = rt.invoke(() => {
      const res = IsolatorHost.invoke("record", 1, { x: [1] }, new Map([[1, 2]])) as { ok: boolean; when: Date; tags: Set<string> };
      return [res.ok, res.when instanceof Date, res.tags instanceof Set && res.tags.has("a")];
    });
    assert.deepEqual(r, [true, true, true]);
    assert.deepStrictEqual(calls, [[1, { x: [1] }, new Map([[1, 2]])]]);
  });

  test("a callback can call back into the same runtime", () => {
    using rt = newRuntime();
    rt.evaluate("globalThis.base = 10");
    rt.registerCallback("reenter", (x: number) => rt.invoke((y: number) => (globalThis as unknown as { base: number }).base + y, x));
    assert.equal(rt.invoke(() => IsolatorHost.invoke("reenter", 5)), 15);
  });

  test("async callbacks under invokeAsync and evaluateAsync", async () => {
    using rt = newRuntime();
    rt.registerCallback("slowDouble", async (x: number) => {
      await new Promise((r) => setTimeout(r, 10));
      return x * 2;
    });
    rt.registerCallback("syncAdd", (a: number, b: number) => a + b);
    assert.deepEqual(
      await rt.invokeAsync(async () => [await IsolatorHost.invokeAsync("slowDouble", 21), await IsolatorHost.invokeAsync("syncAdd", 1, 2)]),
      [42, 3],
    );
    assert.deepEqual(
      await rt.invokeAsync(() => Promise.all([IsolatorHost.invokeAsync("slowDouble", 1), IsolatorHost.invokeAsync("slowDouble", 2)])),
      [2, 4],
    );
    assert.equal(await rt.evaluateAsync("await IsolatorHost.invokeAsync('slowDouble', 5)"), 10);
  });

  test("an async callback called through the sync IsolatorHost.invoke gives a clear guest error", () => {
    using rt = newRuntime();
    rt.registerCallback("slow", async () => 1);
    const message = rt.invoke(() => {
      try {
        IsolatorHost.invoke("slow");
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.match(String(message), /host callback 'slow' is async/);
    assert.match(String(message), /invokeAsync/);
  });

  test("IsolatorHost.invokeAsync outside an async call is refused with a clear guest error", async () => {
    using rt = newRuntime();
    let called = 0;
    rt.registerCallback("slow", async () => ++called);
    const r = rt.invoke(() => {
      try {
        const p = IsolatorHost.invokeAsync("slow");
        p.catch((e: Error) => {
          (globalThis as unknown as { refusal: string }).refusal = e.message;
        });
        return "promise";
      } catch (e) {
        return (e as Error).message;
      }
    });
    // under a sync call the refusal surfaces as a rejected promise (or a throw)
    const message = r === "promise" ? await rt.invokeAsync(async () => {
      await null;
      return (globalThis as unknown as { refusal?: string }).refusal;
    }) : r;
    assert.match(String(message), /invokeAsync needs an async call/);
    assert.equal(called, 0, "the callback never ran");
    assert.equal(rt.invoke(() => 1), 1);
  });

  test("registerCallback validates its arguments", () => {
    using rt = newRuntime();
    assert.throws(() => rt.registerCallback("", () => 1), isA(IsolatorError));
    assert.throws(() => rt.registerCallback("x", 42 as never), isA(IsolatorError));
  });
});

describe("timers under invokeAsync", () => {
  test("setTimeout ordering, setInterval with clearInterval, clearTimeout and queueMicrotask", async () => {
    using rt = newRuntime();
    const order = (await rt.invokeAsync(
      () =>
        new Promise((resolve) => {
          const log: string[] = [];
          setTimeout(() => log.push("t40"), 40);
          setTimeout(() => log.push("t0"), 0);
          setTimeout(() => log.push("t20"), 20);
          queueMicrotask(() => log.push("micro"));
          Promise.resolve().then(() => log.push("then"));
          const cancelled = setTimeout(() => log.push("cancelled"), 1);
          clearTimeout(cancelled);
          let n = 0;
          const id = setInterval(() => {
            log.push(`i${++n}`);
            if (n === 3) clearInterval(id);
          }, 2);
          setTimeout((a: string, b: string) => log.push(`args:${a}${b}`), 60, "x", "y");
          setTimeout(() => resolve(log), 80);
          log.push("sync");
        }),
    )) as string[];
    assert.deepEqual(order.slice(0, 4), ["sync", "micro", "then", "t0"]);
    assert.ok(!order.includes("cancelled"));
    assert.deepEqual(
      order.filter((x) => x.startsWith("i")),
      ["i1", "i2", "i3"],
      "the interval stops after clearInterval",
    );
    const at = (x: string) => order.indexOf(x);
    assert.ok(at("t0") < at("t20") && at("t20") < at("t40") && at("t40") < at("args:xy"), order.join(","));
    assert.equal(order.at(-1), "args:xy");
  });

  test("timers that are overdue together fire in due-time order, as in Node", async () => {
    using rt = newRuntime();
    const order = await rt.invokeAsync(
      () =>
        new Promise((resolve) => {
          const log: string[] = [];
          setTimeout(() => log.push("due at 20"), 20);
          setTimeout(() => log.push("due at 5"), 5);
          const end = Date.now() + 30;
          while (Date.now() < end);
          setTimeout(() => resolve(log), 10);
        }),
    );
    assert.deepEqual(order, ["due at 5", "due at 20"]);
  });

  test("an awaited setTimeout delay really waits", async () => {
    using rt = newRuntime();
    const started = Date.now();
    const elapsed = (await rt.invokeAsync(async (t0: number) => {
      await new Promise((r) => setTimeout(r, 50));
      return Date.now() - t0;
    }, started)) as number;
    assert.ok(elapsed >= 45, `guest saw ${elapsed} ms`);
    assert.ok(Date.now() - started >= 45);
  });

  test("setTimeout rejects a non-function callback", () => {
    using rt = newRuntime();
    assert.throws(() => rt.invoke(() => setTimeout("code" as never, 1)), isA(IsolatedError, (e) => assert.equal(e.guestName, "TypeError")));
  });
});

describe("console", () => {
  test("each level is routed to the console callback as { level, text }", () => {
    const entries: ConsoleEntry[] = [];
    using rt = newRuntime({ console: (entry) => entries.push(entry) });
    rt.invoke(() => {
      console.log("l", 1);
      console.info("i");
      console.warn("w");
      console.error("e");
      console.debug("d");
      console.log("%s=%d", "a", 4, { x: [1] });
      console.log(new Map([[1, "a"]]), [1, "s"], null, undefined, 5n);
    });
    assert.deepEqual(entries, [
      { level: "log", text: "l 1" },
      { level: "info", text: "i" },
      { level: "warn", text: "w" },
      { level: "error", text: "e" },
      { level: "debug", text: "d" },
      { level: "log", text: "a=4 { x: [ 1 ] }" },
      { level: "log", text: `Map(1) { 1 => "a" } [ 1, "s" ] null undefined 5n` },
    ]);
  });

  test("console: 'ignore' drops output; the byte budget resets per top-level call", () => {
    using quiet = newRuntime({ console: "ignore" });
    assert.equal(quiet.invoke(() => (console.log("dropped"), 1)), 1);

    const entries: ConsoleEntry[] = [];
    using rt = newRuntime({ console: (entry) => entries.push(entry), maxOutputBytes: 10 });
    rt.invoke(() => console.log("0123456789abc"));
    rt.invoke(() => console.log("fresh"));
    assert.equal(entries.length, 2);
    assert.match(entries[0]!.text, /^0123456789\n.*truncated/);
    assert.equal(entries[1]!.text, "fresh");
  });
});

describe("errors from the guest", () => {
  test("IsolatedError carries guestName, guestStack (guest frames only) and the thrown value as cause", () => {
    using rt = newRuntime();
    assert.throws(
      () =>
        rt.invoke(() => {
          function inner() {
            throw new TypeError("bad thing");
          }
          inner();
        }),
      isA(IsolatedError, (e) => {
        assert.equal(e.name, "IsolatedError");
        assert.equal(e.guestName, "TypeError");
        assert.equal(e.message, "bad thing");
        assert.match(e.guestStack, /inner/);
        assert.match(e.guestStack, /lambda\.js/);
        assert.ok(!/node:|file:\/\//.test(e.guestStack), e.guestStack);
        assert.ok(e.cause instanceof TypeError);
        assert.equal((e.cause as TypeError).message, "bad thing");
        assert.ok(e instanceof IsolatorError && e instanceof Error);
      }),
    );
    assert.throws(
      () => rt.evaluate("function foo() { null.x } foo()", { filename: "my-script.js" }),
      isA(IsolatedError, (e) => {
        assert.equal(e.guestName, "TypeError");
        assert.match(e.guestStack, /foo \(my-script\.js:1:/);
      }),
    );
  });

  test("non-Error thrown values", () => {
    using rt = newRuntime();
    assert.throws(
      () =>
        rt.invoke(() => {
          throw "a string";
        }),
      isA(IsolatedError, (e) => {
        assert.equal(e.guestName, "string");
        assert.equal(e.cause, "a string");
        assert.equal(e.guestStack, "");
      }),
    );
    assert.throws(
      () =>
        rt.invoke(() => {
          throw { code: 5 };
        }),
      isA(IsolatedError, (e) => {
        assert.equal(e.guestName, "Object");
        assert.deepEqual(e.cause, { code: 5 });
      }),
    );
    assert.throws(
      () =>
        rt.invoke(() => {
          throw Object.assign(new Error("with extras"), { code: "E_X" });
        }),
      isA(IsolatedError, (e) => assert.equal((e.cause as { code?: string }).code, "E_X")),
    );
  });
});

describe("options", () => {
  test("invalid options throw IsolatorError", () => {
    for (const options of [
      { timeLimit: -1 },
      { timeLimit: 0 },
      { timeLimit: NaN },
      { timeLimit: Infinity },
      { memoryLimit: -5 },
      { stackLimit: 0 },
      { maxOutputBytes: -1 },
      { maxMessageSize: NaN },
      { timeLimit: "100" as unknown as number },
      { console: "loud" as unknown as "ignore" },
    ] satisfies IsolatedRuntimeOptions[]) {
      assert.throws(() => new IsolatedRuntime(host, options), isA(IsolatorError, (e) => assert.match(e.message, /option/)), JSON.stringify(options));
    }
  });

  test("undefined options fall back to the defaults", () => {
    using rt = new IsolatedRuntime(host, { timeLimit: undefined, console: undefined, memoryLimit: undefined });
    assert.equal(rt.invoke(() => 1), 1);
    assert.ok(rt.memoryUsage > 0);
  });

  test("maxMessageSize bounds values in both directions", () => {
    using rt = newRuntime({ maxMessageSize: 1024 });
    assert.throws(() => rt.invoke((s: string) => s.length, "x".repeat(4096)), isA(IsolatorError, (e) => assert.match(e.message, /maxMessageSize/)));
    assert.throws(() => rt.invoke(() => "y".repeat(4096)), isA(IsolatorError, (e) => assert.match(e.message, /maxMessageSize/)));
    assert.equal(rt.invoke((s: string) => s.length, "x".repeat(100)), 100);
  });
});
