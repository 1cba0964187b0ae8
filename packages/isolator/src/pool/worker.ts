/**
 * A pool worker (run by piscina): one compiled engine per thread; every task gets a fresh
 * runtime. The worker speaks to the pool on one channel of its own for all its tasks (output,
 * host callbacks), opened at start; synchronous callbacks block this thread on a shared flag
 * until the host's reply is on the channel.
 */
import { performance } from "node:perf_hooks";
import { MessageChannel, parentPort, receiveMessageOnPort, threadId, workerData } from "node:worker_threads";
import { IsolatedRuntimeHost } from "../host.js";
import { IsolatedRuntime } from "../runtime.js";
import { runProgram, type OutputChunk, type RunResult } from "../program/runner.js";
import { asyncCallback, programSupport } from "../program/support.js";
import {
  errorToWire,
  finishTask,
  MODULE_CALL,
  REPLIED,
  startTask,
  type HostReply,
  type InvokeOutcome,
  type RunRefused,
  type Task,
  type TaskSkipped,
  type WorkerChannel,
  type WorkerConfig,
  type WorkerMessage,
} from "./messages.js";

const config = workerData as WorkerConfig;
const { port1: channel, port2 } = new MessageChannel();
parentPort!.postMessage({ type: "isolator:channel", port: port2 } satisfies WorkerChannel, [port2]);
const post = (message: WorkerMessage) => channel.postMessage(message);

/** The running task's async host calls awaiting their replies, by call id. */
const pendingAsync = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
let nextCallId = 1;
const settle = (reply: HostReply) => {
  const waiter = pendingAsync.get(reply.id);
  if (!waiter) return; // a reply for a task that has ended
  pendingAsync.delete(reply.id);
  if (reply.ok) waiter.resolve(reply.value);
  else waiter.reject(new Error(reply.message));
};
channel.on("message", settle);

/** The running task's synchronous call to the pool's thread (callbacks; custom module loaders run there). */
let callPool: ((name: string, args: unknown[]) => unknown) | undefined;

const host = new IsolatedRuntimeHost();
for (const source of config.modules) {
  if ("directory" in source) host.withDirectoryModuleLoader(source.directory);
  else host.withModuleLoader((specifier, referrer) => callPool?.(MODULE_CALL, [source.custom, specifier, referrer ?? null]) as string | undefined);
}
// Warm up before the first task (its deadline starts when it does): both templates (programs',
// and invoke's plain one), the transpiler and the JIT would otherwise count against a task's time limit.
await runProgram(host, "export {}; console.log(1)");
new IsolatedRuntime(host, { console: "ignore" }).dispose();

export default async function handle(task: Task): Promise<RunResult | InvokeOutcome | RunRefused | TaskSkipped> {
  if (!startTask(task.flags, threadId)) return { skipped: true }; // cancelled while it waited in the queue
  const callSync = (name: string, args: unknown[]): unknown => {
    const id = nextCallId++;
    Atomics.store(task.flags, REPLIED, 0);
    post({ type: "call", task: task.id, id, name, args, sync: true });
    for (;;) {
      Atomics.wait(task.flags, REPLIED, 0);
      Atomics.store(task.flags, REPLIED, 0);
      for (let m = receiveMessageOnPort(channel); m !== undefined; m = receiveMessageOnPort(channel)) {
        const reply = m.message as HostReply;
        if (reply.id !== id) {
          settle(reply); // an async reply that arrived first
          continue;
        }
        if (reply.ok) return reply.value;
        // The host's callback is async: answering with a promise makes the runtime say so to the guest.
        if (reply.async) return Promise.resolve();
        throw new Error(reply.message);
      }
    }
  };
  callPool = callSync;
  const callAsync = (name: string, args: unknown[]) =>
    new Promise((resolve, reject) => {
      const id = nextCallId++;
      pendingAsync.set(id, { resolve, reject });
      post({ type: "call", task: task.id, id, name, args, sync: false });
    });
  const setup = (runtime: IsolatedRuntime) => {
    for (const name of config.callbackNames) {
      // IsolatorHost.invoke blocks on the host's answer; invokeAsync awaits it (asyncCallback).
      const proxy = (...args: unknown[]) => callSync(name, args);
      runtime.registerCallback(name, Object.assign(proxy, { [asyncCallback]: (...args: unknown[]) => callAsync(name, args) }));
    }
  };

  const elu = performance.eventLoopUtilization();
  try {
    if (task.kind === "run") {
      try {
        // Each chunk crosses at once: streamed live, and already with the pool if the task is killed.
        const onOutput = (chunk: OutputChunk) => post({ type: "output", task: task.id, chunks: [chunk] });
        const result = await runProgram(host, task.program, { ...task.options, exposeHostErrors: config.exposeHostErrors }, { onOutput, setup });
        result.stats.cpuMs = performance.eventLoopUtilization(elu).active;
        return result;
      } catch (e) {
        return { refused: errorToWire(e) }; // misuse (no entry, bad options): the pool rethrows it
      }
    }
    const started = performance.now();
    const runtime = new IsolatedRuntime(host, { ...task.limits, console: "ignore", exposeHostErrors: config.exposeHostErrors });
    try {
      setup(runtime);
      const value = await runtime[programSupport].invokeLambda(task.lambda, task.args);
      return { ok: true, value, stats: { runMs: performance.now() - started, cpuMs: performance.eventLoopUtilization(elu).active, memoryPeakBytes: runtime.memoryUsage } };
    } catch (e) {
      return { ok: false, error: errorToWire(e) };
    } finally {
      runtime.dispose();
    }
  } finally {
    callPool = undefined;
    pendingAsync.clear();
    // The result is on its way, unless the pool began killing this task: then this thread takes
    // no further task, and ends now rather than when the pool's termination reaches it.
    if (!finishTask(task.flags)) process.exit(1);
  }
}
