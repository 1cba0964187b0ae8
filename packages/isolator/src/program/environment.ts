/**
 * The Node-like surface a program sees (pool.run): `process` (argv, env, exit, exitCode,
 * stdout/stderr.write, stdin), `require` / imports of "fs" (stdin only), "readline" and the
 * standard library's Node modules, `Buffer`, `setImmediate`, `global` and `performance.now`. Installed once in the host's program template (so a program's runtime starts
 * with it); it reads its run's argv and stdin, and writes, through host callbacks named
 * "isolator:*" that the runner registers on each runtime.
 * Self-contained: its source is shipped into the guest.
 */
export interface ProgramConfig {
  argv: string[];
  stdin: string;
  /** Date.now() when the run started. */
  startedAt: number;
}

export function installProgram(g: typeof globalThis): void {
  const host = g.IsolatorHost;
  let loaded: ProgramConfig | undefined;
  const config = () => (loaded ??= host.invoke<ProgramConfig>("isolator:config"));
  const write = (stream: "stdout" | "stderr", chunk: unknown) => {
    host.invoke("isolator:write", stream, typeof chunk === "string" ? chunk : String(chunk));
    return true;
  };
  const defer = (fn: () => void) => g.setTimeout(fn, 0);
  const since = () => Date.now() - config().startedAt;

  type Listener = (...args: unknown[]) => void;
  class Emitter {
    #listeners: Record<string, Listener[]> = {};
    on(event: string, fn: Listener): this {
      (this.#listeners[event] ??= []).push(fn);
      this.listenerAdded(event);
      return this;
    }
    addListener(event: string, fn: Listener): this {
      return this.on(event, fn);
    }
    once(event: string, fn: Listener): this {
      const wrapped: Listener = (...args) => {
        this.off(event, wrapped);
        fn(...args);
      };
      return this.on(event, wrapped);
    }
    off(event: string, fn: Listener): this {
      this.#listeners[event] = (this.#listeners[event] ?? []).filter((l) => l !== fn);
      return this;
    }
    removeListener(event: string, fn: Listener): this {
      return this.off(event, fn);
    }
    emit(event: string, ...args: unknown[]): boolean {
      const ls = this.#listeners[event] ?? [];
      for (const l of [...ls]) l(...args);
      return ls.length > 0;
    }
    listenerCount(event: string): number {
      return (this.#listeners[event] ?? []).length;
    }
    protected listenerAdded(_event: string): void {}
  }

  // stdin: the whole text is known up front; it is delivered asynchronously, as Node does.
  let unread: string | undefined;
  const take = () => {
    const text = unread ?? config().stdin;
    unread = "";
    return text;
  };
  class Stdin extends Emitter {
    fd = 0;
    isTTY = false;
    #flowing = false;
    protected override listenerAdded(event: string): void {
      if ((event === "data" || event === "end" || event === "readable") && !this.#flowing) {
        this.#flowing = true;
        defer(() => {
          const text = take();
          if (text) this.emit("data", text);
          this.emit("end");
          this.emit("close");
        });
      }
    }
    setEncoding(): this {
      return this;
    }
    resume(): this {
      return this;
    }
    pause(): this {
      return this;
    }
    read(): string | null {
      const text = take();
      return text === "" ? null : text;
    }
    async *[Symbol.asyncIterator](): AsyncGenerator<string> {
      const text = take();
      if (text) yield text;
    }
  }
  const stdin = new Stdin();

  class Interface extends Emitter {
    #lines: string[];
    #closed = false;
    #scheduled = false;
    constructor() {
      super();
      const text = take();
      this.#lines = text === "" ? [] : text.split(/\r?\n/);
      if (this.#lines.length > 0 && this.#lines[this.#lines.length - 1] === "") this.#lines.pop();
    }
    protected override listenerAdded(event: string): void {
      if ((event === "line" || event === "close") && !this.#scheduled) {
        this.#scheduled = true;
        defer(() => {
          while (this.#lines.length > 0 && !this.#closed) this.emit("line", this.#lines.shift());
          this.close();
        });
      }
    }
    #next(): Promise<string | undefined> {
      if (this.#lines.length > 0) return Promise.resolve(this.#lines.shift());
      return Promise.resolve(undefined);
    }
    question(query: string, cb?: (answer: string) => void): Promise<string> | undefined {
      write("stdout", query);
      const answer = this.#next().then((line) => line ?? "");
      if (cb) {
        void answer.then(cb);
        return undefined;
      }
      return answer;
    }
    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      this.emit("close");
    }
    async *[Symbol.asyncIterator](): AsyncGenerator<string> {
      for (;;) {
        const line = await this.#next();
        if (line === undefined) return;
        yield line;
      }
    }
    setPrompt(): void {}
    prompt(): void {}
  }

  const fs = {
    readFileSync(path: unknown, options?: unknown): unknown {
      if (path !== 0 && path !== "/dev/stdin") {
        const e = new Error(`ENOENT: no such file or directory, open '${String(path)}' (the sandbox has no file system; only stdin, fd 0, can be read)`);
        (e as Error & { code: string }).code = "ENOENT";
        throw e;
      }
      const text = take();
      const encoding = typeof options === "string" ? options : (options as { encoding?: string } | undefined)?.encoding;
      return encoding ? text : (g as unknown as { Buffer: { from(text: string): unknown } }).Buffer.from(text);
    },
  };
  const readline = {
    createInterface: () => new Interface(),
    Interface,
  };
  const readlinePromises = { createInterface: () => new Interface(), Interface };

  const exitCodes = { current: undefined as number | undefined };
  const processEvents = new Emitter();
  let argv: string[] | undefined;
  const process = {
    get argv(): string[] {
      return (argv ??= config().argv);
    },
    set argv(value: string[]) {
      argv = value;
    },
    argv0: "node",
    execArgv: [] as string[],
    env: {} as Record<string, string>,
    platform: "isolator",
    version: "v20.0.0",
    versions: { isolator: "1" } as Record<string, string>,
    pid: 1,
    arch: "wasm32",
    cwd: () => "/",
    uptime: () => since() / 1000,
    hrtime: Object.assign((prev?: [number, number]) => {
      const ms = since();
      const t: [number, number] = [Math.floor(ms / 1000), (ms % 1000) * 1e6];
      return prev ? [t[0] - prev[0], t[1] - prev[1]] : t;
    }, { bigint: () => BigInt(since()) * 1000000n }),
    nextTick: (fn: (...a: unknown[]) => void, ...args: unknown[]) => g.queueMicrotask(() => fn(...args)),
    get exitCode(): number | undefined {
      return exitCodes.current;
    },
    set exitCode(code: number | undefined) {
      exitCodes.current = code;
      host.invoke("isolator:exitCode", code === undefined ? null : Number(code));
    },
    exit(code?: number): never {
      host.invoke("isolator:exit", Number(code ?? exitCodes.current ?? 0));
      throw new Error("process.exit"); // never reached by the program: the host stops it first
    },
    stdout: { write: (chunk: unknown) => write("stdout", chunk), isTTY: false, columns: 80 },
    stderr: { write: (chunk: unknown) => write("stderr", chunk), isTTY: false, columns: 80 },
    stdin,
    // Listeners are kept and emitted (the host emits "unhandledRejection"); no other event comes.
    on: (event: string, fn: Listener) => (processEvents.on(event, fn), process),
    addListener: (event: string, fn: Listener) => (processEvents.on(event, fn), process),
    once: (event: string, fn: Listener) => (processEvents.once(event, fn), process),
    off: (event: string, fn: Listener) => (processEvents.off(event, fn), process),
    removeListener: (event: string, fn: Listener) => (processEvents.off(event, fn), process),
    emit: (event: string, ...args: unknown[]) => processEvents.emit(event, ...args),
    listenerCount: (event: string) => processEvents.listenerCount(event),
    emitWarning: (warning: unknown) => write("stderr", `Warning: ${String(warning)}\n`),
  };

  // No prototype: `require("toString")` or `require("constructor")` finds no module.
  const builtins: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, {
    fs,
    readline,
    "readline/promises": readlinePromises,
    process,
  });
  // Node's everyday modules, from the standard library (stdlib/index.ts).
  const stdlib = (g as unknown as Record<symbol, ((name: string) => unknown) & { names: string[] }>)[Symbol.for("isolator.stdlib")]!;
  for (const name of stdlib.names) builtins[name] = stdlib(name);
  const define = (name: string | symbol, value: unknown) => Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
  const offered = Object.keys(builtins).sort().join(", ");
  const globals = {
    require(name: string): unknown {
      const id = String(name).replace(/^node:/, "");
      if (id in builtins) return builtins[id];
      const e = new Error(`Cannot find module '${String(name)}': the sandbox offers only ${offered} (fs reads stdin only)`);
      (e as Error & { code: string }).code = "MODULE_NOT_FOUND";
      throw e;
    },
  };
  const performance = {
    now: since,
    get timeOrigin() {
      return config().startedAt;
    },
  };
  // Like the prelude's, these functions print as built-ins (their source is the machinery's).
  const builtIns = (g as unknown as { __isolatorBuiltIns: { of(o: object): void } }).__isolatorBuiltIns.of;
  for (const o of [globals, performance, process, process.stdout, process.stderr, process.hrtime, fs, readline, readlinePromises, Emitter, Emitter.prototype, Stdin, Stdin.prototype, Interface, Interface.prototype, stdin]) {
    builtIns(o);
  }
  builtIns({ Emitter, Stdin, Interface });
  define("process", process);
  define("require", globals.require);
  define("performance", performance);
  define(Symbol.for("isolator.builtins"), builtins);
  define("global", g);
  const timers = stdlib("timers") as { setImmediate: unknown; clearImmediate: unknown };
  define("Buffer", (stdlib("buffer") as { Buffer: unknown }).Buffer);
  define("setImmediate", timers.setImmediate);
  define("clearImmediate", timers.clearImmediate);
}
