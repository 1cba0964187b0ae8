/** The CLI's help text: every command, with serve's settings listed from the config. */
import { SETTINGS } from "../config.js";
import { WORKER_OPTIONS } from "../worker-config.js";

export const USAGE = `Usage:
  isolator serve [options]        start the HTTP service (and playground) on embedded defaults
  isolator run [options] <file> [args...]
                                  run a TypeScript or JavaScript program (its sibling imports too) in a sandbox
  isolator worker --store <postgres-url> --queue <redis-url> [options]
                                  a cluster's worker node: executes the runs API nodes queue
  isolator openapi                print the HTTP API's OpenAPI document

A cluster: any number of API nodes (isolator serve --store postgres://... --queue redis://...)
and worker nodes (isolator worker --store ... --queue ...), sharing one PostgreSQL and one Redis.

isolator serve options (each also an environment variable):
${SETTINGS.map((s) => `  ${`${s.flag} <value>`.padEnd(24)} ${s.help}\n  ${"".padEnd(24)} env ${s.env}`).join("\n")}

isolator worker options (each also an environment variable):
${WORKER_OPTIONS}

isolator run options (before the file; what follows it goes to the program):
  --stdin <file>          feed this file to the program's stdin (default: what is piped in)
  --time-limit <ms>       default 5000
  --memory-limit <mb>     default 64
  --no-typecheck          only transpile TypeScript
  --runtime <name>        quickjs (default: the WebAssembly sandbox) or node (real Node.js in a bubblewrap container)
  --watch                 run again when a file under the entry's directory changes
`;
