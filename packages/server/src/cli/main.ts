#!/usr/bin/env node
/**
 * `isolator serve` — the service on embedded defaults; `isolator run <file>` — one program,
 * locally, in a sandbox: output streamed, exit code passed through.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { IsolatedRuntimePool, type RunResult } from "isolator";
import { TypeChecker } from "../build/typecheck.js";
import { SETTINGS, resolveConfig } from "../config.js";
import { startServer } from "../server.js";
import { keepServingOnStrayErrors } from "./stray-errors.js";

const USAGE = `Usage:
  isolator serve [options]        start the HTTP service (and playground) on embedded defaults
  isolator run <file> [options] [-- args...]
                                  run one TypeScript or JavaScript file in a sandbox
  isolator openapi                print the HTTP API's OpenAPI document

isolator serve options (each also an environment variable):
${SETTINGS.map((s) => `  ${`${s.flag} <value>`.padEnd(24)} ${s.help}\n  ${"".padEnd(24)} env ${s.env}`).join("\n")}

isolator run options:
  --stdin <file>          feed this file to the program's stdin
  --time-limit <ms>       default 5000
  --memory-limit <mb>     default 64
  --no-typecheck          only transpile TypeScript
`;

/** Exit codes for runs that did not end by themselves, after common shell conventions. */
const EXIT: Partial<Record<RunResult["status"], number>> = { timed_out: 124, memory_exceeded: 137, output_exceeded: 1, cancelled: 130, crashed: 70 };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || rest.includes("--help")) {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === "serve") return serve(rest);
  if (command === "openapi") return openapi();
  if (command === "run") return run(rest);
  process.stderr.write(`isolator: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}

async function serve(args: string[]): Promise<number> {
  const config = resolveConfig(args, process.env);
  keepServingOnStrayErrors();
  const server = await startServer(config);
  process.stdout.write(`isolator: serving on ${server.url} (data in ${config.dataDir})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

/** Prints the HTTP API's OpenAPI document (what docs/openapi.json holds). */
async function openapi(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "isolator-openapi-"));
  const server = await startServer({ ...resolveConfig([], {}), port: 0, dataDir, logLevel: "silent", poolSize: 1 });
  try {
    process.stdout.write(`${JSON.stringify(await (await fetch(`${server.url}/api/openapi.json`)).json(), null, 2)}\n`);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return 0;
}

async function run(args: string[]): Promise<number> {
  const split = args.indexOf("--");
  const own = split >= 0 ? args.slice(0, split) : args;
  const programArgs = split >= 0 ? args.slice(split + 1) : [];
  let file: string | undefined;
  let stdin = "";
  let timeLimit = 5000;
  let memoryMb = 64;
  let typecheck = true;
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
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else programArgs.push(arg);
  }
  if (file === undefined) throw new Error("isolator run needs a file");
  const source = readFileSync(file, "utf8");
  const name = basename(file);
  if (typecheck && /\.(c|m)?ts$/.test(name)) {
    const errors = new TypeChecker().check({ [name]: source }).filter((d) => d.category === "error");
    for (const d of errors) process.stderr.write(`${file}:${d.line}:${d.column} - error TS${d.code}: ${d.message}\n`);
    if (errors.length > 0) return 1;
  }
  const pool = new IsolatedRuntimePool({ size: 1, runtime: { timeLimit, memoryLimit: memoryMb * 1024 * 1024 } });
  try {
    const result = await pool.run(
      { files: { [name]: source }, entry: name },
      { stdin, args: programArgs, onOutput: (chunk) => (chunk.stream === "stdout" ? process.stdout : process.stderr).write(chunk.text) },
    );
    if (result.error && result.status !== "succeeded") process.stderr.write(`${result.error.stack ? `${result.error.name}: ${result.error.message}\n${result.error.stack}` : `${result.error.name}: ${result.error.message}`}\n`);
    return result.exitCode ?? EXIT[result.status] ?? 1;
  } finally {
    await pool.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`isolator: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
