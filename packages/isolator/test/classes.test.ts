// Class fidelity: instances of registered classes keep their class across the boundary, both ways.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { IsolatedRuntime, IsolatedRuntimeHost, IsolatedSerializationError, IsolatorError } from "../src/index.js";

let constructed = 0;
class EnvInfo {
  engine: string;
  version: number;
  constructor(engine: string, version: number) {
    this.engine = engine;
    this.version = version;
    constructed++;
  }
  describe(): string {
    return `${this.engine} ${this.version}`;
  }
}
class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}
class Account {
  constructor(
    readonly owner: string,
    readonly role: string,
  ) {}
  get isAdmin(): boolean {
    return this.role === "admin";
  }
}
class Unregistered {
  a = 1;
}

const dir = mkdtempSync(join(tmpdir(), "isolator-classes-"));
let host: IsolatedRuntimeHost;
before(() => {
  writeFileSync(
    join(dir, "env.js"),
    `export class EnvInfo {
  constructor(engine, version) { this.engine = engine; this.version = version; }
  describe() { return \`\${this.engine} \${this.version}\`; }
}
export function getEnvironmentInfo() { return { info: new EnvInfo("QuickJS", 2025), list: [new EnvInfo("nested", 1)] }; }
`,
  );
  host = new IsolatedRuntimeHost().withDirectoryModuleLoader(dir).withClass(EnvInfo, "./env.js").withClass(Point).withClass(Account);
});
after(() => {
  host.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test("a guest function returning instances of a registered class gives the host instances whose methods work", () => {
  using rt = new IsolatedRuntime(host);
  const before = constructed;
  const result = rt.getMethod("./env.js", "getEnvironmentInfo").invoke<{ info: EnvInfo; list: EnvInfo[] }>(null);
  assert.ok(result.info instanceof EnvInfo);
  assert.equal(result.info.describe(), "QuickJS 2025");
  assert.ok(result.list[0] instanceof EnvInfo, "nested instances too");
  assert.equal(constructed, before, "the constructor is not re-run");
});

test("host instances arrive in the guest as the guest's class, nested anywhere", () => {
  using rt = new IsolatedRuntime(host);
  const p = new Point(3, 4);
  assert.deepEqual(rt.invoke((pt: Point) => [pt.norm(), pt.constructor.name], p), [5, "Point"]);
  const back = rt.invoke((pt: Point) => ({ nested: [pt, new Map([["k", pt]])] }), p);
  assert.ok(back.nested[0] instanceof Point);
  assert.equal((back.nested[0] as Point).norm(), 5);
  assert.ok(((back.nested[1] as Map<string, Point>).get("k") as Point) instanceof Point);
  assert.equal((back.nested[1] as Map<string, Point>).get("k"), back.nested[0], "shared references stay shared");
});

test("guest classes the host did not register arrive as plain data, and so do host ones", () => {
  using rt = new IsolatedRuntime(host);
  const value = rt.invoke(() => {
    class Guest {
      a = 1;
    }
    return new Guest();
  });
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(rt.invoke((u: Unregistered) => [u.a, Object.getPrototypeOf(u) === Object.prototype], new Unregistered()), [1, true]);
});

test("createObject and getMethod take a registered module class by reference", () => {
  using rt = new IsolatedRuntime(host);
  using info = rt.createObject(EnvInfo, "QuickJS", 1);
  assert.equal(info.invoke<string>("describe"), "QuickJS 1");
  assert.equal(rt.getMethod(EnvInfo, "describe").invoke<string>(info), "QuickJS 1");
  const copy = rt.invoke((i: EnvInfo) => i, info as never) as unknown as EnvInfo;
  assert.ok(copy instanceof EnvInfo, "the live object, copied out, is an EnvInfo");
});

test("a class is registered once, by name", () => {
  using other = new IsolatedRuntimeHost();
  other.withClass(Point);
  assert.throws(() => other.withClass(Point), (e: unknown) => e instanceof IsolatorError && /already registered/.test(e.message));
});

test("a registered class cannot be spoofed: own data shadowing its accessors or methods is refused, both ways", () => {
  using rt = new IsolatedRuntime(host);
  const refused = (reason: RegExp) => (e: unknown) => e instanceof IsolatedSerializationError && reason.test(e.message);
  assert.throws(
    () => rt.invoke((a: Account) => Object.defineProperty(a, "isAdmin", { value: true, enumerable: true }), new Account("eve", "user")),
    refused(/an instance of Account has an own property 'isAdmin' that would shadow an accessor or method of its class/),
  );
  assert.throws(() => rt.invoke((p: Point) => Object.assign(p, { norm: 99 }), new Point(3, 4)), refused(/'norm'/));
  assert.throws(() => rt.invoke((p: Point) => Object.assign(p, { toString: "x" }), new Point(3, 4)), refused(/'toString'/), "methods up the chain too");
  assert.throws(() => rt.invoke((p: Point) => p.x, Object.assign(new Point(1, 2), { norm: 5 })), refused(/'norm'/));
  const honest = rt.invoke((a: Account) => a, new Account("ann", "admin"));
  assert.ok(honest instanceof Account);
  assert.equal(honest.isAdmin, true);
  assert.equal(rt.invoke((a: Account) => a.isAdmin, new Account("bob", "user")), false);
});
