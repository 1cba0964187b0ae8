/**
 * A booted sandbox: an engine instance with a QuickJS runtime and context that has run the
 * guest prelude. Parsing the prelude costs more than instantiating the engine, so a host boots
 * one template sandbox and every runtime starts as a byte copy of the template's linear memory
 * in its own, fresh instance: the same engine state at the same addresses, with the JavaScript
 * wrappers of quickjs-emscripten rebuilt around it.
 */
import { randomBytes } from "node:crypto";
import { Lifetime, QuickJSRuntime, type QuickJSContext, type QuickJSHandle } from "quickjs-emscripten-core";
import { IsolatorError } from "../errors.js";
import type { GuestInternals } from "../guest/prelude.js";
import type { EngineInstance } from "../host.js";
import { installTracker, RUNTIME_STRUCT_SEARCH } from "./rejection-hook.js";
import { SEED_BYTES } from "../stdlib/bundle.js";

/** The host functions a sandbox calls, in the order they are registered (their ids depend on it). */
export const NATIVE_NAMES = ["call", "callAsync", "console", "load"] as const;
export type NativeFunctions = Record<(typeof NATIVE_NAMES)[number], (this: QuickJSHandle, ...args: QuickJSHandle[]) => QuickJSHandle | void>;
export type InternalHandles = { [K in keyof GuestInternals]: QuickJSHandle };
const INTERNAL_NAMES = ["intrinsics", "runTimers", "describeError"] as const;

export interface Sandbox {
  engine: EngineInstance;
  rt: QuickJSRuntime;
  ctx: QuickJSContext;
  internals: InternalHandles;
}

export type NewInstance = (memoryLimit: number, onAbort: (reason: unknown) => void, minimumBytes?: number) => EngineInstance;

/** What quickjs-emscripten keeps internal but a rebuilt wrapper needs. */
interface ModuleInternals {
  module: unknown;
  callbacks: unknown;
}
interface RuntimeInternals {
  hostRefs: { put(fn: unknown): number };
}
interface ContextInternals {
  ctx: { value: number };
  memory: { heapValueHandle(ptr: number): QuickJSHandle };
}

/** Boots a sandbox from scratch: natives installed, prelude (then any further scripts) run, internal entry points kept. */
export function bootSandbox(newInstance: NewInstance, memoryLimit: number, onAbort: (reason: unknown) => void, scripts: string[], natives: NativeFunctions): Sandbox {
  const engine = newInstance(memoryLimit, onAbort);
  const rt = engine.module.newRuntime();
  const ctx = rt.newContext();
  const holder = ctx.newObject();
  for (const name of NATIVE_NAMES) {
    const fn = ctx.newFunction(name, natives[name]);
    ctx.setProp(holder, name, fn);
    fn.dispose();
  }
  ctx.setProp(ctx.global, "__isolatorNatives", holder);
  holder.dispose();
  const [prelude, ...rest] = scripts;
  const result = ctx.evalCode(`${prelude};`, "isolator:prelude", { type: "global", strict: true });
  ctx.evalCode("delete globalThis.__isolatorNatives").dispose();
  const api = ctx.unwrapResult(result);
  for (const script of rest) ctx.unwrapResult(ctx.evalCode(`${script};`, "isolator:environment", { type: "global", strict: true })).dispose();
  ctx.evalCode("delete globalThis.__isolatorBuiltIns").dispose();
  const internals = {} as InternalHandles;
  for (const name of INTERNAL_NAMES) internals[name] = ctx.getProp(api, name);
  api.dispose();
  return { engine, rt, ctx, internals };
}

export class SandboxTemplate {
  private constructor(
    private readonly image: Chunk[],
    /** Where the image's last non-zero byte lies. */
    readonly imageEnd: number,
    private readonly rtPtr: number,
    private readonly ctxPtr: number,
    private readonly internalPtrs: Record<keyof GuestInternals, number>,
    private readonly randomStateOffset: number,
    /** Where the guest standard library's random key lies in the image (stdlib/random.ts), if it has one. */
    private readonly keyOffset: number | undefined,
  ) {}

  /** Bytes of the image that are not zero: what every new sandbox copies. */
  get imageBytes(): number {
    let total = 0;
    for (const chunk of this.image) total += chunk.bytes.length;
    return total;
  }

