import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { IsolatorError } from "../errors.js";
import { addRejectionHook, type RejectionHook } from "./rejection-hook.js";

/**
 * The emscripten glue that ships with quickjs-emscripten is an `async` factory, but
 * `new IsolatedRuntime(host)` is synchronous and gets its own WebAssembly instance. The
 * glue only awaits to instantiate; with an `instantiateWasm` hook that answers at once, its
 * work is synchronous. We evaluate the pinned glue once per host with those awaits removed,
 * and fail loudly if the pinned text ever changes shape.
 */
const require = createRequire(import.meta.url);
const GLUE_PATH = require.resolve("@jitl/quickjs-wasmfile-release-sync/emscripten-module");
const WASM_PATH = require.resolve("@jitl/quickjs-wasmfile-release-sync/wasm");

const PATCHES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^async function QuickJSRaw\(/, "function QuickJSRaw("],
  [/(\w+)=await \(async function\(\)\{/, "$1=(function(){"],
  [
    /if\((\w+)\.instantiateWasm\)return new Promise\((\w+)=>\{\1\.instantiateWasm\((\w+),\((\w+),(\w+)\)=>\{\2\((\w+)\(\4,\5\)\)\}\)\}\);/,
    "if($1.instantiateWasm)return $6($1.instantiateWasm($3));",
  ],
  [/return (\w+)\(\(await \w+\(\w+\)\)\.instance\)/, 'throw new Error("synchronous instantiation only")'],
];

export interface EmscriptenModuleOptions {
  wasmMemory: WebAssembly.Memory;
  instantiateWasm: (imports: WebAssembly.Imports) => WebAssembly.Instance;
  print: (text: string) => void;
  printErr: (text: string) => void;
  onAbort: (reason: unknown) => void;
  thisProgram: string;
}

/** The emscripten module object, as quickjs-emscripten's FFI and module classes take it. */
export interface EmscriptenGlue {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

export type SyncModuleFactory = (options: EmscriptenModuleOptions) => EmscriptenGlue;

/** The names of the instance's stack-pointer exports (minified by the build). */
export interface StackExports {
  save: string;
  restore: string;
}

export interface LoadedEngine {
  wasmModule: WebAssembly.Module;
  factory: SyncModuleFactory;
  stack: StackExports;
  rejectionHook: Omit<RejectionHook, "bytes">;
  /** A hash of the engine as compiled (glue and WebAssembly): a saved memory image fits only the same engine. */
  fingerprint: string;
}

/** Compiles the engine once (with the promise rejection hook added): the module, a synchronous glue factory, its stack exports. */
export function loadEngine(): LoadedEngine {
  let source = readFileSync(GLUE_PATH, "utf8");
  const stack = stackExports(source);
  for (const [pattern, replacement] of PATCHES) {
    if (!pattern.test(source)) {
      throw new IsolatorError(`isolator: the engine glue at ${GLUE_PATH} is not the pinned version (pattern ${pattern} not found)`);
    }
    source = source.replace(pattern, replacement);
  }
  const moduleShim = { exports: {} as { default?: unknown } };
  new Function("require", "__dirname", "module", "exports", source)(require, dirname(GLUE_PATH), moduleShim, moduleShim.exports);
  const factory = moduleShim.exports as unknown as SyncModuleFactory;
  const { bytes, ...rejectionHook } = addRejectionHook(readFileSync(WASM_PATH));
  const wasmModule = new WebAssembly.Module(bytes);
  const fingerprint = createHash("sha256").update(source).update(bytes).digest("hex");
  return { wasmModule, factory, stack, rejectionHook, fingerprint };
}

/**
 * The glue's cwrap saves and restores the stack pointer around calls that pass strings or arrays:
 * those two helpers are the instance's stackSave/stackRestore exports. Found by that use, then by
 * the export each helper is bound to.
 */
function stackExports(source: string): StackExports {
  const save = /0===(\w+)&&\(\1=(\w+)\(\)\)/.exec(source)?.[2];
  const restore = /0!==(\w+)&&(\w+)\(\1\)/.exec(source)?.[2];
  const exportOf = (local: string | undefined) => (local === undefined ? undefined : new RegExp(`[;,]${local.replace(/\$/g, "\\$")}=\\w+\\.(\\w+)`).exec(source)?.[1]);
  const names = { save: exportOf(save), restore: exportOf(restore) };
  if (names.save === undefined || names.restore === undefined) {
    throw new IsolatorError(`isolator: the engine glue at ${GLUE_PATH} is not the pinned version (stack helpers not found)`);
  }
  return names as StackExports;
}
