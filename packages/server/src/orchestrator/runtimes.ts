/**
 * The executors a server runs programs on, by runtime: QuickJS (the worker pool, always there)
 * and Node.js (containers; off, or unavailable where bubblewrap or user namespaces are missing).
 * An unavailable runtime is a reason, shown by health and in the 503 a run asking for it gets.
 */
import type { Executor, ExecutorStats } from "isolator";
import type { ServerConfig } from "../config.js";

export const RUNTIMES = ["quickjs", "node"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** A runtime that cannot take runs here; the message names the missing piece. */
export class RuntimeUnavailableError extends Error {
  constructor(readonly runtime: Runtime, reason: string) {
    super(`the ${runtime} runtime is unavailable: ${reason}`);
  }
}

export type RuntimeSlot = { executor: Executor } | { unavailable: string };

export class Runtimes {
  readonly #slots: Record<Runtime, RuntimeSlot>;

  constructor(slots: Record<Runtime, RuntimeSlot>) {
    this.#slots = slots;
  }

  /** The runtime's executor, or RuntimeUnavailableError. */
  executor(runtime: Runtime): Executor {
    const slot = this.#slots[runtime];
    if ("unavailable" in slot) throw new RuntimeUnavailableError(runtime, slot.unavailable);
    return slot.executor;
  }

  available(runtime: Runtime): boolean {
    return "executor" in this.#slots[runtime];
  }

  /** Throws RuntimeUnavailableError unless the runtime takes runs. */
  assertAvailable(runtime: Runtime): void {
    this.executor(runtime);
  }

  /** Each runtime: available with its executor's stats, or the reason it is not. */
  health(): Record<Runtime, { available: true; stats: ExecutorStats } | { available: false; reason: string }> {
    const entry = (slot: RuntimeSlot) => ("unavailable" in slot ? { available: false as const, reason: slot.unavailable } : { available: true as const, stats: slot.executor.stats() });
    return { quickjs: entry(this.#slots.quickjs), node: entry(this.#slots.node) };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.#slots).map((slot) => ("executor" in slot ? slot.executor.close() : undefined)));
  }
}

/** The node runtime as configured: off, unavailable here (the reason names the missing piece), or started. */
export async function nodeRuntime(config: ServerConfig): Promise<RuntimeSlot> {
  if (!config.node.enabled) return { unavailable: "not enabled on this server (isolator serve --node on)" };
  const { NodeExecutor, SandboxUnavailableError } = await import("isolator/node");
  try {
    const executor = await NodeExecutor.start({
      size: config.node.size,
      warm: config.node.warm,
      maxQueue: config.queueCapacity,
      timeLimit: config.defaultLimits.timeMs,
      memoryLimit: config.defaultLimits.memoryMb * 1024 * 1024, // warm sandboxes are booted for the default limit
      maxOutputBytes: config.defaultLimits.outputKb * 1024,
      maxTimeLimit: config.maxLimits.timeMs,
      ...(config.node.modules ? { nodeModules: config.node.modules } : {}),
    });
    return { executor };
  } catch (e) {
    if (e instanceof SandboxUnavailableError) return { unavailable: e.message };
    throw e;
  }
}
