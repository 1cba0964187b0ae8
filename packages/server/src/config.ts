/** Every setting of the service, with its default, its flag and its environment variable. */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";

export interface ServerConfig {
  host: string;
  port: number;
  /** Directory of the SQLite store (the embedded default). */
  dataDir: string;
  /** A PostgreSQL URL: the shared store, instead of SQLite. */
  store: string | undefined;
  /** A Redis URL: runs go through a BullMQ queue to worker nodes (needs a PostgreSQL store). */
  queue: string | undefined;
  /** Finished runs' source and output are purged this long after they end. */
  retentionMs: number;
  /** Worker threads running programs (0: none, an API node of a cluster that only serves). */
  poolSize: number;
  /** The Node.js runtime (bubblewrap containers): off unless enabled. */
  node: { enabled: boolean; size: number; warm: number; modules: string | undefined };
  /** Worker threads building programs (type-check, transpile). */
  checkers: number;
  /** A build still running this long after its checker took it is stopped (the run: compile_error). */
  buildTimeoutMs: number;
  /** Runs waiting to start before submissions are refused (503). */
  queueCapacity: number;
  maxSourceBytes: number;
  maxFiles: number;
  maxWaitSeconds: number;
  defaultLimits: { timeMs: number; memoryMb: number; outputKb: number };
  maxLimits: { timeMs: number; memoryMb: number; outputKb: number };
  apiKeys: string[];
  /** Requests per minute per key or address; null: the default, see effectiveRateLimit. */
  rateLimitPerMinute: number | null;
  /** Requests one client (API key, else address) may have open at once. */
  maxConnectionsPerClient: number;
  cors: string[];
  logLevel: "silent" | "error" | "warn" | "info" | "debug";
  /** Log lines as JSON, or readable ("pretty", pino-pretty); default pretty on a terminal. */
  logFormat: "json" | "pretty";
  /** The built playground (static files served at / and /s/:id). */
  playgroundDir: string;
}

interface Setting {
  flag: string;
  env: string;
  help: string;
  apply(config: ServerConfig, value: string): void;
}

