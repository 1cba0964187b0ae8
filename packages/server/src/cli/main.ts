#!/usr/bin/env node
/**
 * The `isolator` command: a thin dispatcher. Each command lives in its own file and is imported
 * only when invoked, so `isolator run` never loads the server (or `serve` the runner).
 */

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || rest.includes("--help")) {
    const { USAGE } = await import("./usage.js");
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === "serve") return (await import("./serve.js")).serve(rest);
  if (command === "worker") return (await import("./worker.js")).worker(rest);
  if (command === "openapi") return (await import("./openapi.js")).openapi();
  if (command === "run") return (await import("./run.js")).run(rest);
  const { USAGE } = await import("./usage.js");
  process.stderr.write(`isolator: unknown command '${command}'\n\n${USAGE}`);
  return 2;
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
