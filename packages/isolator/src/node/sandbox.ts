/**
 * One Node sandbox: a bubblewrap container with Node booted inside, waiting for its program. It
 * runs exactly one program, then it and everything it started are killed; nothing of it remains
 * (its files lived in its own tmpfs, its processes in its own pid namespace and cgroup).
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { OutputChunk, RunError, RunResult, RunStatus } from "../program/runner.js";
import type { Cgroup, CgroupUsage } from "./cgroups.js";
import type { SandboxProgram } from "./program.js";

/** After an uncaught error was reported, how long Node may take to print it and exit by itself. */
const UNCAUGHT_GRACE_MS = 200;
/** Joins the cgroups (each file in $ISOLATOR_CGROUPS) before anything of the sandbox starts, then becomes the command. */
const JOIN_CGROUPS = 'for f in $ISOLATOR_CGROUPS; do echo $$ > "$f" || exit 111; done; exec "$@"';

export interface SandboxRun {
  program: SandboxProgram;
  stdin: string;
  timeLimit: number;
  memoryLimit: number;
  maxOutputBytes: number;
  processes: number;
  onStart?: () => void;
  onOutput?: (chunk: OutputChunk) => void;
  signal?: AbortSignal;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

export class Sandbox {
  readonly #child: Child;
  readonly #control: import("node:net").Socket;
  readonly #cgroup: Cgroup | undefined;
  /** Resolves once Node is booted and waiting; rejects if the sandbox died first. */
  readonly ready: Promise<void>;
  #messages: ((message: ControlMessage) => void) | undefined;
  #exited: ((code: number | null) => void) | undefined;
  #exitCode: number | null | undefined;
  #bootLog = "";
  #killed = false;

