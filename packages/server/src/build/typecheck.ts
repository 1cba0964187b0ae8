/**
 * Type-checks a program's files against what its runtime offers: for QuickJS, ECMAScript 2023
 * (without SharedArrayBuffer and Atomics, which the sandbox removes) plus SANDBOX_GLOBALS; for
 * Node.js, ECMAScript 2023 plus Node's own types (@types/node), so every Node module (`os`,
 * `child_process`, all of `fs`) type-checks there and stays an error for QuickJS beyond what its
 * sandbox offers. A warm checker: each runtime's lib files are read
 * and parsed once per TypeChecker (on its first check), and stay bound across checks, so a check
 * costs only the user's files. Every check builds a fresh Program (and so a fresh ts.TypeChecker),
 * which is what keeps one check's declarations out of the next.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { programPath } from "isolator";
import ts from "typescript";
import type { Runtime } from "../orchestrator/runtimes.js";
import { SANDBOX_GLOBALS } from "./sandbox-types.js";

/** 1-based lines and columns; the end is exclusive. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** TypeScript's diagnostic code; 0 for the checker's own refusals. */
  code: number;
  category: "error" | "warning" | "suggestion" | "message";
  message: string;
}

/** Programs larger than this (UTF-8 bytes of all sources) are refused rather than checked. */
export const MAX_PROGRAM_BYTES = 1024 * 1024;

// Virtual locations: user files live at "/" (as in the runner: "/main.ts"), libs beside them.
const LIB_DIR = "/node_modules/typescript/lib/";
const GLOBALS_FILE = "/node_modules/@isolator/sandbox/index.d.ts";
const NODE_TYPES_DIR = "/node_modules/@types/node/";
const CHECKED = /\.(?:[cm]?[jt]sx?)$/;

const CATEGORIES: Record<ts.DiagnosticCategory, Diagnostic["category"]> = {
  [ts.DiagnosticCategory.Warning]: "warning",
  [ts.DiagnosticCategory.Error]: "error",
  [ts.DiagnosticCategory.Suggestion]: "suggestion",
  [ts.DiagnosticCategory.Message]: "message",
};

export class TypeChecker {
  readonly #checkers = new Map<Runtime, RuntimeChecker>();

  check(files: Record<string, string>, runtime: Runtime = "quickjs"): Diagnostic[] {
    let checker = this.#checkers.get(runtime);
    if (!checker) this.#checkers.set(runtime, (checker = new RuntimeChecker(runtime)));
    return checker.check(files);
  }
}

/** The checker of one runtime, with its libs. */
class RuntimeChecker {
  /** Lib and globals sources by virtual path; the texts are read once, here. */
  readonly #libTexts = new Map<string, string>();
  /** Parsed (and, after the first check, bound) lib files, shared by every Program. */
  readonly #libFiles = new Map<string, ts.SourceFile>();
  readonly #options: ts.CompilerOptions;
  /** Whether the lib files are bound: after that, a check that throws cannot have damaged them. */
  #bound = false;
  /** The last check's program: createProgram reuses what it can of it (lib resolutions, structure). */
  #old: ts.Program | undefined;

  readonly #roots: string[];

