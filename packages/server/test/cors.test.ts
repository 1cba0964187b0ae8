// CORS is off by default and follows --cors when set.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "./helpers.js";

describe("CORS", () => {
  let open: TestServer;
  let closed: TestServer;
  before(async () => {
    [open, closed] = await Promise.all([startTestServer({ cors: ["https://play.example"] }), startTestServer()]);
  });
  after(async () => {
    await Promise.all([open.close(), closed.close()]);
  });

  it("answers a preflight from an allowed origin", async () => {
    const res = await fetch(`${open.url}/api/runs`, {
      method: "OPTIONS",
      headers: { origin: "https://play.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    assert.ok(res.status === 204 || res.status === 200, String(res.status));
    assert.equal(res.headers.get("access-control-allow-origin"), "https://play.example");
  });

  it("does not allow other origins, nor any origin by default", async () => {
    const other = await fetch(`${open.url}/api/health`, { headers: { origin: "https://evil.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    const byDefault = await fetch(`${closed.url}/api/health`, { headers: { origin: "https://play.example" } });
    assert.equal(byDefault.headers.get("access-control-allow-origin"), null);
  });
});
