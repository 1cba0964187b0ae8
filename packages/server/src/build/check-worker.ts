/**
 * A checker thread (piscina): builds programs — type-checks TypeScript against the sandbox's
 * globals, or only parses — off the server's event loop. The checker is made and warmed when the
 * thread starts (piscina gives the thread no task before), so no build pays for the libs.
 */
import { workerData, type MessagePort } from "node:worker_threads";
import { transpile } from "isolator";
import type { Runtime } from "../orchestrator/runtimes.js";
import { TypeChecker, type Diagnostic } from "./typecheck.js";

/** What a build looks at. */
export interface BuildProgram {
  language: "typescript" | "javascript";
  /** Whose globals the program is checked against. */
  runtime: Runtime;
  files: Record<string, string>;
  typecheck: boolean;
}

export interface CheckTask {
  program: BuildProgram;
  /** Told when the thread takes the task: the build's deadline counts from then, not from the queue. */
  started: MessagePort;
}

/** What a checker thread is told when it starts. */
export interface CheckerThreadConfig {
  /** The runtimes whose libs are parsed before the thread takes a build. */
  warm: Runtime[];
}

const checker = new TypeChecker();
for (const runtime of (workerData as CheckerThreadConfig).warm) checker.check({ "warmup.ts": "export const warm: number = 1;" }, runtime);

export default function check({ program, started }: CheckTask): Diagnostic[] {
  started.postMessage("started");
  started.close();
  return diagnose(program, checker);
}

/** A program's diagnostics: the type checker's for TypeScript with typecheck on, else the parser's. */
export function diagnose(program: BuildProgram, typeChecker: TypeChecker): Diagnostic[] {
  if (program.language === "typescript" && program.typecheck) return typeChecker.check(program.files, program.runtime);
  return Object.entries(program.files).flatMap(([file, source]) => transpile(file, source).diagnostics.map((d): Diagnostic => ({ ...d, code: 1005, category: "error" })));
}
