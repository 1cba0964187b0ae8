/**
 * Builds (type-checks and parses) run in worker threads, never on the server's event loop: the
 * TypeScript checker's cost grows with the source, and one pathological program froze every
 * request for seconds when it ran in-line. Each build has a hard deadline counted from when a
 * thread takes it; past it the thread is terminated (piscina replaces it) and the build ends with
 * one error diagnostic that says so.
 */
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import type { Runtime } from "../orchestrator/runtimes.js";
import type { BuildProgram, CheckTask, CheckerThreadConfig } from "./check-worker.js";
import type { Diagnostic } from "./typecheck.js";

export interface CheckerPoolOptions {
  /** Checker threads. */
  threads: number;
  /** A build still running this long after a thread took it is stopped. */
  timeoutMs: number;
  /** The runtimes whose libs each thread parses when it starts (a build for another parses them then). */
  warm: Runtime[];
}

/** Every checker thread is busy and as many checks again are waiting (the API answers 503 checker_busy). */
export class CheckerBusyError extends Error {}

export class CheckerPool {
  readonly #piscina: Piscina<CheckTask, Diagnostic[]>;
  readonly #o: CheckerPoolOptions;
  #inFlight = 0;
  #timedOut = 0;

  constructor(options: CheckerPoolOptions) {
    this.#o = options;
    this.#piscina = new Piscina({
      filename: new URL("./check-worker.js", import.meta.url).href,
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: 2 ** 31 - 1, // threads hold a warm checker: keep them
      concurrentTasksPerWorker: 1,
      // Deeply nested source recurses in TypeScript's parser and checker: room to fail cleanly.
      resourceLimits: { stackSizeMb: 16 },
      workerData: { warm: options.warm } satisfies CheckerThreadConfig,
    });
    // A thread failing outside any task (piscina replaces it) is never an uncaught exception here.
    this.#piscina.on("error", () => undefined);
  }

  /**
   * The program's diagnostics. `busy: "refuse"` throws CheckerBusyError rather than queue behind
   * a full pool (interactive checks); builds of accepted runs always queue. A build whose `signal`
   * aborts answers no diagnostics (the caller knows why).
   */
  async diagnose(program: BuildProgram, options: { signal?: AbortSignal; busy?: "queue" | "refuse" } = {}): Promise<Diagnostic[]> {
    if (options.busy === "refuse" && this.#inFlight >= 2 * this.#o.threads) throw new CheckerBusyError(`all ${this.#o.threads} checkers are busy; retry shortly`);
    const stop = new AbortController();
    const { port1, port2 } = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    let overran = false;
    port1.once("message", () => {
      timer = setTimeout(() => {
        overran = true;
        stop.abort();
      }, this.#o.timeoutMs);
    });
    const cancel = () => stop.abort();
    options.signal?.addEventListener("abort", cancel, { once: true });
    this.#inFlight++;
    try {
      return await this.#piscina.run({ program, started: port2 }, { signal: stop.signal, transferList: [port2] });
    } catch (e) {
      if (overran) {
        this.#timedOut++;
        return [overrun(program, this.#o.timeoutMs)];
      }
      if (stop.signal.aborted) return [];
      throw e;
    } finally {
      this.#inFlight--;
      clearTimeout(timer);
      port1.close();
      options.signal?.removeEventListener("abort", cancel);
    }
  }

  /** Resolves once every thread has its checker warm (one small check each). */
  async ready(): Promise<void> {
    const program: BuildProgram = { language: "typescript", runtime: "quickjs", files: { "warmup.ts": "export const warm: number = 1;" }, typecheck: true };
    await Promise.all(Array.from({ length: this.#o.threads }, () => this.diagnose(program)));
  }

  stats(): { threads: number; inFlight: number; timedOut: number } {
    return { threads: this.#o.threads, inFlight: this.#inFlight, timedOut: this.#timedOut };
  }

  async close(): Promise<void> {
    await this.#piscina.destroy();
  }
}

function overrun(program: BuildProgram, timeoutMs: number): Diagnostic {
  const file = Object.keys(program.files)[0] ?? "";
  const what = program.language === "typescript" && program.typecheck ? "type-checking" : "parsing";
  return {
    file,
    line: 1,
    column: 1,
    endLine: 1,
    endColumn: 1,
    code: 0,
    category: "error",
    message: `the build was stopped: ${what} took longer than the build time limit (${timeoutMs} ms)`,
  };
}
