/**
 * `isolator run --runtime node`: the program in real Node.js, in one bubblewrap container
 * (isolator/node's NodeExecutor, started for this run). The container sees only the program's
 * files — the entry and the siblings it imports, as the type checker collects them — never the
 * rest of the disk.
 */
import type { RunResult } from "isolator";
import { programFiles } from "./program-files.js";
import { printOutput } from "./print-output.js";
import type { RunCommand } from "./run-options.js";

export async function runInNode(command: RunCommand, stdin: string): Promise<RunResult> {
  const { files, entry } = programFiles(command.file);
  const { NodeExecutor } = await import("isolator/node");
  const executor = await NodeExecutor.start({ size: 1, warm: 0, timeLimit: command.timeLimit, memoryLimit: command.memoryMb * 1024 * 1024 });
  try {
    return await executor.run(
      { files, entry },
      { stdin, args: command.args, onOutput: printOutput },
    );
  } finally {
    await executor.close();
  }
}
