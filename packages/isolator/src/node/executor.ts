/**
 * NodeExecutor: real Node.js, one throwaway bubblewrap container per run, behind the same
 * Executor contract as the QuickJS pool. A few sandboxes are kept booted and waiting; each runs
 * exactly one program and is replaced in the background.
 */
import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, join } from "node:path";
import type { Executor, ExecutorStats, RunOptions } from "../executor.js";
import { IsolatorError } from "../errors.js";
import { assertLimits, withoutUndefined } from "../options.js";
import type { ProgramSource, RunResult, RunStatus } from "../program/runner.js";
import { IsolatedPoolClosedError, IsolatedPoolQueueFullError } from "../pool/pool.js";
import { cgroupFactory, type CgroupFactory } from "./cgroups.js";
import { nodeLibraries, sandboxCommand, type SandboxSpec } from "./plan.js";
import { NodeProgramSyntaxError, sandboxProgram } from "./program.js";
import { Sandbox } from "./sandbox.js";

export interface NodeExecutorOptions {
  /** Runs at once. Default: available parallelism. */
  size?: number;
  /** Sandboxes kept booted and waiting. Default: size. */
  warm?: number;
  /** Runs waiting beyond the running ones; past it run() rejects. Default 1000. */
  maxQueue?: number;
  /** Defaults for every run: timeLimit 5000 ms, memoryLimit 128 MiB (warm sandboxes are booted for it), maxOutputBytes 1 MiB. */
  timeLimit?: number;
  memoryLimit?: number;
  maxOutputBytes?: number;
  /** Largest time limit a run may ask (bounds CPU time per process). Default 60000 ms. */
  maxTimeLimit?: number;
  /** Processes (and threads) a run may have at once; Node itself needs about a dozen. Default 64. */
  maxProcesses?: number;
  /** Bytes of the working directory's tmpfs, and of /tmp's. Default 16 MiB. */
  tmpfsBytes?: number;
  /** A node_modules directory mounted read-only at /node_modules in every sandbox. */
  nodeModules?: string;
  /** The node binary. Default: the one running this process. */
  node?: string;
  /** The bwrap binary. Default: found on PATH. */
  bwrap?: string;
  /** Use cgroups where writable (default true); false forces the rlimit fallback. */
  cgroups?: boolean;
}

export interface NodeExecutorStats extends ExecutorStats {
  /** Sandboxes booted and waiting. */
  warm: number;
  /** How memory and process count are bounded: cgroup v1/v2, or rlimits where no cgroup is writable. */
  limits: "cgroup-v1" | "cgroup-v2" | "rlimit";
}

/** bubblewrap is missing or this system refuses the namespaces it needs: the message names which. */
export class SandboxUnavailableError extends IsolatorError {
  override name = "SandboxUnavailableError";
}

interface Waiting {
  start(): void;
  cancel(): void;
}

export class NodeExecutor implements Executor {
  readonly #size: number;
  readonly #warmTarget: number;
  readonly #maxQueue: number;
  readonly #defaults: { timeLimit: number; memoryLimit: number; maxOutputBytes: number };
  readonly #maxTimeLimit: number;
  readonly #maxProcesses: number;
  readonly #spec: Omit<SandboxSpec, "memoryLimit">;
  readonly #libraries: { path: string; real: string }[];
  readonly #cgroups: CgroupFactory | undefined;
  readonly #warm: Sandbox[] = [];
  readonly #queue: Waiting[] = [];
  readonly #inflight = new Set<Promise<RunResult>>();
  readonly #cancels = new Set<() => void>();
  #booting = 0;
  #running = 0;
  #closed = false;
  #counts = { completed: 0, timedOut: 0, crashed: 0, cancelled: 0 };

