/** `isolator run`'s command line: its own options before the file, the program's arguments after it (or after `--`). */
import { readFileSync } from "node:fs";
import { RUNTIMES, type Runtime } from "../orchestrator/runtimes.js";

export interface RunCommand {
  file: string;
  /** The program's stdin text given by --stdin; otherwise stdin is the terminal's or the pipe's. */
  stdinFile?: string;
  timeLimit: number;
  memoryMb: number;
  typecheck: boolean;
  watch: boolean;
  /** quickjs: the WebAssembly sandbox, in this thread; node: real Node.js in a bubblewrap container. */
  runtime: Runtime;
  args: string[];
}

const positive = (flag: string, value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, got '${value}'`);
  return n;
};

export function parseRunCommand(argv: string[]): RunCommand {
  const command: Partial<RunCommand> & { args: string[] } = { timeLimit: 5000, memoryMb: 64, typecheck: true, watch: false, runtime: "quickjs", args: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (command.file !== undefined || arg === "--") {
      // As node does: everything after the file (or `--`) belongs to the program.
      command.args.push(...argv.slice(arg === "--" ? i + 1 : i));
      break;
    }
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--stdin") command.stdinFile = value();
    else if (arg === "--time-limit") command.timeLimit = positive(arg, value());
    else if (arg === "--memory-limit") command.memoryMb = positive(arg, value());
    else if (arg === "--no-typecheck") command.typecheck = false;
    else if (arg === "--watch") command.watch = true;
    else if (arg === "--runtime") {
      const runtime = value();
      if (!(RUNTIMES as readonly string[]).includes(runtime)) throw new Error(`--runtime takes ${RUNTIMES.join(" or ")}, got '${runtime}'`);
      command.runtime = runtime as Runtime;
    } else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
    else command.file = arg;
  }
  if (command.file === undefined) throw new Error("isolator run needs a file");
  return command as RunCommand;
}

/** The program's stdin: the --stdin file, else whatever is piped in; a terminal gives none up front. */
export function programStdin(command: RunCommand): string {
  if (command.stdinFile !== undefined) return readFileSync(command.stdinFile, "utf8");
  if (process.stdin.isTTY) return "";
  try {
    return readFileSync(0, "utf8");
  } catch {
    return ""; // no stdin at all (closed descriptor)
  }
}
