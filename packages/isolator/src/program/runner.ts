/**
 * Runs a program — one source or a set of files with an entry — in a fresh runtime, the way
 * `node main.js` would: stdin, argv, exit codes, console and process.stdout/stderr output
 * captured as ordered chunks, everything it scheduled run to completion, under limits.
 */
import { IsolatedError, IsolatedMemoryError, IsolatedRuntimeFaultedError, IsolatedTimeoutError, IsolatorError } from "../errors.js";
import type { IsolatedRuntimeHost } from "../host.js";
import { IsolatedRuntime } from "../runtime.js";
import { programSupport, type ModuleResolver } from "./support.js";
import type { TraceMap } from "@jridgewell/trace-mapping";
import { isTypeScript, transpile } from "../transpile.js";
import type { ProgramConfig } from "./environment.js";
import { ProgramOutput } from "./output.js";
import { someLineBegins } from "../source-lines.js";
import { boundErrorText } from "./error-text.js";
import { builtinModuleSource } from "../stdlib/modules.js";

export type Language = "typescript" | "javascript";
export type ProgramSource = string | { files: Record<string, string>; entry: string };
export type RunStatus = "succeeded" | "failed" | "timed_out" | "memory_exceeded" | "output_exceeded" | "cancelled" | "crashed";

/**
 * Output written close together, in order. Writes to both streams within one chunk are ordered
 * segments: `stream` is the first segment's, and each offset in `switches` (UTF-16 positions in
 * `text`, increasing) starts a segment of the other stream. Read it with `outputSegments`.
 */
export interface OutputChunk {
  stream: "stdout" | "stderr";
  text: string;
  /** Where the stream flips within `text`; absent when the whole chunk is one stream. */
  switches?: number[];
  /** Milliseconds since the program started. */
  timeMs: number;
}

export interface ProgramOptions {
  language?: Language;
  stdin?: string;
  args?: string[];
  timeLimit?: number;
  memoryLimit?: number;
  stackLimit?: number;
  /**
   * Bytes of stdout + stderr; past it the program stops with `output_exceeded`. Default 1 MiB.
   * The error's name, message and stack get the same budget again, apart (cut with a marker).
   */
  maxOutputBytes?: number;
  /** Show a throwing callback's message to the program (never its stack). Default false. */
  exposeHostErrors?: boolean;
}

export interface RunError {
  name: string;
  message: string;
  stack: string;
}

export interface RunResult {
  status: RunStatus;
  /** The process exit code; null when the program did not end by itself (limits, cancel, crash). */
  exitCode: number | null;
  error?: RunError;
  output: OutputChunk[];
  stats: { queuedMs: number; runMs: number; cpuMs: number; memoryPeakBytes: number };
}

/** Program files, transpiled, with the entry's name and whether it is an ES module. */
export function prepareProgram(program: ProgramSource, language?: Language): { files: Map<string, string>; entry: string; module: boolean; maps: Map<string, TraceMap> } {
  const given = typeof program === "string" ? { files: { [language === "javascript" ? "main.js" : "main.ts"]: program }, entry: "" } : program;
  if (typeof given.files !== "object" || given.files === null) throw new IsolatorError("a program needs a source or { files, entry }");
  const names = Object.keys(given.files);
  const entry = programPath(given.entry || names[0] || "main.js");
  const files = new Map<string, string>();
  const maps = new Map<string, TraceMap>();
  const diagnostics: string[] = [];
  for (const name of names) {
    const source = given.files[name];
    if (typeof source !== "string") throw new IsolatorError(`file '${name}' must be text`);
    const file = programPath(name);
    const ts = language === "typescript" ? !/\.(c|m)?jsx?$/.test(file) || isTypeScript(file) : isTypeScript(file);
    if (!ts) {
      files.set(file, source);
      continue;
    }
    const out = transpile(file, source);
    for (const d of out.diagnostics) diagnostics.push(`${d.file}:${d.line}:${d.column}: ${d.message}`);
    files.set(file, out.code);
    if (out.map) maps.set(file, out.map);
  }
  if (diagnostics.length > 0) throw new ProgramSyntaxError(diagnostics.join("\n"));
  if (!files.has(entry)) throw new IsolatorError(`the entry file '${entry}' is not among the program's files`);
  const module = files.size > 1 || someLineBegins(files.get(entry)!, /(import|export)\b/y);
  return { files, entry, module, maps };
}

export class ProgramSyntaxError extends IsolatorError {
  override name = "SyntaxError";
}

