/**
 * The build step of a run: TypeScript is type-checked (with its runtime's globals) or, with
 * typecheck off, only parsed; JavaScript is parsed — in a checker thread, under the build time
 * limit. Error diagnostics stop the run.
 */
import type { CheckerPool } from "../build/checker-pool.js";
import type { Diagnostic } from "../build/typecheck.js";
import type { RunRequest } from "../store/run-store.js";

export interface BuildOutcome {
  ok: boolean;
  diagnostics: Diagnostic[];
  buildMs: number;
}

export async function build(request: RunRequest, checkers: CheckerPool, signal?: AbortSignal): Promise<BuildOutcome> {
  const started = performance.now();
  const { language, runtime, files, typecheck } = request; // what a build looks at (not stdin)
  const diagnostics = await checkers.diagnose({ language, runtime, files, typecheck }, { signal });
  return { ok: !diagnostics.some((d) => d.category === "error"), diagnostics, buildMs: performance.now() - started };
}
