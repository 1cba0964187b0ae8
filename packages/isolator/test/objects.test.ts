// Isolated objects and methods: objects live in the guest, driven from the host by name.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IsolatedLookupError, IsolatedObject, IsolatedRuntime, IsolatedRuntimeDisposedError, IsolatedRuntimeHost, IsolatorError } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "isolator-objects-"));
let host: IsolatedRuntimeHost;

class Counter {
  n: number;
  constructor(start: number) {
    this.n = start;
  }
  inc(by = 1): number {
    this.n += by;
    return this.n;
  }
}

before(() => {
  mkdirSync(join(dir, "model"));
  writeFileSync(
    join(dir, "model/person.ts"),
    `export class Person {
  #secret = 1;
  constructor(public name: string, public age: number) {}
  getAge(exact: boolean): number { return exact ? this.age : Math.round(this.age / 10) * 10; }
  birthday(): void { this.age++; }
  greet({ other }: { other: Person }): string { return \`Hello \${other.name}, I am \${this.name}\`; }
  async describeLater(): Promise<string> { await null; return \`\${this.name} is \${this.age}\`; }
}
export function getEnvironmentInfo() { return { engine: "QuickJS", canSeeHost: typeof process !== "undefined" }; }
export const notAClass = 5;
`,
  );
  host = new IsolatedRuntimeHost().withDirectoryModuleLoader(dir);
});
after(() => {
  host.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("createObject", () => {
  test("from a self-contained class, with constructor arguments", () => {
    using rt = new IsolatedRuntime(host);
    using counter = rt.createObject(Counter, 10);
    assert.ok(counter instanceof IsolatedObject);
    assert.equal(counter.invoke<number>("inc"), 11);
    assert.equal(counter.invoke<number>("inc", 5), 16);
  });

  test("from a module's export: invoke, invokeVoid, invokeAsync, findMethod, getMethod", async () => {
    using rt = new IsolatedRuntime(host);
    using person = rt.createObject("./model/person.js", "Person", "Ann", 37);
    assert.equal(person.invoke<number>("getAge", true), 37);
    person.invokeVoid("birthday");
    assert.equal(await person.invokeAsync<string>("describeLater"), "Ann is 38");
    using other = rt.createObject("./model/person.js", "Person", "Bob", 52);
    using getAge = person.findMethod("getAge");
    assert.equal(getAge.invoke<number>(other, true), 52);
    assert.deepEqual(rt.getMethod("./model/person.js", "getEnvironmentInfo").invoke(null), { engine: "QuickJS", canSeeHost: false });
    assert.equal(rt.getMethod(Counter, "inc").invoke(rt.createObject(Counter, 1), 2), 3);
  });

  test("an IsolatedObject argument arrives as the live guest object", () => {
    using rt = new IsolatedRuntime(host);
    using person = rt.createObject("./model/person.js", "Person", "Ann", 37);
    assert.equal(rt.invoke((p: { name: string }) => p.name, person), "Ann");
    rt.invoke((p: { age: number }) => void (p.age = 1), person);
    assert.equal(person.invoke<number>("getAge", true), 1);
  });

  test("IsolatedObjects nested in arguments arrive live too, the same object each time it appears", () => {
    using rt = new IsolatedRuntime(host);
    using ann = rt.createObject("./model/person.js", "Person", "Ann", 37);
    using bob = rt.createObject("./model/person.js", "Person", "Bob", 52);
    const team = { lead: ann, members: [ann, bob], byName: new Map([["bob", bob]]) };
    const seen = rt.invoke(
      (t: { lead: { name: string }; members: { name: string }[]; byName: Map<string, { age: number }> }) => {
        t.byName.get("bob")!.age = 53;
        return [t.lead === t.members[0], t.members.map((m) => m.name).join(","), Object.getPrototypeOf(t.lead) !== Object.prototype];
      },
      team,
    );
    assert.deepEqual(seen, [true, "Ann,Bob", true]);
    assert.equal(bob.invoke<number>("getAge", true), 53);
    // Into methods and constructors as well; a disposed or foreign object is refused.
    using counter = rt.createObject(Counter, 1);
    assert.equal(ann.invoke<string>("greet", { other: bob }), "Hello Bob, I am Ann");
    using other = new IsolatedRuntime(host);
    using foreign = other.createObject(Counter, 0);
    assert.throws(() => rt.invoke((x: unknown) => x, { nested: foreign }), /another runtime/);
    counter.dispose();
    assert.throws(() => rt.invoke((x: unknown) => x, [counter]), /disposed/);
  });

  test("a guest cannot send a live reference to the host", () => {
    using rt = new IsolatedRuntime(host);
    using person = rt.createObject("./model/person.js", "Person", "Ann", 37);
    // What comes back is a copy: the host never receives a reference into the guest.
    const back = rt.invoke((p: { name: string }) => ({ p }), person);
    assert.deepEqual(back, { p: { name: "Ann", age: 37 } });
  });
});

describe("distinct errors", () => {
  for (const [what, kind, call] of [
    ["a missing module", "module", (rt: IsolatedRuntime) => rt.createObject("./model/nope.js", "X")],
    ["a missing export", "export", (rt: IsolatedRuntime) => rt.createObject("./model/person.js", "Nobody")],
    ["a non-constructor", "constructor", (rt: IsolatedRuntime) => rt.createObject("./model/person.js", "notAClass")],
    ["a missing method", "method", (rt: IsolatedRuntime) => rt.createObject("./model/person.js", "Person", "A", 1).invoke("fly")],
    ["a private member", "private", (rt: IsolatedRuntime) => rt.createObject("./model/person.js", "Person", "A", 1).invoke("#secret")],
    ["too few arguments", "arity", (rt: IsolatedRuntime) => rt.createObject("./model/person.js", "Person", "A", 1).invoke("getAge")],
    ["a missing exported function", "method", (rt: IsolatedRuntime) => rt.getMethod("./model/person.js", "missing")],
  ] as const) {
    test(`${what} is an IsolatedLookupError of kind '${kind}'`, () => {
      using rt = new IsolatedRuntime(host);
      assert.throws(() => call(rt), (e: unknown) => e instanceof IsolatedLookupError && e.kind === kind);
    });
  }

  test("use after dispose, and with another runtime, are clear errors", () => {
    using rt = new IsolatedRuntime(host);
    using other = new IsolatedRuntime(host);
    const counter = rt.createObject(Counter, 0);
    assert.throws(() => other.invoke((c: unknown) => c, counter), (e: unknown) => e instanceof IsolatorError && /another runtime/.test(e.message));
    counter.dispose();
    counter.dispose(); // idempotent
    assert.throws(() => counter.invoke("inc"), IsolatedRuntimeDisposedError);
    assert.throws(() => counter.findMethod("inc"), IsolatedRuntimeDisposedError);
  });

  test("objects die with their runtime; disposing them afterwards never throws", () => {
    const rt = new IsolatedRuntime(host);
    const counter = rt.createObject(Counter, 0);
    rt.dispose();
    assert.throws(() => counter.invoke("inc"), IsolatedRuntimeDisposedError);
    counter.dispose();
  });
});