  private constructor(options: NodeExecutorOptions, bwrap: string, node: string, libraries: { path: string; real: string }[], cgroups: CgroupFactory | undefined) {
    this.#size = options.size ?? availableParallelism();
    this.#warmTarget = options.warm ?? this.#size;
    this.#maxQueue = options.maxQueue ?? 1000;
    this.#defaults = { timeLimit: 5000, memoryLimit: 128 * 1024 * 1024, maxOutputBytes: 1024 * 1024, ...withoutUndefined({ timeLimit: options.timeLimit, memoryLimit: options.memoryLimit, maxOutputBytes: options.maxOutputBytes }) };
    this.#maxTimeLimit = options.maxTimeLimit ?? 60_000;
    this.#maxProcesses = options.maxProcesses ?? 64;
    this.#libraries = libraries;
    this.#cgroups = cgroups;
    const tmpfsBytes = options.tmpfsBytes ?? 16 * 1024 * 1024;
    const rootless = process.getuid?.() !== 0;
    this.#spec = {
      bwrap,
      node,
      ...(options.nodeModules ? { nodeModules: options.nodeModules } : {}),
      tmpfsBytes,
      rlimits: {
        fsize: tmpfsBytes,
        cpuSeconds: Math.ceil(this.#maxTimeLimit / 1000) + 1,
        // Without a cgroup: the data segment bounds what each process maps; a process count per user only means something for a user of its own.
        ...(cgroups ? {} : { data: this.#defaults.memoryLimit, ...(rootless ? { nproc: this.#maxProcesses } : {}) }),
      },
    };
  }

  /**
   * Checks once that sandboxes work here (bubblewrap present, namespaces allowed: a real sandbox
   * is started), then keeps `warm` of them booted. Rejects with SandboxUnavailableError otherwise.
   */
  static async start(options: NodeExecutorOptions = {}): Promise<NodeExecutor> {
    validateOptions(options);
    const bwrap = options.bwrap ?? onPath("bwrap");
    if (!bwrap || !existsSync(bwrap)) throw new SandboxUnavailableError("bubblewrap (bwrap) is not installed: apt-get install bubblewrap");
    if (!onPath("prlimit")) throw new SandboxUnavailableError("prlimit (util-linux) is not installed");
    const node = options.node ?? process.execPath;
    if (options.nodeModules !== undefined && !(existsSync(options.nodeModules) && statSync(options.nodeModules).isDirectory())) {
      throw new IsolatorError(`nodeModules '${options.nodeModules}' is not a directory`);
    }
    let libraries;
    try {
      libraries = nodeLibraries(node);
    } catch (e) {
      throw new SandboxUnavailableError(`the libraries of ${node} could not be listed (ldd): ${e instanceof Error ? e.message : String(e)}`);
    }
    const cgroups = options.cgroups === false ? undefined : cgroupFactory();
    const executor = new NodeExecutor(options, bwrap, node, libraries, cgroups);
    const probe = executor.#boot(executor.#defaults.memoryLimit);
    try {
      await probe.ready;
    } catch (e) {
      probe.kill();
      const reason = e instanceof Error ? e.message : String(e);
      const hint = /namespace|Operation not permitted|setting up uid map|No permissions/i.test(reason) ? " (user namespaces refused: check kernel.unprivileged_userns_clone / user.max_user_namespaces)" : "";
      throw new SandboxUnavailableError(`a bubblewrap sandbox could not start${hint}: ${reason}`);
    }
    executor.#warm.push(probe);
    executor.#fill();
    return executor;
  }

  async run(program: ProgramSource, options: RunOptions = {}): Promise<RunResult> {
    const { onOutput, onStart, signal, ...rest } = options;
    if (this.#closed) throw new IsolatedPoolClosedError("the executor is closed");
    assertLimits(rest, ["timeLimit", "memoryLimit", "maxOutputBytes"]);
    const limits = { ...this.#defaults, ...withoutUndefined({ timeLimit: rest.timeLimit, memoryLimit: rest.memoryLimit, maxOutputBytes: rest.maxOutputBytes }) };
    if (limits.timeLimit > this.#maxTimeLimit) throw new IsolatorError(`option timeLimit must be at most ${this.#maxTimeLimit} ms (the executor's maxTimeLimit)`);
    if (typeof program !== "string" && (typeof program !== "object" || program === null || typeof program.files !== "object" || program.files === null)) {
      throw new IsolatorError("a program is a source string or { files, entry }");
    }
    const submitted = performance.now();
    let prepared;
    try {
      prepared = sandboxProgram(program, rest.language, (rest.args ?? []).map(String));
    } catch (e) {
      if (!(e instanceof NodeProgramSyntaxError)) throw e;
      this.#count("failed");
      return { status: "failed", exitCode: 1, error: { name: "SyntaxError", message: e.message, stack: "" }, output: [], stats: { queuedMs: 0, runMs: 0, cpuMs: 0, memoryPeakBytes: 0 } };
    }
    if (this.#queue.length >= this.#maxQueue && this.#running >= this.#size) throw new IsolatedPoolQueueFullError("the executor's queue is full; retry later");
    const running = (async (): Promise<RunResult> => {
      const slot = await this.#slot(signal);
      if (!slot) return this.#cancelledResult(submitted);
      try {
        const sandbox = this.#take(limits.memoryLimit);
        const result = await sandbox.run({ program: prepared, stdin: rest.stdin ?? "", ...limits, processes: this.#maxProcesses, onOutput, onStart, signal }).catch(
          (e: unknown): RunResult => ({ status: "crashed", exitCode: null, error: { name: "SandboxError", message: String(e), stack: "" }, output: [], stats: { queuedMs: 0, runMs: 0, cpuMs: 0, memoryPeakBytes: 0 } }),
        );
        result.stats.queuedMs = slot.queuedMs;
        this.#count(result.status);
        return result;
      } finally {
        this.#running--;
        this.#next();
      }
    })();
    this.#inflight.add(running);
    try {
      return await running;
    } finally {
      this.#inflight.delete(running);
    }
  }

  stats(): NodeExecutorStats {
    return {
      size: this.#size,
      queued: this.#queue.length,
      running: this.#running,
      ...this.#counts,
      warm: this.#warm.length,
      limits: this.#cgroups ? (`cgroup-v${this.#cgroups.version}` as const) : "rlimit",
    };
  }

  close(options: { cancel?: boolean } = {}): Promise<void> {
    this.#closed = true;
    if (options.cancel) for (const cancel of [...this.#cancels]) cancel();
    for (const sandbox of this.#warm.splice(0)) sandbox.kill();
    return Promise.allSettled([...this.#inflight]).then(() => {
      for (const sandbox of this.#warm.splice(0)) sandbox.kill();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Waits for a free run slot; undefined if cancelled first. */
  #slot(signal: AbortSignal | undefined): Promise<{ queuedMs: number } | undefined> {
    const queuedAt = performance.now();
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.#running < this.#size && this.#queue.length === 0) {
      this.#running++;
      return Promise.resolve({ queuedMs: 0 });
    }
    return new Promise((resolve) => {
      const waiting: Waiting = {
        start: () => {
          signal?.removeEventListener("abort", waiting.cancel);
          this.#cancels.delete(waiting.cancel);
          this.#running++;
          resolve({ queuedMs: performance.now() - queuedAt });
        },
        cancel: () => {
          const at = this.#queue.indexOf(waiting);
          if (at >= 0) this.#queue.splice(at, 1);
          this.#cancels.delete(waiting.cancel);
          resolve(undefined);
        },
      };
      signal?.addEventListener("abort", waiting.cancel, { once: true });
      this.#cancels.add(waiting.cancel);
      this.#queue.push(waiting);
    });
  }

  #next(): void {
    while (this.#running < this.#size && this.#queue.length > 0) this.#queue.shift()!.start();
  }

  /** A warm sandbox booted for this memory limit, else a fresh one (its boot is part of this run's wait). */
  #take(memoryLimit: number): Sandbox {
    const at = this.#warm.findIndex((s) => s.memoryLimit === memoryLimit);
    const sandbox = at >= 0 ? this.#warm.splice(at, 1)[0]! : this.#boot(memoryLimit);
    setImmediate(() => this.#fill()); // spawning is synchronous: after this run's program has gone out
    return sandbox;
  }

  /** Boots replacements in the background, up to the warm count. */
  #fill(): void {
    while (!this.#closed && this.#warm.length + this.#booting < this.#warmTarget) {
      this.#booting++;
      const sandbox = this.#boot(this.#defaults.memoryLimit);
      sandbox.ready.then(
        () => {
          this.#booting--;
          if (this.#closed) sandbox.kill();
          else this.#warm.push(sandbox);
        },
        () => {
          this.#booting--;
          sandbox.kill(); // a failed boot is not retried in a loop: the next run boots afresh
        },
      );
    }
  }

  #boot(memoryLimit: number): Sandbox {
    const spec: SandboxSpec = { ...this.#spec, memoryLimit, rlimits: { ...this.#spec.rlimits, ...(this.#spec.rlimits.data !== undefined ? { data: memoryLimit } : {}) } };
    const cgroup = this.#cgroups?.create();
    return new Sandbox(sandboxCommand(spec, this.#libraries), cgroup, memoryLimit);
  }

  #cancelledResult(submitted: number): RunResult {
    this.#count("cancelled");
    return { status: "cancelled", exitCode: null, output: [], stats: { queuedMs: performance.now() - submitted, runMs: 0, cpuMs: 0, memoryPeakBytes: 0 } };
  }

  #count(status: RunStatus): void {
    this.#counts.completed++;
    if (status === "timed_out") this.#counts.timedOut++;
    else if (status === "crashed") this.#counts.crashed++;
    else if (status === "cancelled") this.#counts.cancelled++;
  }
}

function validateOptions(options: NodeExecutorOptions): void {
  for (const key of ["size", "warm", "maxQueue", "maxProcesses"] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= (key === "size" || key === "maxProcesses" ? 1 : 0))) throw new IsolatorError(`option ${key} must be a ${key === "size" || key === "maxProcesses" ? "positive" : "non-negative"} integer`);
  }
  assertLimits(options, ["timeLimit", "memoryLimit", "maxOutputBytes", "maxTimeLimit", "tmpfsBytes"]);
}

/** The first executable of that name on PATH. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(delimiter)) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}
