/**
 * Runs inside every Node sandbox, booted before its program exists: it reports "ready" on the
 * control socket (fd 3), blocks until the program's files arrive there, writes them into the
 * private working directory, and hands over to Node's own entry point (Module.runMain), so the
 * program runs exactly as `node main.js` would. It reports an uncaught error and the exit code
 * on the same socket, after every 'exit' listener has run (so after the program's last output),
 * which lets the host end the run without waiting for the container's teardown. The program can
 * reach the socket too: all it could forge is its own exit code and error.
 */
import { mkdirSync, readSync, writeFileSync, writeSync } from "node:fs";
import Module from "node:module";
import { dirname } from "node:path";

interface ProgramMessage {
  files: [path: string, text: string][];
  entry: string;
  args: string[];
}

const CONTROL = 3;

function send(message: object): void {
  try {
    writeSync(CONTROL, `${JSON.stringify(message)}\n`);
  } catch {
    // the host has gone: nothing to report to
  }
}

function readExactly(length: number): Buffer {
  const buffer = Buffer.alloc(length);
  for (let at = 0; at < length; ) {
    let got: number;
    try {
      got = readSync(CONTROL, buffer, at, length - at, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      continue;
    }
    if (got === 0) process.exit(0); // the host let go of this sandbox unused
    at += got;
  }
  return buffer;
}

/** An error as the host reports it: the frames, without Node's "Name: message" header. */
function describe(error: unknown): { name: string; message: string; stack: string } {
  if (!(error instanceof Error)) return { name: "Error", message: `Uncaught ${typeof error === "string" ? JSON.stringify(error) : String(error)}`, stack: "" };
  const stack = typeof error.stack === "string" ? error.stack : "";
  const frames = stack.indexOf("\n    at ");
  return { name: error.name, message: error.message, stack: frames >= 0 ? stack.slice(frames + 1) : "" };
}

/** What every program's start needs, done before its program exists: the output streams, the ES module loader. */
async function preload(): Promise<void> {
  void process.stdout;
  void process.stderr;
  await import("node:fs");
}

/** Reports the exit code once the 'exit' event has run all its listeners (which may still write, or set exitCode). */
function reportExit(): void {
  const emit = process.emit;
  process.emit = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
    const handled = (emit as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
    if (event === "exit") send({ type: "exit", code: process.exitCode ?? args[0] });
    return handled;
  } as typeof process.emit;
}

void preload().then(start);

function start(): void {
send({ type: "ready" });
const program = JSON.parse(readExactly(readExactly(4).readUInt32LE(0)).toString("utf8")) as ProgramMessage;
for (const [path, text] of program.files) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
process.argv = [process.execPath, program.entry, ...program.args];
process.on("uncaughtExceptionMonitor", (error) => send({ type: "error", ...describe(error) }));
reportExit();
// From a fresh stack, as Node starts a main module (process.argv[1]): no launcher frames under the program's.
setImmediate((Module as unknown as { runMain(): void }).runMain);
}
