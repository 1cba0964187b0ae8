/**
 * The standard library against Node itself: each program runs in the sandbox and under the real
 * `node` that runs these tests (process.execPath, in UTC), and both must print the same.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { IsolatedRuntimeHost } from "../src/index.js";
import { runProgram } from "../src/program/runner.js";

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

function underNode(source: string, module: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [`--input-type=${module ? "module" : "commonjs"}`, "-e", source], { timeout: 20_000, env: { ...process.env, TZ: "UTC" } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`node failed: ${stderr}`));
      else resolve(stdout);
    });
  });
}

async function inSandbox(source: string): Promise<string> {
  const result = await runProgram(host, source, { language: "javascript", timeLimit: 10_000 });
  assert.equal(result.status, "succeeded", JSON.stringify(result.error ?? result.output));
  return result.output.map((c) => c.text).join("");
}

/** Programs whose output must match Node's exactly. */
export const CASES: Record<string, string> = {
  "Buffer: encodings, slicing, reading and writing numbers, comparing": `
    const b = Buffer.from("héllo wörld");
    console.log(b.length, b.toString("hex"), b.toString("base64"), b.toString("base64url"), b.toString("latin1"));
    console.log(Buffer.from("68656c6c6f", "hex").toString(), Buffer.from("aGVsbG8=", "base64").toString("utf8"));
    const n = Buffer.alloc(8); n.writeUInt32BE(0xdeadbeef, 0); n.writeInt16LE(-2, 4);
    console.log(n.toString("hex"), n.readUInt32BE(0), n.readInt16LE(4), n.readUInt8(0));
    console.log(Buffer.concat([Buffer.from("ab"), Buffer.from("cd")]).toString(), Buffer.compare(Buffer.from("a"), Buffer.from("b")), Buffer.from("abc").equals(Buffer.from("abc")));
    console.log(Buffer.byteLength("€uro"), Buffer.isBuffer(b), Buffer.isBuffer("x"), b.subarray(1, 3).toString("hex"), b.indexOf("l"), b.includes("wör"));
    console.log(JSON.stringify(Buffer.from([1, 2, 3])), Buffer.from("xyz").toJSON().data.join());`,
  "path (posix)": `
    const path = require("node:path");
    console.log(path.join("/a/b", "../c", "./d.txt"), path.resolve("/x", "y", "..", "z"), path.basename("/a/b/c.tar.gz", ".gz"), path.extname("f.test.ts"));
    console.log(path.dirname("/a/b/c"), path.normalize("a//b/../c/"), path.isAbsolute("/a"), path.relative("/a/b/c", "/a/d"), path.sep, path.delimiter);
    console.log(JSON.stringify(path.parse("/home/u/file.txt")), path.format({ dir: "/x", name: "f", ext: ".js" }), path.posix === path);`,
  "util: format, promisify, callbackify, types, isDeepStrictEqual, inherits": `
    const util = require("util");
    console.log(util.format("%s is %d years and %i days, %j", "Bob", 42.5, 3.9, { a: 1 }), util.format("%% %s", "x", "extra"));
    const wait = (ms, cb) => setTimeout(() => cb(null, ms * 2), ms);
    util.promisify(wait)(5).then((v) => console.log("promisified", v));
    util.callbackify(async (x) => x + 1)(1, (err, v) => console.log("callbackified", err, v));
    console.log(util.types.isDate(new Date()), util.types.isRegExp(/x/), util.types.isPromise(Promise.resolve()), util.types.isUint8Array(new Uint8Array()), util.types.isAsyncFunction(async () => {}), util.types.isMap(new Map()));
    console.log(util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), util.isDeepStrictEqual([1], ["1"]), util.isDeepStrictEqual(new Set([1, 2]), new Set([2, 1])), util.isDeepStrictEqual(NaN, NaN), util.isDeepStrictEqual(0, -0));
    function A() {} function B() {} util.inherits(A, B); console.log(new A() instanceof B, A.super_ === B);
    console.log(new util.TextDecoder().decode(new util.TextEncoder().encode("ok")));`,
  "events: on, once, emit order, listener counts, errors, EventEmitter.once": `
    const EventEmitter = require("events");
    const { once } = require("node:events");
    const e = new EventEmitter();
    e.on("x", (a, b) => console.log("first", a, b));
    e.prependListener("x", () => console.log("prepended"));
    e.once("x", () => console.log("once"));
    console.log(e.emit("x", 1, 2), e.emit("x", 3, 4), e.emit("nothing"), e.listenerCount("x"), e.eventNames().join());
    try { e.emit("error", new Error("boom")); } catch (err) { console.log("thrown", err.message); }
    once(e, "ready").then(([v]) => console.log("ready", v));
    e.emit("ready", 7);
    class Sub extends EventEmitter {}
    const s = new Sub(); s.on("y", function () { console.log(this === s); }); s.emit("y");`,
  "assert and assert/strict: passes, failures' codes and classes": `
    const assert = require("assert");
    const strict = require("node:assert/strict");
    assert.deepStrictEqual({ a: [1, 2], m: new Map([[1, { x: 1 }]]) }, { a: [1, 2], m: new Map([[1, { x: 1 }]]) });
    assert.equal(1, "1"); assert.ok(true); assert.notStrictEqual(1, 2); assert.deepEqual({ a: 1 }, { a: "1" });
    const codes = [];
    for (const f of [() => assert.strictEqual(1, 2), () => strict.equal(1, "1"), () => assert.deepStrictEqual({ a: 1 }, { a: 2 }), () => assert.ok(0), () => assert.fail("no"), () => assert.throws(() => {}), () => strict.deepEqual([1], ["1"]), () => assert.match("abc", /x/)]) {
      try { f(); codes.push("passed"); } catch (e) { codes.push(e.name + ":" + e.code + ":" + (e instanceof assert.AssertionError)); }
    }
    console.log(codes.join("\\n"));
    assert.throws(() => { throw new TypeError("bad"); }, TypeError);
    assert.throws(() => { throw new Error("bad thing"); }, /bad/);
    assert.throws(() => { throw new RangeError("r"); }, { name: "RangeError", message: "r" });
    assert.rejects(Promise.reject(new Error("x")), Error).then(() => console.log("rejects ok"));
    console.log(strict.strict === strict, typeof assert.strict.deepEqual);`,
  "url: WHATWG URL, URLSearchParams, file URLs": `
    const { URL, URLSearchParams, fileURLToPath, pathToFileURL } = require("url");
    const u = new URL("https://user:pw@Example.COM:8080/a/../b/c?x=1&y=two#frag");
    console.log(u.href, u.origin, u.host, u.pathname, u.search, u.hash, u.username, u.port);
    u.searchParams.append("z", "a b&c"); u.hash = ""; console.log(u.toString());
    console.log(new URL("../up?q", "http://h/a/b/c").href, new URL("HTTP://h/%7Efoo").href, URL.canParse ? URL.canParse("nope") : false);
    const p = new URLSearchParams("a=1&b=2&a=3"); p.sort(); console.log(p.toString(), p.getAll("a").join(), p.has("b"), [...p.keys()].join());
    console.log(fileURLToPath("file:///tmp/a%20b.txt"), pathToFileURL("/tmp/x y#.txt").href);
    try { new URL("not a url"); } catch (e) { console.log(e.name); }`,
  "string_decoder and querystring": `
    const { StringDecoder } = require("string_decoder");
    const d = new StringDecoder("utf8");
    const euro = Buffer.from("€");
    console.log(JSON.stringify(d.write(euro.subarray(0, 1))), JSON.stringify(d.write(euro.subarray(1))), JSON.stringify(d.end()));
    const qs = require("querystring");
    console.log(JSON.stringify(qs.parse("a=1&b=x%20y&a=2&c")), qs.stringify({ a: [1, 2], b: "x y", c: "" }), qs.escape("a b&"), qs.unescape("a%20b"));`,
  "crypto: digests, HMACs, random sizes and ranges": `
    const crypto = require("node:crypto");
    for (const alg of ["md5", "sha1", "sha256", "sha384", "sha512"]) console.log(alg, crypto.createHash(alg).update("hello ").update(Buffer.from("world")).digest("hex"));
    console.log(crypto.createHash("sha256").update("x").digest("base64"), crypto.createHmac("sha256", "key").update("msg").digest("hex"));
    const h = crypto.createHash("sha1").update("a"); const c = h.copy(); c.update("b"); console.log(h.digest("hex"), c.digest("hex"));
    console.log(crypto.randomBytes(16).length, /^[0-9a-f-]{36}$/.test(crypto.randomUUID()), crypto.randomUUID()[14]);
    const ints = Array.from({ length: 200 }, () => crypto.randomInt(3, 6)); console.log(Math.min(...ints), Math.max(...ints));
    console.log(crypto.timingSafeEqual(Buffer.from("ab"), Buffer.from("ab")), crypto.getRandomValues(new Uint32Array(4)).length);
    crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc")).then((d) => console.log(Buffer.from(d).toString("hex")));`,
  "timers: immediates after the synchronous code, nextTick and microtasks; timers/promises": `
    const { setTimeout: sleep, setImmediate: immediate } = require("timers/promises");
    setImmediate((a) => console.log("immediate", a), "arg");
    process.nextTick(() => console.log("tick"));
    Promise.resolve().then(() => console.log("microtask"));
    console.log("sync");
    immediate("imm").then((v) => console.log(v)).then(() => sleep(50, "slept")).then((v) => console.log(v));
    const ac = new AbortController();
    sleep(1000, null, { signal: ac.signal }).catch((e) => console.log(e.name, e.code));
    ac.abort();
    const t = setImmediate(() => console.log("never")); clearImmediate(t);`,
  "web globals: TextEncoder/Decoder, atob/btoa, structuredClone, AbortSignal, Event, Blob, crypto": `
    const bytes = new TextEncoder().encode("a€😀");
    console.log(Array.from(bytes).join(), new TextDecoder().decode(bytes), new TextDecoder().decode(new Uint8Array([0xff, 0x41])), new TextDecoder("utf-8", { ignoreBOM: false }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x42])));
    console.log(btoa("hello"), atob("aGVsbG8="), (() => { try { atob("*"); } catch (e) { return e.name; } })());
    const original = { d: new Date(0), m: new Map([[1, new Set([2])]]), r: /x/g, n: [1, , 3], nested: { deep: true } };
    original.self = original;
    const copy = structuredClone(original);
    console.log(copy !== original, copy.self === copy, copy.d.getTime(), copy.m.get(1).has(2), copy.r.flags, 1 in copy.n, JSON.stringify(copy.nested));
    try { structuredClone(() => 1); } catch (e) { console.log(e.name); }
    const ac = new AbortController();
    ac.signal.addEventListener("abort", (e) => console.log("aborted", e.type, ac.signal.reason.name));
    ac.abort();
    console.log(ac.signal.aborted, AbortSignal.abort("why").reason, AbortSignal.any([ac.signal]).aborted);
    const target = new EventTarget(); target.addEventListener("ping", (e) => console.log("ping", e.type, e instanceof Event)); target.dispatchEvent(new Event("ping"));
    new Blob(["ab", new Uint8Array([99])], { type: "Text/Plain" }).text().then((t) => console.log("blob", t));
    console.log(typeof crypto.randomUUID(), crypto.getRandomValues(new Uint8Array(8)).length, typeof performance.now(), new DOMException("m", "AbortError").code);`,
  "ES modules: named and default imports of node: and bare names": `
    import { Buffer } from "node:buffer";
    import path, { join } from "path";
    import * as util from "node:util";
    import { EventEmitter, once } from "events";
    import assert, { strictEqual } from "node:assert";
    import { createHash } from "crypto";
    import { setTimeout as sleep } from "node:timers/promises";
    import { StringDecoder } from "node:string_decoder";
    import { URL } from "node:url";
    strictEqual(1, 1); assert.ok(typeof once === "function");
    await sleep(1);
    console.log(Buffer.from("x").toString("hex"), path.join("a", "b"), join("c", "d"), util.format("%d", 5), typeof EventEmitter, createHash("md5").update("").digest("hex"), new StringDecoder().end(Buffer.from("y")), new URL("http://x/y").pathname);`,
};

describe("the sandbox prints what node prints", () => {
  for (const [name, source] of Object.entries(CASES)) {
    test(name, async () => {
      const module = /^\s*import\s/m.test(source);
      const [sandbox, node] = await Promise.all([inSandbox(source), underNode(source, module)]);
      assert.equal(sandbox, node);
    });
  }

  test("Intl and toLocaleString, en-US (72 cases)", async () => {
    const source = readFileSync(new URL("../../test/stdlib/intl-cases.js", import.meta.url), "utf8");
    const [sandbox, node] = await Promise.all([inSandbox(source), underNode(source, false)]);
    assert.equal(sandbox.split("\n").length, 73);
    assert.equal(sandbox, node);
  });
});
