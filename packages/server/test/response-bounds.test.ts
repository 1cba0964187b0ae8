/**
 * What one response can hold is bounded: a run's view carries at most 256 KiB of output (the rest
 * is paged), event streams are written only as fast as they are read, and one client can hold only
 * so many requests open. Slow readers cannot grow the server's memory without bound.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { assertError, sleep, startTestServer, type RunView, type TestServer } from "./helpers.js";

const MIB = 1024 * 1024;
let server: TestServer;
let limited: TestServer;
let runId: string;

before(async () => {
  [server, limited] = await Promise.all([startTestServer({ poolSize: 1 }), startTestServer({ poolSize: 1, maxConnectionsPerClient: 3 })]);
  const run = await server.api.runToEnd({ source: `for (let i = 0; i < 3; i++) process.stdout.write(String(i).repeat(${MIB}));`, typecheck: false, limits: { outputKb: 4096 } });
  assert.equal(run.status, "succeeded");
  runId = run.id;
});

after(async () => {
  await Promise.all([server?.close(), limited?.close()]);
});

interface OutputPage {
  output: RunView["output"];
  outputComplete: boolean;
  links: { nextOutput?: string };
}

describe("response bounds", () => {
  it("caps a run's view at 256 KiB of output, and pages the rest exactly", async () => {
    const view = (await server.api.get(runId)).body as RunView & { outputComplete: boolean; links: { nextOutput?: string } };
    assert.equal(view.outputComplete, false);
    const first = view.output.map((c) => c.text).join("");
    assert.ok(first.length > 0 && first.length <= 256 * 1024, `${first.length} characters in the view`);
    assert.equal(view.stdout, first);
    assert.match(view.links.nextOutput ?? "", /^\/api\/runs\/[\w-]+\/output\?after=\d+$/);
    let text = first;
    let next = view.links.nextOutput;
    let pages = 1;
    while (next) {
      const res = await server.api.request<OutputPage>("GET", next);
      assert.equal(res.status, 200);
      assert.ok(res.body.output.map((c) => c.text).join("").length <= 256 * 1024);
      text += res.body.output.map((c) => c.text).join("");
      assert.equal(res.body.outputComplete, res.body.links.nextOutput === undefined);
      next = res.body.links.nextOutput;
      pages++;
    }
    assert.equal(text, "0".repeat(MIB) + "1".repeat(MIB) + "2".repeat(MIB));
    assert.ok(pages >= 12, `${pages} pages`);
    assertError(await server.api.request("GET", `/api/runs/${runId}/output?after=x`), 400, "invalid_request");
  });

  it("keeps memory bounded while many clients ask for a large run and never read", async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const url = new URL(server.url);
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const path = i % 2 === 0 ? `/api/runs/${runId}` : `/api/runs/${runId}/events`;
      const socket = net.connect(Number(url.port), url.hostname);
      socket.on("error", () => undefined);
      socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      socket.pause(); // never read
      sockets.push(socket);
    }
    await sleep(3000);
    const grown = process.memoryUsage().rss - before;
    for (const socket of sockets) socket.destroy();
    // Unbounded, each answer held its whole 3 MiB of output several times over (~300 MB for 20).
    assert.ok(grown < 100 * MIB, `the server grew ${Math.round(grown / MIB)} MiB`);
    assert.equal((await server.api.request("GET", "/api/health")).status, 200);
  });

  it("answers 429 beyond the requests one client may have open, and serves it again once they end", async () => {
    const api = limited.api;
    const id = await api.accepted({ source: `setInterval(() => {}, 1000);`, typecheck: false, limits: { timeMs: 30_000 } });
    const controllers = Array.from({ length: 3 }, () => new AbortController());
    const polls = controllers.map((c) => fetch(`${limited.url}/api/runs/${id}?wait=25`, { signal: c.signal }).catch(() => undefined));
    await sleep(500);
    assertError(await api.get(id), 429, "too_many_connections");
    assert.equal((await api.request("GET", "/api/health")).status, 200, "health is never refused");
    for (const c of controllers) c.abort();
    await Promise.all(polls);
    await sleep(200);
    assert.equal((await api.get(id)).status, 200);
    assert.equal((await api.request("POST", `/api/runs/${id}/cancel`)).status, 200);
  });
});
