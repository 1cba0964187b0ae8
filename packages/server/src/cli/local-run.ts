/**
 * Runs a program on disk in this thread, in one sandboxed runtime: no pool, no worker, nothing of
 * the server loaded. Its imports are read on demand by the library's directory module loader,
 * rooted at the entry's directory (so the same refusals apply: nothing outside it, symlinks
 * included). Limits are the runtime's: the memory maximum, and the time limit at the engine's
 * interrupt polls.
 */
import { readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { IsolatedRuntimeHost, runProgram, type RunResult } from "isolator";
import { printOutput } from "./print-output.js";
import type { RunCommand } from "./run-options.js";
import { cacheDirectory } from "./typecheck-cache.js";

export interface LocalRun {
  /** The entry's real path: the name the sandbox knows it by. */
  entryPath: string;
  result: RunResult;
}

export async function runLocally(command: RunCommand, stdin: string): Promise<LocalRun> {
  const entryPath = realpathSync(command.file);
  const source = readFileSync(entryPath, "utf8");
  // The sandbox's memory image is saved in the user's cache: later runs skip booting it.
  const host = new IsolatedRuntimeHost({ templateCache: join(cacheDirectory(), "templates") }).withDirectoryModuleLoader(dirname(entryPath));
  try {
    const result = await runProgram(
      host,
      { files: { [entryPath]: source }, entry: entryPath },
      { stdin, args: command.args, timeLimit: command.timeLimit, memoryLimit: command.memoryMb * 1024 * 1024 },
      { onOutput: printOutput },
    );
    return { entryPath, result };
  } finally {
    host.dispose();
  }
}
