import { QuickJSFFI } from "@jitl/quickjs-wasmfile-release-sync/ffi";
import { QuickJSWASMModule } from "quickjs-emscripten-core";
import { createTape } from "./codec/tape.js";
import { createFormatter } from "./guest/format.js";
import { captureIntrinsics } from "./guest/intrinsics.js";
import { loadEngine, type SyncModuleFactory } from "./engine/emscripten-sync.js";
import { SandboxTemplate, type NativeFunctions, type Sandbox } from "./engine/sandbox.js";
import { IsolatedRuntimeDisposedError } from "./errors.js";
import { prelude } from "./guest/prelude.js";

const PAGE = 64 * 1024;
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
  readonly #runtimes = new Set<Owned>();
  #disposed = false;
  /** Guest sources, built once per host: the prelude runs in every runtime, the rest on first need. */
  readonly #sources = {
    prelude: `(${prelude.toString()})(globalThis, globalThis.__isolatorNatives, ${captureIntrinsics.toString()})`,
    tape: `(${createTape.toString()})`,
    format: `(${createFormatter.toString()})`,
  };

  readonly #template: SandboxTemplate;

  constructor() {
    const engine = loadEngine();
    this.#wasmModule = engine.wasmModule;
    this.#factory = engine.factory;
    this.#template = SandboxTemplate.create((limit, onAbort, min) => this.#newInstance(limit, onAbort, min), this.#sources.prelude);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** @internal */
  get [hostInternals]() {
    return {
      sources: this.#sources,
      newSandbox: (memoryLimit: number, onAbort: (reason: unknown) => void, natives: NativeFunctions): Sandbox => {
        this.#assertAlive();
        return this.#template.instantiate((limit, abort, min) => this.#newInstance(limit, abort, min), memoryLimit, onAbort, natives);
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

  #newInstance(memoryLimit: number, onAbort: (reason: unknown) => void, minimumBytes = 0): EngineInstance {
    // A fixed maximum is what makes the limit hard: the engine's own allocator limit is not.
    const initial = Math.max(ENGINE_BASE_MEMORY, minimumBytes);
    const pages = Math.ceil(Math.max(initial, memoryLimit) / PAGE);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(initial / PAGE), maximum: pages });
    const quiet = () => undefined;
    const emscripten = this.#factory({
      wasmMemory: memory,
      instantiateWasm: (imports) => new WebAssembly.Instance(this.#wasmModule, imports),
      print: quiet,
      printErr: quiet,
      onAbort,
    });
    const ffi = new QuickJSFFI(emscripten as ConstructorParameters<typeof QuickJSFFI>[0]);
    const module = new QuickJSWASMModule(emscripten as ConstructorParameters<typeof QuickJSWASMModule>[0], ffi);
    return { module, ffi, memory, malloc: (bytes) => emscripten._malloc(bytes), free: (pointer) => emscripten._free(pointer) };
  }

  /** Disposes every runtime created on this host, then the host. Never throws. */
  dispose(): void {
    if (this.#disposed) return;
    for (const runtime of [...this.#runtimes]) runtime.dispose();
    this.#disposed = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
