// Settings: defaults, then environment variables, then flags; clear errors for bad values.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { resolveConfig } from "../src/index.js";
import { freshDir } from "./helpers.js";
import { resolveWorkerConfig } from "../src/worker-config.js";

test("flags win over the environment, which wins over defaults", () => {
  const config = resolveConfig(["--port", "9001", "--retention=30m"], { ISOLATOR_PORT: "9000", ISOLATOR_HOST: "0.0.0.0", ISOLATOR_WORKERS: "3" });
  assert.equal(config.port, 9001);
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.poolSize, 3);
  assert.equal(config.retentionMs, 30 * 60_000);
  assert.equal(resolveConfig([], {}).retentionMs, 24 * 3600_000);
});

test("API keys come from flags, the environment and a keys file", () => {
  const file = join(freshDir(), "keys");
  writeFileSync(file, "# operators\nk-file-1\n\nk-file-2 # ci\n");
  const config = resolveConfig(["--api-key", "k-flag", "--api-keys-file", file], { ISOLATOR_API_KEYS: "k-env-1, k-env-2" });
  assert.deepEqual(config.apiKeys.sort(), ["k-env-1", "k-env-2", "k-file-1", "k-file-2", "k-flag"]);
});

test("bad settings are refused with a clear message", () => {
  assert.throws(() => resolveConfig(["--nope", "1"], {}), /unknown option --nope/);
  assert.throws(() => resolveConfig(["--port"], {}), /--port needs a value/);
  assert.throws(() => resolveConfig(["--port", "abc"], {}), /--port must be a number/);
  assert.throws(() => resolveConfig(["--retention", "soon"], {}), /--retention takes a duration/);
  assert.throws(() => resolveConfig(["--log-level", "loud"], {}), /unknown log level/);
});

test("a cluster's settings: --queue needs --store, --workers 0 needs --queue, URLs of the right kind", () => {
  const store = "postgres://u@db/isolator?schema=s1";
  const queue = "redis://cache:6379?prefix=p1";
  const config = resolveConfig(["--store", store, "--queue", queue, "--workers", "0", "--max-queued", "50"], {});
  assert.deepEqual([config.store, config.queue, config.poolSize, config.queueCapacity], [store, queue, 0, 50]);
  assert.throws(() => resolveConfig(["--queue", queue], {}), /--queue needs --store/);
  assert.throws(() => resolveConfig(["--workers", "0"], {}), /--workers 0 needs --queue/);
  assert.throws(() => resolveConfig(["--store", "mysql://db/x"], {}), /--store takes a postgres: or postgresql: URL/);
  assert.throws(() => resolveConfig(["--store", store, "--queue", "not a url"], {}), /--queue takes a URL/);
});

test("worker nodes: --store and --queue required, runtimes checked, the lock bounded", () => {
  const worker = resolveWorkerConfig(["--store", "postgres://db/x", "--queue", "redis://r:6379", "--concurrency", "3"], { ISOLATOR_LOCK_MS: "5000" });
  assert.deepEqual([worker.concurrency, worker.lockMs, worker.runtimes, worker.port], [3, 5000, ["quickjs"], 0]);
  assert.throws(() => resolveWorkerConfig(["--store", "postgres://db/x"], {}), /needs --store .* and --queue/);
  assert.throws(() => resolveWorkerConfig(["--store", "postgres://db/x", "--queue", "redis://r", "--runtimes", "python"], {}), /unknown runtime 'python'/);
  assert.throws(() => resolveWorkerConfig(["--store", "postgres://db/x", "--queue", "redis://r", "--lock-ms", "60000"], {}), /at most 30000/);
});
