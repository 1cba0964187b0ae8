/** `isolator run <file>`: one program, locally, in a sandbox (QuickJS, or Node.js with --runtime node): output streamed, exit code passed through. */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { IsolatedRuntimePool, type Executor, type RunResult } from "isolator";
import { TypeChecker } from "../build/typecheck.js";
import { RUNTIMES, type Runtime } from "../orchestrator/runtimes.js";

/** Exit codes for runs that did not end by themselves, after common shell conventions. */
const EXIT: Partial<Record<RunResult["status"], number>> = { timed_out: 124, memory_exceeded: 137, output_exceeded: 1, cancelled: 130, crashed: 70 };

export async function run(args: string[]): Promise<number> {
  const split = args.indexOf("--");
  const own = split >= 0 ? args.slice(0, split) : args;
  const programArgs = split >= 0 ? args.slice(split + 1) : [];
  let file: string | undefined;
  let stdin = "";
  let timeLimit = 5000;
  let memoryMb = 64;
  let typecheck = true;
  let runtime: Runtime = "quickjs";
  for (let i = 0; i < own.length; i++) {
    const arg = own[i]!;
    const value = () => {
      const v = own[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--stdin") stdin = readFileSync(value(), "utf8");
    else if (arg === "--time-limit") timeLimit = Number(value());
    else if (arg === "--memory-limit") memoryMb = Number(value());
    else if (arg === "--no-typecheck") typecheck = false;
    else if (arg === "--runtime") runtime = oneOf(value());
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else programArgs.push(arg);
  }
  if (file === undefined) throw new Error("isolator run needs a file");
  const source = readFileSync(file, "utf8");
  const name = basename(file);
  if (typecheck && /\.(c|m)?ts$/.test(name)) {
    const errors = new TypeChecker().check({ [name]: source }, runtime).filter((d) => d.category === "error");
    for (const d of errors) process.stderr.write(`${file}:${d.line}:${d.column} - error TS${d.code}: ${d.message}\n`);
    if (errors.length > 0) return 1;
  }
  const limits = { timeLimit, memoryLimit: memoryMb * 1024 * 1024 };
  const executor: Executor =
    runtime === "node" ? await (await import("isolator/node")).NodeExecutor.start({ size: 1, warm: 0, ...limits }) : new IsolatedRuntimePool({ size: 1, runtime: limits });
  try {
    const result = await executor.run(
      { files: { [name]: source }, entry: name },
      { stdin, args: programArgs, onOutput: (chunk) => (chunk.stream === "stdout" ? process.stdout : process.stderr).write(chunk.text) },
    );
    // Node prints its own uncaught errors on stderr (already streamed); QuickJS's and every limit's are printed here.
    const printed = runtime === "node" && result.status === "failed";
    if (result.error && result.status !== "succeeded" && !printed) process.stderr.write(`${result.error.stack ? `${result.error.name}: ${result.error.message}\n${result.error.stack}` : `${result.error.name}: ${result.error.message}`}\n`);
    return result.exitCode ?? EXIT[result.status] ?? 1;
  } finally {
    await executor.close();
  }
}

function oneOf(value: string): Runtime {
  if (!(RUNTIMES as readonly string[]).includes(value)) throw new Error(`--runtime takes ${RUNTIMES.join(" or ")}, got '${value}'`);
  return value as Runtime;
}
