/** The settings of `isolator worker`, with their defaults, flags and environment variables. */
import { availableParallelism } from "node:os";
import { DEFAULT_LOCK_MS } from "./cluster/queues.js";
import { defaultConfig, url } from "./config.js";
import { RUNTIMES, type Runtime } from "./orchestrator/runtimes.js";
import type { WorkerConfig } from "./worker.js";

export type WorkerSettings = Omit<WorkerConfig, "log"> & { logLevel: "silent" | "error" | "info" };

interface Option {
  flag: string;
  env: string;
  help: string;
  apply(c: Partial<WorkerSettings>, v: string): void;
}

const count = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got '${v}'`);
  return n;
};

const OPTIONS: Option[] = [
  { flag: "--store", env: "ISOLATOR_STORE", help: "the cluster's PostgreSQL, postgres://user@host/db[?schema=name] (required)", apply: (c, v) => void (c.store = url("--store", v, ["postgres:", "postgresql:"])) },
  { flag: "--queue", env: "ISOLATOR_QUEUE", help: "the cluster's Redis, redis://host:6379[/db][?prefix=name] (required)", apply: (c, v) => void (c.queue = url("--queue", v, ["redis:", "rediss:"])) },
  { flag: "--concurrency", env: "ISOLATOR_CONCURRENCY", help: "worker threads executing runs (default: available parallelism)", apply: (c, v) => void (c.concurrency = count("--concurrency", v, 1)) },
  {
    flag: "--runtimes",
    env: "ISOLATOR_RUNTIMES",
    help: `runtimes to execute, comma-separated, of ${RUNTIMES.join(", ")} (default quickjs)`,
    apply: (c, v) => {
      const runtimes = v.split(",").map((r) => r.trim()).filter(Boolean);
      for (const r of runtimes) if (!(RUNTIMES as readonly string[]).includes(r)) throw new Error(`--runtimes: unknown runtime '${r}' (known: ${RUNTIMES.join(", ")})`);
      if (runtimes.includes("node")) throw new Error("--runtimes: cluster workers execute quickjs runs only so far");
      c.runtimes = runtimes as Runtime[];
    },
  },
  { flag: "--checkers", env: "ISOLATOR_CHECKERS", help: "worker threads type-checking and transpiling programs (default: half the available parallelism, 1 to 4)", apply: (c, v) => void (c.checkers = count("--checkers", v, 1)) },
  { flag: "--build-timeout-ms", env: "ISOLATOR_BUILD_TIMEOUT_MS", help: "longest build (type-check) of a program; past it the run ends compile_error (default 10000)", apply: (c, v) => void (c.buildTimeoutMs = count("--build-timeout-ms", v, 1)) },
  { flag: "--lock-ms", env: "ISOLATOR_LOCK_MS", help: `a dead worker's runs go to others after this long, at most 30000 (default ${DEFAULT_LOCK_MS})`, apply: (c, v) => {
      const ms = count("--lock-ms", v, 1000);
      if (ms > 30_000) throw new Error(`--lock-ms is at most 30000 (reconcilers count a run without a renewed lease for 10 s as orphaned), got ${ms}`);
      c.lockMs = ms;
    },
  },
  { flag: "--host", env: "ISOLATOR_HOST", help: "address of /metrics and /api/health (default 127.0.0.1)", apply: (c, v) => void (c.host = v) },
  { flag: "--port", env: "ISOLATOR_PORT", help: "port of /metrics and /api/health (default 0: a free one, printed)", apply: (c, v) => void (c.port = count("--port", v, 0)) },
  { flag: "--log-level", env: "ISOLATOR_LOG_LEVEL", help: "silent, error or info (default info)", apply: (c, v) => void (c.logLevel = v as WorkerSettings["logLevel"]) },
];

export const WORKER_OPTIONS = OPTIONS.map((o) => `  ${`${o.flag} <value>`.padEnd(24)} ${o.help}\n  ${"".padEnd(24)} env ${o.env}`).join("\n");

/** Defaults, then environment variables, then flags. */
export function resolveWorkerConfig(argv: string[], env: NodeJS.ProcessEnv): WorkerSettings {
  const c: Partial<WorkerSettings> = { concurrency: availableParallelism(), checkers: defaultConfig().checkers, buildTimeoutMs: defaultConfig().buildTimeoutMs, runtimes: ["quickjs"], lockMs: DEFAULT_LOCK_MS, host: "127.0.0.1", port: 0, logLevel: "info" };
  for (const o of OPTIONS) if (env[o.env] !== undefined && env[o.env] !== "") o.apply(c, env[o.env]!);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const option = OPTIONS.find((o) => o.flag === flag);
    if (!option) throw new Error(`unknown option ${flag}; see isolator worker --help`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    option.apply(c, value);
  }
  if (c.store === undefined || c.queue === undefined) throw new Error("isolator worker needs --store postgres://... and --queue redis://...");
  if (!["silent", "error", "info"].includes(c.logLevel!)) throw new Error(`unknown log level ${c.logLevel}`);
  return c as WorkerSettings;
}
