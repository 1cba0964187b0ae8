/** API keys (401 without a valid one, health open) and the per-key/IP rate limit (429), over real HTTP. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Api, assertError, readEvents, startTestServer, type Accepted, type RunView, type TestServer } from "./helpers.js";

let keyed: TestServer;
let limited: TestServer;

before(async () => {
  [keyed, limited] = await Promise.all([startTestServer({ poolSize: 1, apiKeys: ["k1"] }), startTestServer({ poolSize: 1, rateLimitPerMinute: 5 })]);
});

after(async () => {
  await Promise.all([keyed?.close(), limited?.close()]);
});

const hello = { source: `console.log("hello");`, typecheck: false };

describe("API keys", () => {
  it("refuses a request without a key: 401 with WWW-Authenticate", async () => {
    const res = await keyed.api.submit(hello);
    assertError(res, 401, "unauthorized");
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
  });

  it("refuses wrong keys", async () => {
    for (const authorization of ["Bearer k2", "Bearer k1x", "Bearer k", "Bearer ", "Basic k1", "k1", "Bearer  "]) {
      const res = await keyed.api.submit(hello, "", { authorization });
      assertError(res, 401, "unauthorized");
    }
  });

  it("accepts the right key on every route", async () => {
    const api = new Api(keyed.url, { authorization: "Bearer k1" });
    const waited = await api.submit(hello, "?wait=10");
    assert.equal(waited.status, 200, JSON.stringify(waited.body));
    assert.equal((waited.body as RunView).stdout, "hello\n");
    const accepted = await api.submit(hello);
    assert.equal(accepted.status, 202);
    const id = (accepted.body as Accepted).id;
    const run = await api.terminal(id);
    assert.equal(run.status, "succeeded");
    const events = await readEvents(`${keyed.url}/api/runs/${id}/events`, { authorization: "Bearer k1" });
    assert.equal(events.status, 200);
    assert.equal(events.events.at(-1)?.event, "run");
    assert.equal((await api.request("GET", "/metrics")).status, 200);
    assert.equal((await api.request("GET", "/api/openapi.json")).status, 200);
    assert.equal((await api.request("POST", `/api/runs/${id}/cancel`)).status, 200);
    assert.equal((await api.request("DELETE", `/api/runs/${id}`)).status, 204);
  });

  it("guards every route but health", async () => {
    const id = (await new Api(keyed.url, { authorization: "Bearer k1" }).submit(hello, "?wait=10")).body as RunView;
    for (const [method, path] of [
      ["GET", `/api/runs/${id.id}`],
      ["GET", `/api/runs/${id.id}/events`],
      ["POST", `/api/runs/${id.id}/cancel`],
      ["DELETE", `/api/runs/${id.id}`],
      ["GET", "/metrics"],
      ["GET", "/api/openapi.json"],
    ] as const) {
      assertError(await keyed.api.request(method, path), 401, "unauthorized");
    }
    const health = await keyed.api.request<{ status: string }>("GET", "/api/health");
    assert.equal(health.status, 200);
    assert.equal(health.body.status, "ok");
    // The run is untouched by the refused DELETE.
    const run = await new Api(keyed.url, { authorization: "Bearer k1" }).get(id.id);
    assert.equal(run.status, 200);
  });
});

describe("rate limit", () => {
  it("answers 429 rate_limited past the requests per minute, but health stays open", async () => {
    const api = limited.api;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await api.get("no-such-run")).status);
    assert.deepEqual(statuses, [404, 404, 404, 404, 404]);
    const sixth = await api.submit(hello);
    assertError(sixth, 429, "rate_limited");
    assert.ok(Number(sixth.headers.get("retry-after")) > 0, `Retry-After: ${sixth.headers.get("retry-after")}`);
    assertError(await api.get("no-such-run"), 429, "rate_limited");
    assert.equal((await api.request("GET", "/api/health")).status, 200);
  });

  it(
    "cannot be dodged by sending made-up bearer tokens when no API keys are configured",
    async () => {
      // The IP's own bucket is spent by the test above.
      const answers: number[] = [];
      for (let i = 0; i < 8; i++) answers.push((await limited.api.request("GET", "/api/runs/no-such-run", { headers: { authorization: `Bearer made-up-${i}` } })).status);
      assert.ok(answers.includes(429), `statuses: ${answers.join(", ")}`);
    },
  );
});
