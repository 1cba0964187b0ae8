/**
 * A body over the size limit gets its 413 whatever the client: the server reads and discards the
 * rest for a short while (a lingering close, as nginx does) instead of closing the socket under a
 * client still writing (Node's fetch then saw EPIPE, not the answer). And the discarding is bounded.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { assertError, sleep, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;

before(async () => {
  server = await startTestServer({ poolSize: 1, maxSourceBytes: 64 * 1024 }); // body limit: 2 MiB + 128 KiB
});

after(async () => {
  await server?.close();
});

/** A JSON body of about `mb` MiB, streamed in 256 KiB pieces with a pause between them (a client still writing). */
function slowBody(mb: number): ReadableStream<Uint8Array> {
  const piece = new TextEncoder().encode("x".repeat(256 * 1024));
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode(`{"source":"console.log(1)","stdin":"`));
      if (sent >= mb * 4) {
        controller.enqueue(new TextEncoder().encode(`"}`));
        return controller.close();
      }
      await sleep(5);
      controller.enqueue(piece);
      sent++;
    },
  });
}

describe("request bodies over the limit", () => {
  for (const [label, headers] of [
    ["chunked", {}],
    ["with a Content-Length", { "content-length": String(6 * 1024 * 1024 + 40) }],
  ] as const) {
    it(`answer 413 to Node's fetch while it is still sending (${label})`, async () => {
      const res = await fetch(`${server.url}/api/runs`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: slowBody(6),
        duplex: "half",
      } as RequestInit);
      const body: unknown = await res.json();
      assertError({ status: res.status, headers: res.headers, body }, 413, "payload_too_large");
    });
  }

  it("stop reading a body that never ends, a few seconds after the answer", async () => {
    const url = new URL(server.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let answer = "";
    socket.setEncoding("utf8").on("data", (text: string) => (answer += text));
    socket.on("error", () => undefined); // the reset that ends it
    socket.write(`POST /api/runs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
    const piece = `10000\r\n${"x".repeat(0x10000)}\r\n`;
    const started = Date.now();
    while (!socket.destroyed && Date.now() - started < 60_000) {
      socket.write(piece);
      await sleep(2);
    }
    assert.ok(socket.destroyed, "the server read on for a minute");
    assert.match(answer, /^HTTP\/1\.1 413 /);
  });
});
