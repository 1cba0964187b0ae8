import { QuickJSFFI } from "@jitl/quickjs-wasmfile-release-sync/ffi";
import { QuickJSWASMModule } from "quickjs-emscripten-core";
import { runtimePointer, verifyHeapLayout } from "./engine/heap-arrays.js";
import { createTape } from "./codec/tape.js";
import { createFormatter } from "./guest/format.js";
import { createObjectTable } from "./guest/objects.js";
import { captureIntrinsics } from "./guest/intrinsics.js";
import { loadEngine, type StackExports, type SyncModuleFactory } from "./engine/emscripten-sync.js";
import { findBreakAddress, programBreak, restingStackPointer, trustworthy, wipe } from "./engine/recycle.js";
import { receiveRejections, type RejectionHook, type RejectionListener } from "./engine/rejection-hook.js";
import { loadTemplate, saveTemplate, templateKey } from "./engine/saved-templates.js";
import { SandboxTemplate, type NativeFunctions, type Sandbox } from "./engine/sandbox.js";
import { IsolatedRuntimeDisposedError, IsolatorError } from "./errors.js";
import { lambdaSource } from "./lambda.js";
import type { OwnerRef } from "./objects.js";
import { prelude } from "./guest/prelude.js";
import { ModuleRegistry, projectDirectory, type ModuleLoader } from "./modules/loaders.js";
import { installProgram } from "./program/environment.js";
import { stdlibScript, withoutStdlib } from "./stdlib/bundle.js";

const PAGE = 64 * 1024;
const MAX_SPARE_ENGINES = 8;
const MAX_RECYCLED_BYTES = 32 * 1024 * 1024;
export type SandboxKind = "plain" | "program";
/** The engine's image needs this much linear memory from the start (its declared minimum). */
export const ENGINE_BASE_MEMORY = 256 * PAGE;

/** One engine instance: its own WebAssembly instance and linear memory. */
export interface EngineInstance {
  module: QuickJSWASMModule;
  ffi: QuickJSFFI;
  memory: WebAssembly.Memory;
  /** The engine's allocator: 0 when the runtime's memory is full. */
  malloc(bytes: number): number;
  /** Frees a block the engine's allocator returned (e.g. a copied-out buffer). */
  free(pointer: number): void;
  /** Where an engine abort goes: the runtime using the instance now. */
  onAbort: (reason: unknown) => void;
  /** Where the engine's promise rejection tracker reports (rejection-hook.ts): the runtime using the instance now. */
  onRejection: RejectionListener;
  /** Whether no call is under way in the instance: its stack pointer is where it starts. */
  atRest(): boolean;
  /** Where the stack starts: static data and the stack lie below, the heap above. */
  heapStart: number;
  /** The engine's program break: what it has used of its memory. */
  programBreak(): number;
}

/** A runtime's fixed memory maximum: its limit, but never below what the engine needs. */
function maximumPages(memoryLimit: number, minimumBytes: number): number {
  return Math.ceil(Math.max(ENGINE_BASE_MEMORY, minimumBytes, memoryLimit) / PAGE);
}

const ignoreRejection: RejectionListener = () => undefined;
const inert = () => undefined;
const INERT_NATIVES: NativeFunctions = { call: inert, callAsync: inert, console: inert, load: inert };

/** A sandbox of a new template reports a rejection without a handler, then its handling; fails loudly otherwise. */
function verifyRejectionHook(sandbox: Sandbox): void {
  const seen: boolean[] = [];
  sandbox.engine.onRejection = (_promise, _reason, handled) => seen.push(handled);
  sandbox.ctx.unwrapResult(sandbox.ctx.evalCode("globalThis.rejected = Promise.reject(1)")).dispose();
  sandbox.ctx.unwrapResult(sandbox.ctx.evalCode("rejected.catch(() => {})")).dispose();
  if (seen.join() !== "false,true") throw new IsolatorError(`isolator: the engine's promise rejection hook reported [${seen.join()}]; the pinned engine changed`);
}

