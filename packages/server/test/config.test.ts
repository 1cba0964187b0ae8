// Settings: defaults, then environment variables, then flags; clear errors for bad values.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { resolveConfig } from "../src/index.js";
import { freshDir } from "./helpers.js";

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
