/**
 * The default rate limit follows who can reach the service: none on loopback without API keys (a
 * local script's burst meets no 429), DEFAULT_RATE_LIMIT when bound elsewhere or keyed. Real HTTP.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_RATE_LIMIT, effectiveRateLimit } from "../src/config.js";
import { startTestServer } from "./helpers.js";

describe("default rate limit", () => {
  it("is off on loopback addresses without API keys, on elsewhere or with keys, and an explicit one always applies", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) assert.equal(effectiveRateLimit({ host, apiKeys: [], rateLimitPerMinute: null }), null, host);
    for (const host of ["0.0.0.0", "::", "192.168.1.4", "example.com", "128.0.0.1"]) assert.equal(effectiveRateLimit({ host, apiKeys: [], rateLimitPerMinute: null }), DEFAULT_RATE_LIMIT, host);
    assert.equal(effectiveRateLimit({ host: "127.0.0.1", apiKeys: ["k"], rateLimitPerMinute: null }), DEFAULT_RATE_LIMIT);
    assert.equal(effectiveRateLimit({ host: "127.0.0.1", apiKeys: [], rateLimitPerMinute: 5 }), 5);
  });

  it("lets a local burst past the default limit through on loopback without keys", async () => {
    const server = await startTestServer({ poolSize: 1, host: "127.0.0.1", rateLimitPerMinute: null });
    try {
      const statuses = new Set<number>();
      let sent = 0;
      const client = async () => {
        while (sent < DEFAULT_RATE_LIMIT + 100) {
          sent++;
          statuses.add((await server.api.request("GET", "/api/runs/no-such-run")).status);
        }
      };
      await Promise.all(Array.from({ length: 10 }, client));
      assert.deepEqual([...statuses], [404]);
    } finally {
      await server.close();
    }
  });

  it("keeps the limit on when bound beyond loopback", async () => {
    const server = await startTestServer({ poolSize: 1, host: "0.0.0.0", rateLimitPerMinute: null });
    try {
      const res = await server.api.request("GET", "/api/runs/no-such-run");
      assert.equal(res.headers.get("x-ratelimit-limit"), String(DEFAULT_RATE_LIMIT));
    } finally {
      await server.close();
    }
  });
});