  constructor(runtime: Runtime) {
    const diskDir = dirname(ts.getDefaultLibFilePath({}));
    const libs = esLibs(runtime === "quickjs", (name) => {
      const text = readFileSync(join(diskDir, name), "utf8");
      this.#libTexts.set(LIB_DIR + name, text);
      return text;
    });
    if (runtime === "quickjs") {
      this.#libTexts.set(GLOBALS_FILE, SANDBOX_GLOBALS);
      this.#roots = [GLOBALS_FILE];
    } else {
      // Node's types and what they import (undici-types), at their virtual node_modules paths.
      const require = createRequire(import.meta.url);
      const nodeTypes = dirname(require.resolve("@types/node/package.json"));
      readTree(nodeTypes, NODE_TYPES_DIR, this.#libTexts);
      readTree(dirname(createRequire(join(nodeTypes, "index.d.ts")).resolve("undici-types/package.json")), "/node_modules/undici-types/", this.#libTexts);
      this.#roots = [`${NODE_TYPES_DIR}index.d.ts`];
    }
    this.#options = {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      // Every file is a module: top-level await works without imports, and files' names don't clash.
      moduleDetection: ts.ModuleDetectionKind.Force,
      lib: libs,
      // Libs come from LIB_DIR only, never from @typescript/lib-* lookups.
      libReplacement: false,
      types: [],
      noEmit: true,
      allowJs: true,
      checkJs: false,
      // The runner resolves "./util.js" and "./util.ts" to util.ts, as this does.
      allowImportingTsExtensions: true,
      isolatedModules: true,
      skipLibCheck: true,
    };
  }

  check(files: Record<string, string>): Diagnostic[] {
    const names = Object.keys(files);
    let bytes = 0;
    for (const name of names) bytes += Buffer.byteLength(files[name]!, "utf8");
    if (bytes > MAX_PROGRAM_BYTES) {
      const largest = names.reduce((a, b) => (files[b]!.length > files[a]!.length ? b : a));
      return [refusal(largest, `the program is too large to type-check (${bytes} bytes; the limit is ${MAX_PROGRAM_BYTES})`)];
    }

    // Virtual path -> the caller's name, for reporting.
    const byPath = new Map<string, string>();
    for (const name of names) byPath.set(programPath(name), name);
    // The libs win over a user file of the same path, so no program can replace them.
    const text = (path: string) => this.#libTexts.get(path) ?? (byPath.has(path) ? files[byPath.get(path)!] : undefined);
    const host: ts.CompilerHost = {
      getSourceFile: (path, languageVersion) => {
        const cached = this.#libFiles.get(path);
        if (cached) return cached;
        const source = text(path);
        if (source === undefined) return undefined;
        const file = ts.createSourceFile(path, source, languageVersion);
        if (this.#libTexts.has(path)) this.#libFiles.set(path, file);
        return file;
      },
      getDefaultLibFileName: () => LIB_DIR + "lib.d.ts",
      getDefaultLibLocation: () => LIB_DIR,
      writeFile: () => undefined,
      getCurrentDirectory: () => "/",
      getCanonicalFileName: (path) => path,
      useCaseSensitiveFileNames: () => true,
      getNewLine: () => "\n",
      // Nothing outside the program and the libs exists: no disk access during a check.
      fileExists: (path) => text(path) !== undefined,
      readFile: text,
      directoryExists: (dir) => {
        const prefix = dir.endsWith("/") ? dir : `${dir}/`;
        return [...byPath.keys(), ...this.#libTexts.keys()].some((p) => p.startsWith(prefix));
      },
      getDirectories: () => [],
    };

    const roots = [...byPath.keys()].filter((p) => CHECKED.test(p) && !this.#libTexts.has(p));
    try {
      const program = ts.createProgram({ rootNames: [...roots, ...this.#roots], options: this.#options, host, oldProgram: this.#old });
      this.#old = program;
      const userFiles = roots.map((p) => program.getSourceFile(p)).filter((f): f is ts.SourceFile => f !== undefined);
      // As tsc does: semantic errors after a syntax error are mostly noise, so report syntax alone.
      let found: readonly ts.Diagnostic[] = userFiles.flatMap((f) => program.getSyntacticDiagnostics(f));
      if (found.length === 0) {
        found = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...userFiles.flatMap((f) => program.getSemanticDiagnostics(f))];
        this.#bound = true;
      }
      return found.map((d) => convert(d, byPath));
    } catch (e) {
      // E.g. a stack overflow on deeply nested source (about 1000 levels). Binding the libs comes
      // first in a check, so only a first check's failure can leave them half-bound: parse them again.
      if (!this.#bound) this.#libFiles.clear();
      this.#old = undefined;
      const message = e instanceof Error ? e.message : String(e);
      return [refusal(names[0] ?? "", `the type checker could not check this program: ${message}`)];
    }
  }
}

/** Every .d.ts and package.json under a directory, by virtual path. */
function readTree(dir: string, virtual: string, into: Map<string, string>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) readTree(join(dir, entry.name), `${virtual}${entry.name}/`, into);
    else if (/\.d\.ts$|^package\.json$/.test(entry.name)) into.set(virtual + entry.name, readFileSync(join(dir, entry.name), "utf8"));
  }
}

/**
 * The lib files of ES2023: every file lib.es2023.d.ts reaches by `/// <reference lib>`; without
 * shared memory (for QuickJS), except those that (transitively) pull in a *.sharedmemory lib.
 */
function esLibs(withoutSharedMemory: boolean, read: (name: string) => string): string[] {
  const closures = new Map<string, Set<string>>();
  const closure = (name: string): Set<string> => {
    let all = closures.get(name);
    if (all) return all;
    all = new Set([name]);
    closures.set(name, all);
    for (const m of read(name).matchAll(/^\/\/\/\s*<reference\s+lib="([^"]+)"/gm)) for (const n of closure(`lib.${m[1]!.toLowerCase()}.d.ts`)) all.add(n);
    return all;
  };
  closure("lib.es2023.d.ts");
  return [...closures].filter(([, all]) => !withoutSharedMemory || ![...all].some((n) => n.includes("sharedmemory"))).map(([name]) => name);
}

function convert(d: ts.Diagnostic, byPath: Map<string, string>): Diagnostic {
  const base = { code: d.code, category: CATEGORIES[d.category], message: ts.flattenDiagnosticMessageText(d.messageText, "\n") };
  if (!d.file || d.start === undefined) return { file: "", line: 1, column: 1, endLine: 1, endColumn: 1, ...base };
  const start = d.file.getLineAndCharacterOfPosition(d.start);
  const end = d.file.getLineAndCharacterOfPosition(d.start + (d.length ?? 0));
  return {
    file: byPath.get(d.file.fileName) ?? d.file.fileName,
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    ...base,
  };
}

function refusal(file: string, message: string): Diagnostic {
  return { file, line: 1, column: 1, endLine: 1, endColumn: 1, code: 0, category: "error", message };
}