  /** Starts a sandbox booted for `memoryLimit` (Node's heap limit is fixed at boot). */
  constructor(
    command: { file: string; args: string[] },
    cgroup: Cgroup | undefined,
    readonly memoryLimit: number,
  ) {
    this.#cgroup = cgroup;
    this.#child = spawn("/bin/sh", ["-c", JOIN_CGROUPS, "sh", command.file, ...command.args], {
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", ISOLATOR_CGROUPS: cgroup?.procsFiles.join(" ") ?? "" },
    }) as Child;
    this.#control = this.#child.stdio[3] as import("node:net").Socket;
    this.#child.stdin.on("error", () => undefined); // a program that does not read its stdin
    this.#control.on("error", () => undefined);
    const boot = (data: Buffer) => void (this.#bootLog = (this.#bootLog + data.toString()).slice(-4000));
    this.#child.stdout.on("data", boot);
    this.#child.stderr.on("data", boot);
    let buffered = "";
    this.#control.on("data", (data: Buffer) => {
      buffered += data.toString();
      for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        try {
          this.#messages?.(JSON.parse(line) as ControlMessage);
        } catch {
          // not ours: the program wrote to the control socket
        }
      }
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.#messages = (m) => m.type === "ready" && resolve();
      this.#child.once("error", reject);
      this.#child.once("exit", (code) => reject(new Error(`the sandbox did not start (exit ${code}): ${this.#bootLog.trim() || "no output"}`)));
    });
    this.ready.catch(() => undefined);
    this.#child.once("exit", (code, signal) => {
      this.#exitCode = code ?? (signal ? 128 : null);
      this.#exited?.(this.#exitCode);
    });
  }

  /** Runs the program once the sandbox is ready; the sandbox is spent afterwards (and killed). Never rejects. */
  async run(run: SandboxRun): Promise<RunResult> {
    try {
      await this.ready;
    } catch (e) {
      this.kill();
      return { status: "crashed", exitCode: null, error: { name: "SandboxError", message: e instanceof Error ? e.message : String(e), stack: "" }, output: [], stats: { queuedMs: 0, runMs: 0, cpuMs: 0, memoryPeakBytes: 0 } };
    }
    return new Promise<RunResult>((resolve) => {
      const child = this.#child;
      child.stdout.removeAllListeners("data");
      child.stderr.removeAllListeners("data");
      const output: OutputChunk[] = [];
      const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
      let bytes = 0;
      let stderrTail = "";
      let reported: { code?: number; error?: RunError } = {};
      let ended = 0;
      let done = false;
      let started = performance.now();

      const finish = (reason: "ended" | "timed_out" | "cancelled" | "output_exceeded" | "crashed", detail?: string) => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        run.signal?.removeEventListener("abort", cancel);
        const runMs = performance.now() - started;
        let usage: CgroupUsage | undefined;
        try {
          usage = this.#cgroup?.usage();
        } catch {
          usage = undefined;
        }
        this.kill();
        const heapExhausted = /JavaScript heap out of memory|Reached heap limit/.test(stderrTail);
        let status: RunStatus;
        let exitCode: number | null = null;
        let error: RunError | undefined;
        if (reason === "timed_out") {
          status = "timed_out";
          error = { name: "IsolatedTimeoutError", message: `the program exceeded its time limit of ${run.timeLimit} ms`, stack: "" };
        } else if (reason === "cancelled" || reason === "output_exceeded") status = reason;
        else if (reason === "crashed") {
          status = "crashed";
          error = { name: "SandboxError", message: detail ?? "the sandbox failed", stack: "" };
        } else if (usage?.outOfMemory || heapExhausted) {
          status = "memory_exceeded";
          error = { name: "IsolatedMemoryError", message: `the program exceeded its memory limit of ${run.memoryLimit} bytes`, stack: "" };
        } else {
          exitCode = (reported.code ?? this.#exitCode ?? 1) & 0xff;
          status = exitCode === 0 ? "succeeded" : "failed";
          if (exitCode !== 0 && reported.error) error = reported.error;
        }
        if (usage?.processLimitHit && status !== "succeeded") {
          error = { name: "ProcessLimitError", message: `the program reached its limit of ${run.processes} processes`, stack: "" };
        }
        resolve({
          status,
          exitCode,
          ...(error ? { error } : {}),
          output,
          stats: { queuedMs: 0, runMs, cpuMs: usage?.cpuMs ?? 0, memoryPeakBytes: usage?.memoryPeakBytes ?? 0 },
        });
      };

      const deliver = (stream: "stdout" | "stderr", data: Buffer) => {
        if (done) return;
        const room = run.maxOutputBytes - bytes;
        const over = data.length > room;
        const text = decoders[stream].write(over ? data.subarray(0, room) : data);
        bytes += over ? room : data.length;
        if (stream === "stderr") stderrTail = (stderrTail + text).slice(-400);
        if (text !== "") {
          const chunk = { stream, text, timeMs: performance.now() - started };
          output.push(chunk);
          try {
            run.onOutput?.(chunk);
          } catch {
            // the caller's own error: never the executor's
          }
        }
        if (over) finish("output_exceeded");
      };
      let exited = false;
      const streamEnded = () => {
        if (++ended === 2 && (reported.code !== undefined || exited)) finish("ended");
      };
      child.stdout.on("data", (d: Buffer) => deliver("stdout", d));
      child.stderr.on("data", (d: Buffer) => deliver("stderr", d));
      child.stdout.once("end", streamEnded);
      child.stderr.once("end", streamEnded);
      this.#messages = (m) => {
        if (m.type === "error") reported.error = { name: String(m.name), message: String(m.message), stack: String(m.stack) };
        else if (m.type === "exit" && reported.code === undefined) {
          reported = { ...reported, code: Number.isInteger(m.code) ? m.code : 1 };
          // Its last output is in the pipes: kill the container now (quicker than its own teardown,
          // and nothing it started outlives it), and finish once the pipes have drained. Except
          // after an uncaught error, which Node prints only after 'exit': then the process ends
          // by itself (or is killed at the grace, if a descendant holds its output open).
          if (ended === 2) finish("ended");
          else if (reported.error) setTimeout(() => this.#terminate(), UNCAUGHT_GRACE_MS).unref();
          else this.#terminate();
        }
      };
      // The sandbox died (killed at the grace, or on its own): finish once its output has drained.
      const onExit = () => {
        exited = true;
        if (ended === 2) finish("ended");
        else setTimeout(() => finish("ended"), 100).unref(); // every writer is dead: the rest is in flight
      };
      if (this.#exitCode !== undefined) return finish("crashed", "the sandbox had exited before its program arrived");
      this.#exited = onExit;

      const cancel = () => finish("cancelled");
      if (run.signal?.aborted) return finish("cancelled");
      run.signal?.addEventListener("abort", cancel, { once: true });
      try {
        this.#cgroup?.limit({ memoryBytes: run.memoryLimit, processes: run.processes });
        this.#cgroup?.reset();
      } catch (e) {
        return finish("crashed", `the sandbox's limits could not be set: ${e instanceof Error ? e.message : String(e)}`);
      }
      const payload = Buffer.from(JSON.stringify(run.program));
      const header = Buffer.alloc(4);
      header.writeUInt32LE(payload.length);
      this.#control.write(Buffer.concat([header, payload]));
      child.stdin.end(run.stdin);
      started = performance.now();
      const deadline = setTimeout(() => finish("timed_out"), run.timeLimit);
      try {
        run.onStart?.();
      } catch {
        // the caller's own error
      }
    });
  }

  /** Kills the sandbox (its whole pid namespace goes with bwrap) and removes its cgroups. */
  kill(): void {
    this.#terminate();
    void this.#cgroup?.destroy();
  }

  /** Kills the container (its cgroup stays, for its usage to be read). */
  #terminate(): void {
    if (this.#killed) return;
    this.#killed = true;
    this.#child.kill("SIGKILL");
    this.#control.destroy();
  }
}

type ControlMessage = { type: "ready" } | { type: "error"; name: unknown; message: unknown; stack: unknown } | { type: "exit"; code: number };
