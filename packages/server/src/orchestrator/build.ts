/**
 * The build step of a run: TypeScript is type-checked (with its runtime's globals) or, with
 * typecheck off, only parsed; JavaScript is parsed. Error diagnostics stop the run.
 */
import { transpile } from "isolator";
import type { Diagnostic, TypeChecker } from "../build/typecheck.js";
import type { RunRequest } from "../store/run-store.js";

export interface BuildOutcome {
  ok: boolean;
  diagnostics: Diagnostic[];
  buildMs: number;
}

export function build(request: RunRequest, checker: TypeChecker): BuildOutcome {
  const started = performance.now();
  const diagnostics =
    request.language === "typescript" && request.typecheck
      ? checker.check(request.files, request.runtime)
      : Object.entries(request.files).flatMap(([file, source]) =>
          transpile(file, source).diagnostics.map((d): Diagnostic => ({ ...d, code: 1005, category: "error" })),
        );
  return { ok: !diagnostics.some((d) => d.category === "error"), diagnostics, buildMs: performance.now() - started };
}
