/** Base class of every error this library throws. */
export class IsolatorError extends Error {
  override name = "IsolatorError";
}

/**
 * The guest threw. `guestStack` holds guest frames only; `cause` is the thrown value, copied out.
 * `hostDetail`: what the host knows and the guest was not told, e.g. the host paths and the reason
 * behind a refused import; for the host's logs, never shown to the guest.
 */
export class IsolatedError extends IsolatorError {
  override name = "IsolatedError";
  readonly guestName: string;
  readonly guestStack: string;
  readonly hostDetail: string | undefined;
  constructor(guestName: string, message: string, guestStack: string, cause: unknown, hostDetail?: string) {
    super(message, { cause });
    this.guestName = guestName;
    this.guestStack = guestStack;
    this.hostDetail = hostDetail;
  }
}

/** A call ran past its `timeLimit` (evaluation, jobs, timers, awaited callbacks and result encoding). */
export class IsolatedTimeoutError extends IsolatorError {
  override name = "IsolatedTimeoutError";
  constructor(readonly timeLimit: number) {
    super(`the call exceeded its time limit of ${timeLimit} ms`);
  }
}

/** The guest ran out of its `memoryLimit`. */
export class IsolatedMemoryError extends IsolatorError {
  override name = "IsolatedMemoryError";
  constructor(readonly memoryLimit: number, options?: ErrorOptions) {
    super(`the runtime exceeded its memory limit of ${memoryLimit} bytes`, options);
  }
}

/** A lambda uses variables of the host's scope, which the guest cannot see. */
export class IsolatedCaptureError extends IsolatorError {
  override name = "IsolatedCaptureError";
  constructor(readonly identifiers: readonly string[]) {
    const list = identifiers.map((id) => `'${id}'`).join(", ");
    const params = identifiers.join(", ");
    super(
      `the lambda uses host variable${identifiers.length > 1 ? "s" : ""} ${list}, which the guest cannot see: ` +
        `a lambda runs inside the runtime and sees only guest globals. Pass ${identifiers.length > 1 ? "them" : "it"} ` +
        `as argument${identifiers.length > 1 ? "s" : ""} instead, e.g. runtime.invoke((${params}) => ..., ${params})`,
    );
  }
}

/** A value cannot cross the boundary (a function, a symbol, a WeakMap, a promise, an oversize message...). */
export class IsolatedSerializationError extends IsolatorError {
  override name = "IsolatedSerializationError";
  constructor(readonly path: string, reason: string) {
    super(`cannot copy ${path} across the isolation boundary: ${reason}`);
  }
}

/** The runtime hit an engine fault (native stack overflow, engine abort) and can no longer be used. */
export class IsolatedRuntimeFaultedError extends IsolatorError {
  override name = "IsolatedRuntimeFaultedError";
}

/** The runtime, host or object was disposed. */
export class IsolatedRuntimeDisposedError extends IsolatorError {
  override name = "IsolatedRuntimeDisposedError";
}

/** What the host asked for is not there: a module, an export, a class, a method, enough arguments, or it is private. */
export class IsolatedLookupError extends IsolatorError {
  override name = "IsolatedLookupError";
  constructor(
    readonly kind: "module" | "export" | "constructor" | "method" | "arity" | "private" | "object",
    message: string,
  ) {
    super(message);
  }
}
