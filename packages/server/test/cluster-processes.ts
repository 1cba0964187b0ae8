/**
 * A cluster of real processes for tests: API nodes (`isolator serve --store --queue`) and worker
 * nodes (`isolator worker`), on their own PostgreSQL schema and Redis key prefix, all removed by
 * `destroy()`.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { Api } from "./helpers.js";
import { dropSchema, POSTGRES_URL, REDIS_URL } from "./postgres.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface Node {
  child: ChildProcess;
  /** The run API (API nodes), or /metrics and /api/health (worker nodes). */
  url: string;
  api: Api;
  output(): string;
}

export class TestCluster {
  readonly schema = `c_${randomBytes(6).toString("hex")}`;
  readonly prefix = `test-${randomBytes(6).toString("hex")}`;
  readonly nodes = new Set<Node>();
  /** The store URL the nodes use (through `postgresPort` if given: a proxy the test can cut). */
  readonly storeUrl: string;
  readonly queueUrl: string;

  constructor(postgresPort?: number) {
    const store = new URL(POSTGRES_URL);
    store.searchParams.set("schema", this.schema);
    if (postgresPort !== undefined) store.port = String(postgresPort);
    this.storeUrl = store.toString();
    const queue = new URL(REDIS_URL);
    queue.searchParams.set("prefix", this.prefix);
    this.queueUrl = queue.toString();
  }

  /** An API node that executes nothing itself (--workers 0). */
  api(...extra: string[]): Promise<Node> {
    return this.#spawn(["serve", "--port", "0", "--store", this.storeUrl, "--queue", this.queueUrl, "--workers", "0", "--log-level", "warn", "--rate-limit", "1000000", ...extra], /isolator: serving on (http:\/\/\S+)/);
  }

  /** A worker node with one thread; a dead worker's jobs are taken back after `lockMs`. */
  worker(lockMs = 2000): Promise<Node> {
    return this.#spawn(["worker", "--store", this.storeUrl, "--queue", this.queueUrl, "--concurrency", "1", "--lock-ms", String(lockMs), "--log-level", "error"], /metrics on (http:\/\/\S+)\/metrics/);
  }

  async #spawn(args: string[], ready: RegExp): Promise<Node> {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (text: string) => (output += text));
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (output += text));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${args[0]} did not start in 60 s: ${output}`)), 60_000);
      const look = () => {
        const m = ready.exec(output);
        if (!m) return;
        clearTimeout(timer);
        child.stdout!.off("data", look);
        resolve(m[1]!);
      };
      child.stdout!.on("data", look);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${args[0]} exited (${code ?? signal}) before it was ready: ${output}`));
      });
    });
    const node: Node = { child, url, api: new Api(url), output: () => output };
    this.nodes.add(node);
    return node;
  }

  async kill(node: Node): Promise<void> {
    const exited = once(node.child, "exit");
    node.child.kill("SIGKILL");
    await exited;
    this.nodes.delete(node);
  }

  /** Deletes every Redis key of this cluster: what a Redis restart (it keeps nothing on disk) does to it. */
  async flushRedis(): Promise<number> {
    const redis = new Redis(REDIS_URL);
    try {
      let deleted = 0;
      for await (const keys of redis.scanStream({ match: `${this.prefix}:*`, count: 500 })) {
        if ((keys as string[]).length > 0) deleted += await redis.del(...(keys as string[]));
      }
      return deleted;
    } finally {
      redis.disconnect();
    }
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.nodes].map((n) => (n.child.exitCode === null && n.child.signalCode === null ? this.kill(n) : undefined)));
    await this.flushRedis();
    await dropSchema(this.schema);
  }
}

/** The worker node (of those given) running a run now, by its /api/health. */
export async function busyWorker(workers: Node[]): Promise<Node> {
  for (let i = 0; i < 400; i++) {
    for (const worker of workers) {
      const health = (await worker.api.request<{ running: number }>("GET", "/api/health")).body;
      if (health.running > 0) return worker;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail("no worker is running anything");
}
