/** A TCP forwarder the tests can cut and restore: a server "briefly unreachable", without stopping the machine's server. */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export class CuttableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(targetPort: number, targetHost = "127.0.0.1"): Promise<CuttableProxy> {
    const proxy: CuttableProxy = new CuttableProxy(
      createServer((client) => {
        if (proxy.#cut) return void client.destroy();
        const upstream = createConnection(targetPort, targetHost);
        for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
          proxy.#sockets.add(a);
          a.on("error", () => b.destroy());
          a.on("close", () => (proxy.#sockets.delete(a), b.destroy()));
          a.pipe(b);
        }
      }),
    );
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** Drops every connection and refuses new ones until restore(). */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  restore(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
