/** Helpers shared by the test files. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { outputSegments, type OutputChunk, type RunResult } from "../src/index.js";

/** An `assert.throws`/`rejects` validator: the error is a `Ctor`, and passes `check` if given. */
export function isA<E extends Error>(Ctor: abstract new (...args: never[]) => E, check?: (e: E) => void) {
  return (e: unknown) => {
    assert.ok(e instanceof Ctor, `expected ${Ctor.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    check?.(e as E);
    return true;
  };
}

export function assertSucceeded(result: RunResult): void {
  assert.equal(result.status, "succeeded", `status ${result.status}: ${JSON.stringify(result.error)}`);
  assert.equal(result.exitCode, 0);
  assert.equal(result.error, undefined);
}

/** Runs a module script in a child process (for cases that may take the whole process down). */
export function inChildProcess(script: string): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 }, (error, stdout) => {
      const e = error as (Error & { code?: unknown; signal?: string | null }) | null;
      resolve({ code: e ? (typeof e.code === "number" ? e.code : null) : 0, signal: e?.signal ?? null, stdout: String(stdout) });
    });
  });
}

/** A run's output as [stream, text] runs of the same stream, in order, whatever the chunk boundaries. */
export function streamRuns(output: OutputChunk[]): [string, string][] {
  const runs: [string, string][] = [];
  for (const { stream, text } of output.flatMap(outputSegments)) {
    const last = runs.at(-1);
    if (last?.[0] === stream) last[1] += text;
    else runs.push([stream, text]);
  }
  return runs;
}