  /**
   * Boots the template with inert natives, installs the engine's hooks, and takes its memory image.
   * `keyMarker`: the bytes the guest's random key was filled with, by which it is found.
   */
  static create(newInstance: NewInstance, scripts: string[], rejectionHook: number, keyMarker: Uint8Array | undefined): SandboxTemplate {
    const inert = () => undefined;
    const before = BigInt(Date.now()) * 1000n;
    const sandbox = bootSandbox(newInstance, 64 * 1024 * 1024, inert, scripts, { call: inert, callAsync: inert, console: inert, load: inert });
    const after = BigInt(Date.now()) * 1000n + 1000n;
    const ctxPtr = (sandbox.ctx as unknown as ContextInternals).ctx.value;
    const rtPtr = (sandbox.rt as unknown as { rt: { value: number } }).rt.value;
    const runtimeStruct = new Int32Array(sandbox.engine.memory.buffer.slice(rtPtr, rtPtr + RUNTIME_STRUCT_SEARCH));
    sandbox.rt.setInterruptHandler(() => false); // installs the engine's interrupt hook in the image
    installTracker(sandbox.engine.memory, rtPtr, runtimeStruct, rejectionHook);
    const memory = new Uint8Array(sandbox.engine.memory.buffer);
    const image = nonZeroChunks(memory);
    const imageEnd = image.length ? image[image.length - 1]!.offset + image[image.length - 1]!.bytes.length : 0;
    const internalPtrs = {} as Record<keyof GuestInternals, number>;
    for (const name of INTERNAL_NAMES) internalPtrs[name] = sandbox.internals[name].value as unknown as number;
    return new SandboxTemplate(image, imageEnd, rtPtr, ctxPtr, internalPtrs, findRandomState(memory, ctxPtr, before, after), keyMarker && findKey(memory, keyMarker));
  }