/** Host internals the runtimes use; not part of the public API. */
export const hostInternals = Symbol("isolator.host");

interface Owned {
  dispose(): void;
}

/**
 * Loads and compiles the engine once. Shareable by any number of runtimes; holds no
 * per-runtime state beyond the list it disposes with itself.
 */
export class IsolatedRuntimeHost implements Disposable {
  readonly #wasmModule: WebAssembly.Module;
  readonly #factory: SyncModuleFactory;
  readonly #stackExports: StackExports;
  readonly #rejectionHook: Omit<RejectionHook, "bytes">;
  /** Where the engine keeps its program break (the same in every instance). */
  readonly #breakAddress: number;
  /** Wiping never stops below the templates' images, whatever a previous runtime left as its break. */
  #wipeFloor = 0;
  /** No runtime's break is below the smallest template image: one that is was overwritten. */
  #lowestBreak = Infinity;
  readonly #runtimes = new Set<Owned>();
  readonly #modules = new ModuleRegistry();
  /** The host half of the tape, with this host's registered classes. */
  readonly #tape = createTape(captureIntrinsics(globalThis), { privateViews: true });
  readonly #classes: { name: string; ctor: abstract new (...args: never[]) => unknown; owner: OwnerRef }[] = [];
  #disposed = false;
  /** The guest standard library, run in every template after the prelude. */
  readonly #stdlib = stdlibScript();
  readonly #withStdlib: boolean;
  readonly #templateCache: string | undefined;
  readonly #fingerprint: string;
  /** Guest sources, built once per host: the prelude runs in every runtime, the rest on first need. */
  readonly #sources = {
    prelude: `(${prelude.toString()})(globalThis, globalThis.__isolatorNatives, ${captureIntrinsics.toString()})`,
    program: `(${installProgram.toString()})(globalThis)`,
    tape: `(${createTape.toString()})`,
    format: `(${createFormatter.toString()})`,
    objects: `(${createObjectTable.toString()})`,
  };

  /** Memory images to start runtimes from: prelude + standard library, and (made on first use) with the program environment too. */
  readonly #templates: Partial<Record<SandboxKind, SandboxTemplate>> = {};
  /** Instances of disposed runtimes, by memory maximum in pages, reused after their memory is zeroed. */
  readonly #spareEngines = new Map<number, EngineInstance[]>();
  #spareCount = 0;

  /**
   * `templateCache`: a directory (writable by its owner only) where the memory images runtimes start
   * from are saved, so the next process with the same engine and library starts without booting them.
   */
  constructor(options: { [withoutStdlib]?: boolean; templateCache?: string } = {}) {
    this.#withStdlib = options[withoutStdlib] !== true;
    this.#templateCache = options.templateCache;
    const engine = loadEngine();
    this.#fingerprint = engine.fingerprint;
    this.#wasmModule = engine.wasmModule;
    this.#factory = engine.factory;
    this.#stackExports = engine.stack;
    this.#rejectionHook = engine.rejectionHook;
    const probe = this.#newInstance(ENGINE_BASE_MEMORY * 2, () => undefined, 0, false);
    this.#breakAddress = findBreakAddress(probe.memory, probe.heapStart, probe);
    // Templates are booted on first use: a program-only host (a pool worker, the CLI) never boots "plain".
  }

  #template(kind: SandboxKind): SandboxTemplate {
    const existing = this.#templates[kind];
    if (existing) return existing;
    const base = this.#withStdlib ? [this.#sources.prelude, this.#stdlib.script] : [this.#sources.prelude];
    const scripts = kind === "plain" ? base : [...base, this.#sources.program];
    // The standard library's key marker is random per host (each instance gets its own key anyway): not part of the key.
    const marker = Buffer.from(this.#stdlib.seedMarker).toString("hex");
    const key = templateKey([this.#fingerprint, this.#rejectionHook.tableIndex, this.#breakAddress, ENGINE_BASE_MEMORY, ...scripts.map((script) => script.replace(marker, ""))]);
    let template = this.#templateCache === undefined ? undefined : loadTemplate(this.#templateCache, key);
    try {
      if (template) this.#verify(template);
    } catch {
      template = undefined; // a saved image that does not behave: boot afresh, and replace it
    }
    if (!template) {
      template = this.#bootTemplate(scripts);
      this.#verify(template);
      if (this.#templateCache !== undefined) saveTemplate(this.#templateCache, key, template);
    }
    this.#wipeFloor = Math.max(this.#wipeFloor, template.imageEnd);
    this.#lowestBreak = Math.min(this.#lowestBreak, template.imageEnd);
    return (this.#templates[kind] = template);
  }

  #bootTemplate(scripts: string[]): SandboxTemplate {
    // A template boots the engine on memory as instantiation leaves it: never on a wiped, reused one.
    const freshInstance = (limit: number, onAbort: (reason: unknown) => void, min?: number) => this.#newInstance(limit, onAbort, min, false);
    return SandboxTemplate.create(freshInstance, scripts, this.#rejectionHook.tableIndex, this.#withStdlib ? this.#stdlib.seedMarker : undefined);
  }

  /** Throws unless a sandbox of the template shows the engine's hooks and heap as expected. */
  #verify(template: SandboxTemplate): void {
    const probe = template.instantiate(this.#instance, ENGINE_BASE_MEMORY, () => undefined, INERT_NATIVES);
    verifyRejectionHook(probe);
    verifyHeapLayout({ memory: probe.engine.memory, runtimePointer: runtimePointer(probe.rt) }, probe.ctx);
  }

  /**
   * Grants the host app's own package directory (the nearest package.json above the entry script),
   * its node_modules included. Returns the host, for chaining.
   */
  withProjectModuleLoader(): this {
    this.#modules.addDirectory(projectDirectory());
    return this;
  }

  /**
   * Lets instances of `Class` keep their class across the boundary, both ways: they arrive with its
   * prototype (the constructor does not run). In the guest the class is the export of the same name
   * of `module` (a specifier the loaders resolve), or, without one, the class's own source, which
   * must be self-contained. Register classes before creating runtimes. Guest values arrive as a class
   * only if the host registered it; everything else arrives as plain data.
   */
  withClass(Class: abstract new (...args: never[]) => unknown, module?: string): this {
    const name = Class.name;
    if (typeof Class !== "function" || !name) throw new IsolatorError("withClass takes a named class");
    if (this.#classes.some((c) => c.name === name)) throw new IsolatorError(`a class named ${name} is already registered`);
    this.#tape.registerClass(name, Class as unknown as { prototype: object });
    this.#classes.push({ name, ctor: Class, owner: module === undefined ? { source: lambdaSource(Class as never, "class") } : { specifier: module, exportName: name } });
    return this;
  }

  /** Grants the modules under `directory`, packages in node_modules directories inside it included (by real path: nothing outside it). */
  withDirectoryModuleLoader(directory: string): this {
    this.#modules.addDirectory(directory);
    return this;
  }

  /** Grants what `loader` returns for a specifier (undefined passes to the next loader). */
  withModuleLoader(loader: ModuleLoader): this {
    this.#modules.addCustom(loader);
    return this;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** @internal */
  get [hostInternals]() {
    return {
      sources: this.#sources,
      modules: this.#modules,
      tape: this.#tape,
      classes: this.#classes,
      /** Bytes of a template's image that are not zero (what every new runtime copies). */
      imageBytes: (kind: SandboxKind) => this.#template(kind).imageBytes,
      newSandbox: (kind: SandboxKind, memoryLimit: number, onAbort: (reason: unknown) => void, natives: NativeFunctions): Sandbox => {
        this.#assertAlive();
        return this.#template(kind).instantiate(this.#instance, memoryLimit, onAbort, natives);
      },
      /**
       * A disposed, healthy runtime's instance: kept for reuse unless a call is still under way in it,
       * its memory grew large, or enough are kept.
       */
      recycle: (engine: EngineInstance, memoryLimit: number) => {
        if (this.#disposed || this.#spareCount >= MAX_SPARE_ENGINES || engine.memory.buffer.byteLength > MAX_RECYCLED_BYTES) return;
        if (!engine.atRest() || !trustworthy(engine.memory, this.#breakAddress, engine.heapStart, this.#lowestBreak)) return;
        const pages = maximumPages(memoryLimit, 0);
        const list = this.#spareEngines.get(pages) ?? [];
        list.push(engine);
        this.#spareEngines.set(pages, list);
        this.#spareCount++;
      },
      track: (runtime: Owned) => {
        this.#assertAlive();
        this.#runtimes.add(runtime);
      },
      untrack: (runtime: Owned) => this.#runtimes.delete(runtime),
    };
  }

  #assertAlive(): void {
    if (this.#disposed) throw new IsolatedRuntimeDisposedError("the IsolatedRuntimeHost has been disposed");
  }

  /** An instance for a runtime: a spare one when there is one. */
  readonly #instance = (memoryLimit: number, onAbort: (reason: unknown) => void, minimumBytes?: number) => this.#newInstance(memoryLimit, onAbort, minimumBytes);

  #newInstance(memoryLimit: number, onAbort: (reason: unknown) => void, minimumBytes = 0, reuse = true): EngineInstance {
    const pages = maximumPages(memoryLimit, minimumBytes);
    const spare = reuse ? this.#spareEngine(pages, minimumBytes) : undefined;
    if (spare) {
      spare.onAbort = onAbort;
      spare.onRejection = ignoreRejection;
      return spare;
    }
    // A fixed maximum is what makes the limit hard: the engine's own allocator limit is not.
    const initial = Math.max(ENGINE_BASE_MEMORY, minimumBytes);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(initial / PAGE), maximum: pages });
    const quiet = () => undefined;
    let instance: WebAssembly.Instance | undefined;
    const emscripten = this.#factory({
      wasmMemory: memory,
      instantiateWasm: (imports) => {
        const hooked = receiveRejections(imports, this.#rejectionHook, (promise, reason, handled) => engine.onRejection(promise, reason, handled), (e) => engine.onAbort(e));
        return (instance = new WebAssembly.Instance(this.#wasmModule, hooked));
      },
      print: quiet,
      printErr: quiet,
      thisProgram: "./this.program", // else the glue puts the host's script path in the guest's environment block
      onAbort: (reason) => engine.onAbort(reason),
    });
    const ffi = new QuickJSFFI(emscripten as ConstructorParameters<typeof QuickJSFFI>[0]);
    const module = new QuickJSWASMModule(emscripten as ConstructorParameters<typeof QuickJSWASMModule>[0], ffi);
    const stackPointer = instance!.exports[this.#stackExports.save] as () => number;
    const resting = restingStackPointer(stackPointer, instance!.exports[this.#stackExports.restore] as (pointer: number) => void);
    const engine: EngineInstance = {
      module,
      ffi,
      memory,
      malloc: (bytes) => emscripten._malloc(bytes),
      free: (pointer) => emscripten._free(pointer),
      onAbort,
      onRejection: ignoreRejection,
      atRest: () => stackPointer() === resting,
      heapStart: resting,
      programBreak: () => programBreak(memory, this.#breakAddress),
    };
    return engine;
  }

  /**
   * A spare instance, wiped (engine/recycle.ts): nothing of the previous runtime reaches the next
   * one. Much cheaper than a new instance and memory.
   */
  #spareEngine(pages: number, minimumBytes: number): EngineInstance | undefined {
    const engine = this.#spareEngines.get(pages)?.pop();
    if (engine === undefined) return undefined;
    this.#spareCount--;
    if (engine.memory.buffer.byteLength < minimumBytes) return undefined;
    wipe(engine.memory, Math.max(engine.programBreak(), this.#wipeFloor));
    return engine;
  }

  /** Disposes every runtime created on this host, then the host. Never throws. */
  dispose(): void {
    if (this.#disposed) return;
    for (const runtime of [...this.#runtimes]) runtime.dispose();
    this.#disposed = true;
    this.#spareEngines.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
