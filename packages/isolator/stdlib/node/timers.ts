/** node:timers and node:timers/promises over the sandbox's timers; setImmediate is a zero-delay timeout. */
export const setImmediate = (fn: (...args: unknown[]) => void, ...args: unknown[]): number => {
  if (typeof fn !== "function") throw Object.assign(new TypeError('The "callback" argument must be of type function'), { code: "ERR_INVALID_ARG_TYPE" });
  return setTimeout(fn, 0, ...args) as unknown as number;
};
export const clearImmediate = (id: unknown): void => clearTimeout(id as number);

export const timers = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate,
  clearImmediate,
};

interface Options {
  signal?: AbortSignal;
}

function delay<T>(ms: number, value: T, options: Options | undefined, start: (done: () => void) => unknown, stop: (id: unknown) => void): Promise<T> {
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      stop(id);
      reject(abortError(signal!.reason));
    };
    const id = start(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function abortError(cause: unknown): Error {
  return Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR", cause });
}

export const timersPromises = {
  setTimeout: <T = void>(ms?: number, value?: T, options?: Options) => delay(ms ?? 1, value as T, options, (done) => setTimeout(done, ms), (id) => clearTimeout(id as number)),
  setImmediate: <T = void>(value?: T, options?: Options) => delay(0, value as T, options, (done) => setImmediate(done), clearImmediate),
  async *setInterval<T = void>(ms?: number, value?: T, options?: Options): AsyncGenerator<T> {
    for (;;) yield await timersPromises.setTimeout(ms, value as T, options);
  },
  scheduler: {
    wait: (ms: number, options?: Options) => timersPromises.setTimeout(ms, undefined, options),
    yield: () => timersPromises.setImmediate(),
  },
};