const number = (name: string, value: string, min = 0): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got '${value}'`);
  return n;
};

export const SETTINGS: Setting[] = [
  { flag: "--host", env: "ISOLATOR_HOST", help: "address to listen on (default 127.0.0.1)", apply: (c, v) => void (c.host = v) },
  { flag: "--port", env: "ISOLATOR_PORT", help: "port (default 8080; 0 picks a free one)", apply: (c, v) => void (c.port = number("--port", v)) },
  { flag: "--data", env: "ISOLATOR_DATA", help: "directory of the SQLite store (default ./.isolator)", apply: (c, v) => void (c.dataDir = v) },
  { flag: "--retention", env: "ISOLATOR_RETENTION", help: "how long finished runs keep source and output, e.g. 24h, 30m, 3600s (default 24h)", apply: (c, v) => void (c.retentionMs = duration(v)) },
  { flag: "--store", env: "ISOLATOR_STORE", help: "PostgreSQL store shared by cluster nodes, postgres://user@host/db[?schema=name] (default: SQLite in --data)", apply: (c, v) => void (c.store = url("--store", v, ["postgres:", "postgresql:"])) },
  { flag: "--queue", env: "ISOLATOR_QUEUE", help: "Redis of the cluster's run queue, redis://host:6379[/db][?prefix=name]; needs --store (default: in-process)", apply: (c, v) => void (c.queue = url("--queue", v, ["redis:", "rediss:"])) },
  { flag: "--workers", env: "ISOLATOR_WORKERS", help: "worker threads running programs; 0 with --queue: this node only serves (default: available parallelism)", apply: (c, v) => void (c.poolSize = number("--workers", v, 0)) },
  { flag: "--node", env: "ISOLATOR_NODE", help: "on: offer the node runtime (real Node.js in bubblewrap containers) (default off)", apply: (c, v) => void (c.node.enabled = toggle("--node", v)) },
  { flag: "--node-size", env: "ISOLATOR_NODE_SIZE", help: "node runs at once (default: available parallelism)", apply: (c, v) => void (c.node.size = number("--node-size", v, 1)) },
  { flag: "--node-warm", env: "ISOLATOR_NODE_WARM", help: "node sandboxes kept booted and waiting (default 2)", apply: (c, v) => void (c.node.warm = number("--node-warm", v, 0)) },
  { flag: "--node-modules", env: "ISOLATOR_NODE_MODULES", help: "a node_modules directory mounted read-only into every node sandbox", apply: (c, v) => void (c.node.modules = v) },
  {
    flag: "--checkers",
    env: "ISOLATOR_CHECKERS",
    help: "worker threads type-checking and transpiling programs (default: half the available parallelism, 1 to 4)",
    apply: (c, v) => void (c.checkers = number("--checkers", v, 1)),
  },
  { flag: "--build-timeout-ms", env: "ISOLATOR_BUILD_TIMEOUT_MS", help: "longest build (type-check) of a program; past it the run ends compile_error (default 10000)", apply: (c, v) => void (c.buildTimeoutMs = number("--build-timeout-ms", v, 1)) },
  { flag: "--max-queued", env: "ISOLATOR_MAX_QUEUED", help: "runs waiting (cluster-wide with --queue) before submissions get 503 (default 1000)", apply: (c, v) => void (c.queueCapacity = number("--max-queued", v, 1)) },
  { flag: "--max-source-kb", env: "ISOLATOR_MAX_SOURCE_KB", help: "largest program, all files (default 256)", apply: (c, v) => void (c.maxSourceBytes = number("--max-source-kb", v, 1) * 1024) },
  { flag: "--max-time-ms", env: "ISOLATOR_MAX_TIME_MS", help: "largest time limit a run may ask for (default 30000)", apply: (c, v) => void (c.maxLimits.timeMs = number("--max-time-ms", v, 1)) },
  { flag: "--max-memory-mb", env: "ISOLATOR_MAX_MEMORY_MB", help: "largest memory limit a run may ask for (default 512)", apply: (c, v) => void (c.maxLimits.memoryMb = number("--max-memory-mb", v, 16)) },
  { flag: "--max-output-kb", env: "ISOLATOR_MAX_OUTPUT_KB", help: "largest output limit a run may ask for (default 4096)", apply: (c, v) => void (c.maxLimits.outputKb = number("--max-output-kb", v, 1)) },
  { flag: "--api-key", env: "ISOLATOR_API_KEYS", help: "require this bearer key (repeatable; env: comma-separated)", apply: (c, v) => void c.apiKeys.push(...v.split(",").map((k) => k.trim()).filter(Boolean)) },
  {
    flag: "--api-keys-file",
    env: "ISOLATOR_API_KEYS_FILE",
    help: "require one of the bearer keys in this file (one per line, # comments)",
    apply: (c, v) => void c.apiKeys.push(...readFileSync(v, "utf8").split("\n").map((line) => line.replace(/#.*/, "").trim()).filter(Boolean)),
  },
  { flag: "--rate-limit", env: "ISOLATOR_RATE_LIMIT", help: "requests per minute per key or IP (default: none on loopback without API keys, else 600)", apply: (c, v) => void (c.rateLimitPerMinute = number("--rate-limit", v, 1)) },
  {
    flag: "--max-connections-per-client",
    env: "ISOLATOR_MAX_CONNECTIONS_PER_CLIENT",
    help: "requests one key or IP may have open at once, streams and long-polls included (default 64)",
    apply: (c, v) => void (c.maxConnectionsPerClient = number("--max-connections-per-client", v, 1)),
  },
  { flag: "--cors", env: "ISOLATOR_CORS", help: "allowed origins, comma-separated, or * (default: none)", apply: (c, v) => void c.cors.push(...v.split(",").map((o) => o.trim()).filter(Boolean)) },
  { flag: "--playground", env: "ISOLATOR_PLAYGROUND", help: "directory of the built playground (default: the monorepo's packages/playground/dist)", apply: (c, v) => void (c.playgroundDir = v) },
  {
    flag: "--log-format",
    env: "ISOLATOR_LOG_FORMAT",
    help: "json or pretty (default: pretty on a terminal, else json)",
    apply: (c, v) => {
      if (v !== "json" && v !== "pretty") throw new Error(`--log-format is json or pretty, got '${v}'`);
      c.logFormat = v;
    },
  },
  { flag: "--log-level", env: "ISOLATOR_LOG_LEVEL", help: "silent, error, warn, info or debug (default info)", apply: (c, v) => void (c.logLevel = v as ServerConfig["logLevel"]) },
];

export function defaultConfig(): ServerConfig {
  return {
    host: "127.0.0.1",
    port: 8080,
    dataDir: "./.isolator",
    store: undefined,
    queue: undefined,
    retentionMs: 24 * 3600_000,
    poolSize: availableParallelism(),
    node: { enabled: false, size: availableParallelism(), warm: 2, modules: undefined },
    checkers: Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2))),
    buildTimeoutMs: 10_000,
    queueCapacity: 1000,
    maxSourceBytes: 256 * 1024,
    maxFiles: 32,
    maxWaitSeconds: 30,
    defaultLimits: { timeMs: 5000, memoryMb: 64, outputKb: 256 },
    maxLimits: { timeMs: 30_000, memoryMb: 512, outputKb: 4096 },
    apiKeys: [],
    rateLimitPerMinute: null,
    maxConnectionsPerClient: 64,
    cors: [],
    logLevel: "info",
    logFormat: process.stdout.isTTY ? "pretty" : "json",
    playgroundDir: fileURLToPath(new URL("../../playground/dist", import.meta.url)),
  };
}

export const DEFAULT_RATE_LIMIT = 600;

/**
 * The rate limit in force: the configured one; by default none for a service only this machine can
 * reach without keys (a local script's 1,000 runs meet no 429), and DEFAULT_RATE_LIMIT otherwise.
 */
export function effectiveRateLimit(config: Pick<ServerConfig, "host" | "apiKeys" | "rateLimitPerMinute">): number | null {
  if (config.rateLimitPerMinute !== null) return config.rateLimitPerMinute;
  return isLoopback(config.host) && config.apiKeys.length === 0 ? null : DEFAULT_RATE_LIMIT;
}

/** 127.0.0.0/8, ::1 and localhost: addresses nothing outside this machine can connect to. */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/** Defaults, then environment variables, then flags. */
export function resolveConfig(argv: string[], env: NodeJS.ProcessEnv): ServerConfig {
  const config = defaultConfig();
  for (const s of SETTINGS) if (env[s.env] !== undefined && env[s.env] !== "") s.apply(config, env[s.env]!);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const setting = SETTINGS.find((s) => s.flag === flag);
    if (!setting) throw new Error(`unknown option ${flag}; see isolator serve --help`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    setting.apply(config, value);
  }
  if (!["silent", "error", "warn", "info", "debug"].includes(config.logLevel)) throw new Error(`unknown log level ${config.logLevel}`);
  if (config.queue !== undefined && config.store === undefined) throw new Error("--queue needs --store: the nodes of a cluster share a PostgreSQL store");
  if (config.poolSize === 0 && config.queue === undefined) throw new Error("--workers 0 needs --queue: without worker nodes, nothing would run the programs");
  return config;
}

function toggle(name: string, value: string): boolean {
  if (/^(on|true|1|yes)$/i.test(value)) return true;
  if (/^(off|false|0|no)$/i.test(value)) return false;
  throw new Error(`${name} takes on or off, got '${value}'`);
}

export function url(name: string, text: string, protocols: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new Error(`${name} takes a URL (${protocols[0]}//...), got '${text}'`);
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`${name} takes a ${protocols.join(" or ")} URL, got '${parsed.protocol}'`);
  return text;
}

function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new Error(`--retention takes a duration like 24h, 30m or 3600s, got '${text}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}
