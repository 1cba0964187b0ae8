/**
 * The globals and modules a program sees in the sandbox beyond ECMAScript 2023, as an ambient
 * declaration file for the type checker. It mirrors packages/isolator (guest/prelude.ts: console,
 * timers, IsolatorHost; program/environment.ts: process, require, performance; stdlib/: the
 * WinterTC globals and Node's everyday modules, whose named exports src/stdlib/modules.ts lists),
 * so anything the sandbox lacks (fetch, the DOM, require("http")) is a type error rather than a
 * runtime surprise. The standard library's declarations are in stdlib-types.ts. Helper types live in
 * the type-only `NodeJS` namespace (no runtime value), which also keeps `NodeJS.Timeout` working.
 */
import { STDLIB_GLOBALS } from "./stdlib-types.js";

export const SANDBOX_GLOBALS = `
declare namespace NodeJS {
  type BufferEncoding = "utf8" | "utf-8" | "ascii" | "latin1" | "binary" | "ucs2" | "ucs-2" | "utf16le" | "utf-16le" | "base64" | "base64url" | "hex";
  /** Timers are plain numbers in the sandbox. */
  type Timeout = number;

  interface Console {
    log(...data: unknown[]): void;
    info(...data: unknown[]): void;
    warn(...data: unknown[]): void;
    error(...data: unknown[]): void;
    debug(...data: unknown[]): void;
    trace(...data: unknown[]): void;
    dir(item?: unknown, options?: unknown): void;
    table(tabularData?: unknown, properties?: readonly string[]): void;
    assert(condition?: unknown, ...data: unknown[]): void;
    count(label?: string): void;
    countReset(label?: string): void;
    time(label?: string): void;
    timeLog(label?: string, ...data: unknown[]): void;
    timeEnd(label?: string): void;
  }

  interface Performance {
    /** Milliseconds since the program started. */
    now(): number;
    readonly timeOrigin: number;
  }

  interface WriteStream {
    write(chunk: string): boolean;
    readonly isTTY: false;
    readonly columns: number;
  }

  interface ReadStream extends AsyncIterable<string> {
    readonly fd: 0;
    readonly isTTY: false;
    on(event: "data", listener: (chunk: string) => void): this;
    on(event: "end" | "close" | "readable", listener: () => void): this;
    once(event: "data", listener: (chunk: string) => void): this;
    once(event: "end" | "close" | "readable", listener: () => void): this;
    off(event: "data", listener: (chunk: string) => void): this;
    off(event: "end" | "close" | "readable", listener: () => void): this;
    addListener(event: "data", listener: (chunk: string) => void): this;
    addListener(event: "end" | "close" | "readable", listener: () => void): this;
    removeListener(event: "data", listener: (chunk: string) => void): this;
    removeListener(event: "end" | "close" | "readable", listener: () => void): this;
    setEncoding(encoding?: BufferEncoding): this;
    resume(): this;
    pause(): this;
    read(size?: number): string | null;
    [Symbol.asyncIterator](): AsyncIterableIterator<string>;
  }

  interface HRTime {
    (time?: [number, number]): [number, number];
    bigint(): bigint;
  }

  interface Process {
    argv: string[];
    argv0: string;
    execArgv: string[];
    env: Record<string, string | undefined>;
    /** Stops the program at once: nothing after it runs. */
    exit(code?: number | string | null): never;
    exitCode: number | undefined;
    readonly stdout: WriteStream;
    readonly stderr: WriteStream;
    readonly stdin: ReadStream;
    readonly platform: string;
    readonly version: string;
    readonly versions: Record<string, string>;
    readonly pid: number;
    readonly arch: string;
    cwd(): string;
    uptime(): number;
    readonly hrtime: HRTime;
    nextTick<A extends unknown[]>(callback: (...args: A) => void, ...args: A): void;
    emitWarning(warning: string | Error): void;
  }

  interface Fs {
    readFileSync(path: 0 | "/dev/stdin", options: BufferEncoding | { encoding: BufferEncoding; flag?: string }): string;
    readFileSync(path: 0 | "/dev/stdin", options?: { encoding?: null; flag?: string } | null): Buffer;
  }

  interface ReadlineOptions {
    input: ReadStream;
    output?: WriteStream;
    terminal?: boolean;
    prompt?: string;
    crlfDelay?: number;
  }

  interface ReadlineInterfaceBase extends AsyncIterable<string> {
    on(event: "line", listener: (line: string) => void): this;
    on(event: "close", listener: () => void): this;
    once(event: "line", listener: (line: string) => void): this;
    once(event: "close", listener: () => void): this;
    off(event: "line", listener: (line: string) => void): this;
    off(event: "close", listener: () => void): this;
    addListener(event: "line", listener: (line: string) => void): this;
    addListener(event: "close", listener: () => void): this;
    removeListener(event: "line", listener: (line: string) => void): this;
    removeListener(event: "close", listener: () => void): this;
    close(): void;
    setPrompt(prompt: string): void;
    prompt(): void;
    [Symbol.asyncIterator](): AsyncIterableIterator<string>;
  }

  interface ReadlineInterface extends ReadlineInterfaceBase {
    question(query: string, callback: (answer: string) => void): void;
  }

  interface ReadlinePromisesInterface extends ReadlineInterfaceBase {
    question(query: string): Promise<string>;
  }

  interface Readline {
    createInterface(options: ReadlineOptions): ReadlineInterface;
    createInterface(input: ReadStream, output?: WriteStream): ReadlineInterface;
    Interface: new (options?: ReadlineOptions) => ReadlineInterface;
  }

  interface ReadlinePromises {
    createInterface(options: ReadlineOptions): ReadlinePromisesInterface;
    createInterface(input: ReadStream, output?: WriteStream): ReadlinePromisesInterface;
    Interface: new (options?: ReadlineOptions) => ReadlinePromisesInterface;
  }
}

/** The door to the callbacks the host registered. */
interface IsolatorHost {
  /** Calls a synchronous host callback by name; the result is copied in. */
  invoke<T = unknown>(name: string, ...args: unknown[]): T;
  /** Calls any host callback by name. */
  invokeAsync<T = unknown>(name: string, ...args: unknown[]): Promise<T>;
}
declare var IsolatorHost: IsolatorHost;

declare var console: NodeJS.Console;
declare var process: NodeJS.Process;
declare var performance: NodeJS.Performance;

// The first overloads accept a callback that takes one argument it is never given, as
// \`new Promise((resolve) => setTimeout(resolve, 100))\` does (Node's own typings do the same).
declare function setTimeout(callback: (_: void) => void, ms?: number): number;
declare function setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number;
declare function setInterval(callback: (_: void) => void, ms?: number): number;
declare function setInterval<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
declare function queueMicrotask(callback: () => void): void;

/** Only the sandbox's modules exist; any other name fails with "Cannot find module". */
declare function require(id: "fs" | "node:fs"): NodeJS.Fs;
declare function require(id: "readline" | "node:readline"): NodeJS.Readline;
declare function require(id: "readline/promises" | "node:readline/promises"): NodeJS.ReadlinePromises;
declare function require(id: "process" | "node:process"): NodeJS.Process;

declare module "fs" {
  const fs: NodeJS.Fs;
  export default fs;
  export const readFileSync: NodeJS.Fs["readFileSync"];
}
declare module "node:fs" {
  export * from "fs";
  export { default } from "fs";
}

declare module "readline" {
  const readline: NodeJS.Readline;
  export default readline;
  export const createInterface: NodeJS.Readline["createInterface"];
  export interface Interface extends NodeJS.ReadlineInterface {}
  export const Interface: NodeJS.Readline["Interface"];
  export type ReadLineOptions = NodeJS.ReadlineOptions;
}
declare module "node:readline" {
  export * from "readline";
  export { default } from "readline";
}

declare module "readline/promises" {
  const readline: NodeJS.ReadlinePromises;
  export default readline;
  export const createInterface: NodeJS.ReadlinePromises["createInterface"];
  export interface Interface extends NodeJS.ReadlinePromisesInterface {}
  export const Interface: NodeJS.ReadlinePromises["Interface"];
}
declare module "node:readline/promises" {
  export * from "readline/promises";
  export { default } from "readline/promises";
}

declare module "process" {
  const process: NodeJS.Process;
  export default process;
  export const argv: string[];
  export const env: Record<string, string | undefined>;
  export function exit(code?: number | string | null): never;
  export const stdin: NodeJS.ReadStream;
  export const stdout: NodeJS.WriteStream;
  export const stderr: NodeJS.WriteStream;
  export const nextTick: NodeJS.Process["nextTick"];
}
declare module "node:process" {
  export * from "process";
  export { default } from "process";
}

declare module "isolator/guest" {
  export const host: IsolatorHost;
}
`+ STDLIB_GLOBALS;