/** A program file's module path: "main.ts", "./lib/x.ts", "lib\\x.ts" -> "/main.ts", "/lib/x.ts" (never above the root). */
export function programPath(name: string): string {
  const parts: string[] = [];
  for (const part of name.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** Relative imports among the program's files (TypeScript's ".js means .ts" included), and the built-in shims. */
function resolver(files: Map<string, string>): ModuleResolver {
  return (specifier, referrer) => {
    const builtin = specifier.replace(/^node:/, "");
    const source = builtinModuleSource(builtin);
    if (source !== undefined) return { filename: `node:${builtin}`, source };
    if (specifier === "isolator/guest") return { filename: "isolator/guest", source: "export const host = globalThis.IsolatorHost;" };
    if (!specifier.startsWith(".") && !specifier.startsWith("/")) return undefined;
    const base = referrer.startsWith("/") ? referrer.slice(0, referrer.lastIndexOf("/") + 1) : "/";
    const path = programPath(specifier.startsWith("/") ? specifier : base + specifier);
    const stem = path.replace(/\.(m|c)?js$/, "");
    for (const candidate of [path, `${stem}.ts`, `${stem}.mts`, `${path}.ts`, `${path}.js`, `${path}/index.ts`, `${path}/index.js`]) {
      const source = files.get(candidate);
      if (source !== undefined) return { filename: candidate, source };
    }
    return undefined;
  };
}

export interface ProgramHooks {
  onOutput?: (chunk: OutputChunk) => void;
  /** Registers extra host callbacks on the program's runtime (the pool's). */
  setup?: (runtime: IsolatedRuntime) => void;
}

export async function runProgram(host: IsolatedRuntimeHost, program: ProgramSource, options: ProgramOptions = {}, hooks: ProgramHooks = {}): Promise<RunResult> {
  const started = performance.now();
  const maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
  const output = new ProgramOutput(maxOutputBytes, started, hooks.onOutput, () => runtime[programSupport].exit(1));
  let exitCodeProperty: number | null = null;
  const result = (status: RunStatus, exitCode: number | null, memoryPeakBytes: number, error?: RunError): RunResult => {
    output.flush();
    return { status, exitCode, ...(error ? { error: boundErrorText(error, maxOutputBytes) } : {}), output: output.chunks, stats: { queuedMs: 0, runMs: performance.now() - started, cpuMs: 0, memoryPeakBytes } };
  };

  let prepared;
  try {
    prepared = prepareProgram(program, options.language);
  } catch (e) {
    if (e instanceof ProgramSyntaxError) return result("failed", 1, 0, { name: "SyntaxError", message: e.message, stack: "" });
    throw e;
  }

  const write = (stream: "stdout" | "stderr", text: string) => output.write(stream, text);

  const runtime: IsolatedRuntime = new IsolatedRuntime(host, {
    ...(options.timeLimit !== undefined ? { timeLimit: options.timeLimit } : {}),
    ...(options.memoryLimit !== undefined ? { memoryLimit: options.memoryLimit } : {}),
    ...(options.stackLimit !== undefined ? { stackLimit: options.stackLimit } : {}),
    exposeHostErrors: options.exposeHostErrors ?? false,
    maxOutputBytes: Number.MAX_SAFE_INTEGER, // this runner enforces the program's own limit
    [programSupport]: true, // start from the host's program template (environment installed)
    console: ({ level, text }) => write(level === "warn" || level === "error" ? "stderr" : "stdout", `${text}\n`),
  });
  const finish = (status: RunStatus, exitCode: number | null, error?: RunError) => result(status, exitCode, runtime.memoryUsage, error);
  try {
    runtime.registerCallback("isolator:write", (stream: string, text: string) => write(stream === "stderr" ? "stderr" : "stdout", String(text)));
    // An exit status is 8 bits, as the operating system keeps it: exit(300) is 44, exit(-1) is 255.
    runtime.registerCallback("isolator:exit", (code: number) => runtime[programSupport].exit(Number.isInteger(code) ? code & 0xff : 1));
    runtime.registerCallback("isolator:exitCode", (code: number | null) => {
      exitCodeProperty = typeof code === "number" && Number.isInteger(code) ? code & 0xff : null;
    });
    runtime[programSupport].onPoll(() => output.flushIfDue()); // held-back output goes out while the guest computes
    hooks.setup?.(runtime);
    const config: ProgramConfig = { argv: ["node", prepared.entry, ...(options.args ?? []).map(String)], stdin: options.stdin ?? "", startedAt: Date.now() };
    runtime.registerCallback("isolator:config", () => config);
    const main = { filename: prepared.entry, source: prepared.files.get(prepared.entry)!, module: prepared.module };
    const exited = await runtime[programSupport].runMain(main, prepared.module ? resolver(prepared.files) : undefined, prepared.maps);
    if (output.exceeded) return finish("output_exceeded", null);
    const exitCode = exited ?? exitCodeProperty ?? 0;
    return finish(exitCode === 0 ? "succeeded" : "failed", exitCode);
  } catch (e) {
    if (output.exceeded) return finish("output_exceeded", null);
    if (e instanceof IsolatedTimeoutError) return finish("timed_out", null, describe(e));
    if (e instanceof IsolatedMemoryError) return finish("memory_exceeded", null, describe(e));
    // An engine abort as its memory runs out is the memory limit at work, not a crash.
    if (e instanceof IsolatedRuntimeFaultedError) return finish(runtime.memoryUsage >= runtime.limits.memoryLimit * 0.9 ? "memory_exceeded" : "crashed", null, describe(e));
    if (e instanceof IsolatedError) return finish("failed", 1, { name: e.guestName, message: e.message, stack: e.guestStack });
    throw e;
  } finally {
    runtime.dispose();
  }
}

function describe(e: Error): RunError {
  return { name: e.name, message: e.message, stack: "" };
}