  /** The template as bytes (a header, then the image), for a later process to start from (saved-templates.ts). */
  serialize(): Buffer {
    const layout = { imageEnd: this.imageEnd, rtPtr: this.rtPtr, ctxPtr: this.ctxPtr, internalPtrs: this.internalPtrs, randomStateOffset: this.randomStateOffset, keyOffset: this.keyOffset ?? null };
    const header = Buffer.from(JSON.stringify({ ...layout, chunks: this.image.map((c) => [c.offset, c.bytes.length]) }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    return Buffer.concat([length, header, ...this.image.map((c) => c.bytes)]);
  }

  /** A template from serialize()'s bytes; throws on anything malformed (the caller boots a fresh one instead). */
  static deserialize(bytes: Buffer): SandboxTemplate {
    const headerLength = bytes.readUInt32LE(0);
    const h = JSON.parse(bytes.subarray(4, 4 + headerLength).toString()) as Record<string, unknown>;
    const offset = (v: unknown): number => {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new IsolatorError("a saved template's layout is malformed");
      return v;
    };
    const internalPtrs = {} as Record<keyof GuestInternals, number>;
    for (const name of INTERNAL_NAMES) internalPtrs[name] = offset((h.internalPtrs as Record<string, unknown> | undefined)?.[name]);
    const image: Chunk[] = [];
    let at = 4 + headerLength;
    let end = 0;
    for (const chunk of Array.isArray(h.chunks) ? (h.chunks as unknown[]) : []) {
      const [start, length] = Array.isArray(chunk) ? chunk.map(offset) : [];
      if (start === undefined || length === undefined || start < end || at + length > bytes.length) throw new IsolatorError("a saved template's image is malformed");
      image.push({ offset: start, bytes: new Uint8Array(bytes.subarray(at, at + length)) });
      at += length;
      end = start + length;
    }
    if (at !== bytes.length || offset(h.imageEnd) !== end) throw new IsolatorError("a saved template's image is malformed");
    return new SandboxTemplate(image, end, offset(h.rtPtr), offset(h.ctxPtr), internalPtrs, offset(h.randomStateOffset), h.keyOffset === null ? undefined : offset(h.keyOffset));
  }

  /** A new sandbox: a fresh instance holding a copy of the template's memory. */
  instantiate(newInstance: NewInstance, memoryLimit: number, onAbort: (reason: unknown) => void, natives: NativeFunctions): Sandbox {
    const engine = newInstance(memoryLimit, onAbort, this.imageEnd);
    const memory = new Uint8Array(engine.memory.buffer);
    for (const chunk of this.image) memory.set(chunk.bytes, chunk.offset);
    // Each context seeds Math.random once, at creation: give every copy its own seed, and its own
    // key for crypto.getRandomValues and the like.
    const seed = systemRandom(8);
    seed[0]! |= 1; // never all zero: xorshift would stick
    memory.set(seed, this.ctxPtr + this.randomStateOffset);
    if (this.keyOffset !== undefined) memory.set(systemRandom(SEED_BYTES), this.keyOffset);
    const module = engine.module as unknown as ModuleInternals;
    const rt = new QuickJSRuntime({
      module: module.module,
      callbacks: module.callbacks,
      ffi: engine.ffi,
      rt: new Lifetime(this.rtPtr),
    } as unknown as ConstructorParameters<typeof QuickJSRuntime>[0]);
    for (const name of NATIVE_NAMES) (rt as unknown as RuntimeInternals).hostRefs.put(natives[name]);
    const ctx = rt.newContext({ contextPointer: this.ctxPtr } as unknown as Parameters<QuickJSRuntime["newContext"]>[0]);
    const heap = (ctx as unknown as ContextInternals).memory;
    const internals = {} as InternalHandles;
    for (const name of INTERNAL_NAMES) internals[name] = heap.heapValueHandle(this.internalPtrs[name]);
    return { engine, rt, ctx, internals };
  }
}

/** System randomness drawn 4 KiB at a time: one call per 100 runtimes. */
let entropy = Buffer.alloc(0);
let entropyUsed = 0;

/** `length` bytes of system randomness, never handed out twice. */
function systemRandom(length: number): Buffer {
  if (entropyUsed + length > entropy.length) {
    entropy = randomBytes(4096);
    entropyUsed = 0;
  }
  return entropy.subarray(entropyUsed, (entropyUsed += length));
}

interface Chunk {
  offset: number;
  bytes: Uint8Array;
}

/**
 * The image as its non-zero stretches: a fresh memory is zeroed, so the engine's 5 MiB stack
 * (dead frames only, between calls) and the untouched heap need no copying.
 */
function nonZeroChunks(memory: Uint8Array): Chunk[] {
  const BLOCK = 4096;
  // Word by word, stopping at a block's first non-zero word: a plain loop the JIT compiles, far
  // cheaper than a Buffer comparison per block (which dominated a template's cost).
  const words = new Uint32Array(memory.buffer, memory.byteOffset, memory.byteLength >>> 2);
  const isZero = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (words[i] !== 0) return false;
    return true;
  };
  const chunks: Chunk[] = [];
  let start = -1;
  for (let block = 0; block * BLOCK < memory.length; block++) {
    const zero = isZero((block * BLOCK) >>> 2, Math.min(words.length, ((block + 1) * BLOCK) >>> 2));
    if (!zero && start < 0) start = block * BLOCK;
    if (zero && start >= 0) {
      chunks.push({ offset: start, bytes: memory.slice(start, block * BLOCK) });
      start = -1;
    }
  }
  if (start >= 0) chunks.push({ offset: start, bytes: memory.slice(start) });
  return chunks;
}

/**
 * QuickJS seeds a context's Math.random state from the clock (microseconds) when the context
 * is created. Find that 8-byte field inside the context struct by its value, so copies can be
 * reseeded; fail loudly if the engine ever stops matching this.
 */
function findRandomState(memory: Uint8Array, ctxPtr: number, from: bigint, to: bigint): number {
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  for (let offset = 0; offset < 2048; offset += 8) {
    const v = view.getBigUint64(ctxPtr + offset, true);
    if (v >= from && v <= to) return offset;
  }
  throw new IsolatorError("isolator: could not locate the engine's Math.random state; the pinned engine changed");
}

/** The guest's random key, found by the marker it was filled with: it must occur exactly once. */
function findKey(memory: Uint8Array, marker: Uint8Array): number {
  const bytes = Buffer.from(memory.buffer, memory.byteOffset, memory.byteLength);
  const at = bytes.indexOf(marker);
  if (at < 0 || bytes.indexOf(marker, at + 1) >= 0) throw new IsolatorError("isolator: could not locate the guest's random key in the template");
  return at;
}
