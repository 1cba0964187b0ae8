/**
 * `isolator run --watch`: runs the program, then again whenever one of its files changes, as
 * `node --watch` does. Watched: the entry's directory, recursively (the program's imports live
 * there). Stdin is read once and fed to every run.
 */
import { watch as watchFiles } from "node:fs";
import { dirname, resolve } from "node:path";
import { painter } from "./report.js";
import { programStdin, type RunCommand } from "./run-options.js";

/** Changes closer together than this make one re-run (an editor's save is several events). */
const SETTLE_MS = 100;

export async function watch(command: RunCommand, runOnce: (stdin: string) => Promise<number>): Promise<number> {
  const stdin = programStdin(command);
  const paint = painter(process.stdout);
  let changed: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const watcher = watchFiles(dirname(resolve(command.file)), { recursive: true }, (_event, name) => {
    if (name !== null && /(^|\/)(node_modules|\.git)(\/|$)/.test(name)) return;
    clearTimeout(timer);
    timer = setTimeout(() => changed(), SETTLE_MS);
  });
  const stopped = new Promise<void>((resolveStop) => {
    process.once("SIGINT", () => resolveStop());
    process.once("SIGTERM", () => resolveStop());
  });
  try {
    for (;;) {
      const code = await runOnce(stdin).catch((e: unknown) => {
        process.stderr.write(`isolator: ${e instanceof Error ? e.message : String(e)}\n`);
        return 2;
      });
      process.stdout.write(paint("gray", `Completed running '${command.file}' (exit code ${code}). Waiting for file changes before restarting...\n`));
      const next = await Promise.race([new Promise<"changed">((r) => (changed = () => r("changed"))), stopped.then(() => "stopped" as const)]);
      if (next === "stopped") return 0;
      process.stdout.write(paint("gray", `Restarting '${command.file}'\n`));
    }
  } finally {
    clearTimeout(timer);
    watcher.close();
  }
}
