/**
 * `isolator run <file>`: one program on disk, in a sandbox, as `node <file>` would run it: its
 * sibling imports, stdin (piped, or a --stdin file), arguments, output streamed, exit code passed
 * through; TypeScript type-checked first (cached); `--watch` re-runs it on change.
 */
import { realpathSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "isolator";
import { checkProgram } from "./typecheck-cache.js";
import { programFiles } from "./program-files.js";
import { DisplayPaths, excerpt, painter } from "./report.js";
import { parseRunCommand, programStdin, type RunCommand } from "./run-options.js";

/** Exit codes for runs that did not end by themselves, after common shell conventions. */
const EXIT: Partial<Record<RunResult["status"], number>> = { timed_out: 124, memory_exceeded: 137, output_exceeded: 1, cancelled: 130, crashed: 70 };
const TYPESCRIPT = /\.(c|m)?ts$/;

export async function run(argv: string[]): Promise<number> {
  const command = parseRunCommand(argv);
  if (command.watch) return (await import("./watch.js")).watch(command, (stdin) => runOnce(command, stdin));
  return runOnce(command, programStdin(command));
}

/** Type-checks (a TypeScript entry), then runs; the exit code of the whole. */
export async function runOnce(command: RunCommand, stdin: string): Promise<number> {
  const paint = painter(process.stderr);
  if (command.typecheck && TYPESCRIPT.test(command.file)) {
    const { root, files } = programFiles(command.file);
    const errors = await checkProgram(files, command.runtime);
    if (errors.length > 0) {
      const paths = new DisplayPaths(realpathSync(command.file), command.file);
      for (const d of errors) {
        const path = join(root, d.file);
        const width = d.endLine === d.line ? d.endColumn - d.column : 1;
        process.stderr.write(`${paint("cyan", paths.name(path))}:${paint("yellow", `${d.line}:${d.column}`)} - ${paint("red", "error")} ${paint("gray", `TS${d.code}:`)} ${d.message}\n\n`);
        process.stderr.write(`${excerpt(path, d.line, d.column, paint, width)}\n`);
      }
      process.stderr.write(`Found ${errors.length} error${errors.length === 1 ? "" : "s"}.\n`);
      return 1;
    }
  }
  if (command.runtime === "node") {
    // Node prints its own uncaught errors (streamed already); only a limit's end is reported here.
    const result = await (await import("./node-run.js")).runInNode(command, stdin);
    if (result.error && result.status !== "succeeded" && result.status !== "failed") process.stderr.write(`${paint("red", `${result.error.name}: ${result.error.message}`)}\n`);
    return result.exitCode ?? EXIT[result.status] ?? 1;
  }
  const { runLocally } = await import("./local-run.js");
  const { entryPath, result } = await runLocally(command, stdin);
  report(result, new DisplayPaths(entryPath, command.file));
  return result.exitCode ?? EXIT[result.status] ?? 1;
}

/** Why a run failed, on stderr: an uncaught error as Node prints one (where it was thrown, then the stack). */
function report(result: RunResult, paths: DisplayPaths): void {
  const error = result.error;
  if (!error || result.status === "succeeded") return;
  const paint = painter(process.stderr);
  const frame = paths.firstFrame(error.stack) ?? paths.firstFrame(error.message);
  const header = frame ? `${paths.name(frame.path)}:${frame.line}\n${excerpt(frame.path, frame.line, frame.column, paint)}\n` : "";
  const title = paint("red", `${error.name}: ${paths.rewrite(error.message)}`);
  const stack = error.stack ? `\n${paths.rewrite(error.stack).replace(/\n+$/, "")}` : "";
  process.stderr.write(`${header}${title}${stack}\n`);
}
