/** node:assert and node:assert/strict, on Node's deep equality (deep-equal.ts). */
import { deepEqual } from "./deep-equal.js";
import { inspect } from "./util.js";

interface Details {
  message?: string | Error;
  actual?: unknown;
  expected?: unknown;
  operator?: string;
}

export class AssertionError extends Error {
  override name = "AssertionError";
  readonly code = "ERR_ASSERTION";
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string | undefined;
  readonly generatedMessage: boolean;

  constructor(options: Details & { message?: string }) {
    super(options.message === undefined ? `${inspect(options.actual)} ${options.operator ?? "=="} ${inspect(options.expected)}` : String(options.message));
    this.actual = options.actual;
    this.expected = options.expected;
    this.operator = options.operator;
    this.generatedMessage = options.message === undefined;
  }
}

const HEADINGS: Record<string, string> = {
  strictEqual: "Expected values to be strictly equal:",
  deepStrictEqual: "Expected values to be strictly deep-equal:",
  deepEqual: "Expected values to be loosely deep-equal:",
  equal: "Expected values to be loosely equal:",
  notStrictEqual: 'Expected "actual" to be strictly unequal to:',
  notDeepStrictEqual: 'Expected "actual" not to be strictly deep-equal to:',
  notDeepEqual: 'Expected "actual" not to be loosely deep-equal to:',
  notEqual: 'Expected "actual" to be loosely unequal to:',
};

function fail(details: Details, generated: string): never {
  if (details.message instanceof Error) throw details.message;
  throw new AssertionError({ ...details, message: details.message ?? generated });
}

function check(pass: boolean, operator: string, actual: unknown, expected: unknown, message: string | Error | undefined): void {
  if (pass) return;
  const shown = operator.startsWith("not") ? `${HEADINGS[operator]}\n\n${inspect(expected)}\n` : `${HEADINGS[operator]}\n\n${inspect(actual)} !== ${inspect(expected)}\n`;
  fail({ actual, expected, operator, message: message as string }, shown);
}

type ErrorCheck = RegExp | (new (...args: never[]) => unknown) | ((e: unknown) => boolean) | Record<string, unknown>;

function matches(error: unknown, expected: ErrorCheck | undefined, message: string | undefined, operator: string): void {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (!expected.test(String(error))) fail({ actual: error, expected, operator, message: message as string }, `The input did not match the regular expression ${String(expected)}. Input:\n\n${inspect(String(error))}\n`);
    return;
  }
  if (typeof expected === "function") {
    if (expected.prototype !== undefined && error instanceof (expected as new () => unknown)) return;
    if (Object.prototype.isPrototypeOf.call(Error, expected) || expected === Error) throw error;
    if ((expected as (e: unknown) => boolean)(error) === true) return;
    fail({ actual: error, expected, operator, message: message as string }, `The ${operator === "rejects" ? "rejection" : "error"} validation function is expected to return "true". Received false`);
  }
  for (const key of Object.keys(expected)) {
    const want = (expected as Record<string, unknown>)[key];
    const got = (error as Record<string, unknown>)?.[key];
    const ok = want instanceof RegExp && typeof got === "string" ? want.test(got) : deepEqual(got, want, true);
    if (!ok) fail({ actual: error, expected, operator, message: message as string }, `Expected values to be strictly deep-equal:\n\n${inspect(got)} !== ${inspect(want)}\n`);
  }
}

function splitArgs(expected: unknown, message: unknown): [ErrorCheck | undefined, string | undefined] {
  return typeof expected === "string" ? [undefined, expected] : [expected as ErrorCheck | undefined, message as string | undefined];
}

function build(strict: boolean) {
  const ok = (...args: [value?: unknown, message?: string | Error]): void => {
    const [value, message] = args;
    if (!value) fail({ actual: value, expected: true, operator: "==", message: message as string }, args.length === 0 ? "No value argument passed to `assert.ok()`" : `The expression evaluated to a falsy value:\n\n  assert.ok(${inspect(value)})\n`);
  };
  const assert = Object.assign((...args: [value?: unknown, message?: string | Error]) => ok(...args), {
    ok,
    fail(message: string | Error = "Failed"): never {
      return fail({ operator: "fail", message }, String(message));
    },
    strictEqual: (a: unknown, b: unknown, m?: string | Error) => check(Object.is(a, b), "strictEqual", a, b, m),
    notStrictEqual: (a: unknown, b: unknown, m?: string | Error) => check(!Object.is(a, b), "notStrictEqual", a, b, m),
    deepStrictEqual: (a: unknown, b: unknown, m?: string | Error) => check(deepEqual(a, b, true), "deepStrictEqual", a, b, m),
    notDeepStrictEqual: (a: unknown, b: unknown, m?: string | Error) => check(!deepEqual(a, b, true), "notDeepStrictEqual", a, b, m),
    equal: strict
      ? (a: unknown, b: unknown, m?: string | Error) => check(Object.is(a, b), "strictEqual", a, b, m)
      : (a: unknown, b: unknown, m?: string | Error) => check(a == b || (Number.isNaN(a) && Number.isNaN(b)), "equal", a, b, m),
    notEqual: strict
      ? (a: unknown, b: unknown, m?: string | Error) => check(!Object.is(a, b), "notStrictEqual", a, b, m)
      : (a: unknown, b: unknown, m?: string | Error) => check(!(a == b || (Number.isNaN(a) && Number.isNaN(b))), "notEqual", a, b, m),
    deepEqual: strict
      ? (a: unknown, b: unknown, m?: string | Error) => check(deepEqual(a, b, true), "deepStrictEqual", a, b, m)
      : (a: unknown, b: unknown, m?: string | Error) => check(deepEqual(a, b, false), "deepEqual", a, b, m),
    notDeepEqual: strict
      ? (a: unknown, b: unknown, m?: string | Error) => check(!deepEqual(a, b, true), "notDeepStrictEqual", a, b, m)
      : (a: unknown, b: unknown, m?: string | Error) => check(!deepEqual(a, b, false), "notDeepEqual", a, b, m),
    throws(fn: () => unknown, expected?: unknown, message?: unknown): void {
      const [check, text] = splitArgs(expected, message);
      try {
        fn();
      } catch (e) {
        matches(e, check, text, "throws");
        return;
      }
      fail({ operator: "throws", expected: check, message: text as string }, `Missing expected exception${text ? `: ${text}` : "."}`);
    },
    doesNotThrow(fn: () => unknown, message?: unknown): void {
      try {
        fn();
      } catch (e) {
        fail({ actual: e, operator: "doesNotThrow", message: typeof message === "string" ? message : (undefined as unknown as string) }, `Got unwanted exception.\nActual message: "${(e as Error)?.message}"`);
      }
    },
    async rejects(promise: Promise<unknown> | (() => Promise<unknown>), expected?: unknown, message?: unknown): Promise<void> {
      const [check, text] = splitArgs(expected, message);
      try {
        await (typeof promise === "function" ? promise() : promise);
      } catch (e) {
        matches(e, check, text, "rejects");
        return;
      }
      fail({ operator: "rejects", expected: check, message: text as string }, `Missing expected rejection${text ? `: ${text}` : "."}`);
    },
    async doesNotReject(promise: Promise<unknown> | (() => Promise<unknown>), message?: unknown): Promise<void> {
      try {
        await (typeof promise === "function" ? promise() : promise);
      } catch (e) {
        fail({ actual: e, operator: "doesNotReject", message: typeof message === "string" ? message : (undefined as unknown as string) }, `Got unwanted rejection.\nActual message: "${(e as Error)?.message}"`);
      }
    },
    match(text: string, pattern: RegExp, message?: string | Error): void {
      if (!pattern.test(text)) fail({ actual: text, expected: pattern, operator: "match", message: message as string }, `The input did not match the regular expression ${String(pattern)}. Input:\n\n${inspect(text)}\n`);
    },
    doesNotMatch(text: string, pattern: RegExp, message?: string | Error): void {
      if (pattern.test(text)) fail({ actual: text, expected: pattern, operator: "doesNotMatch", message: message as string }, `The input was expected to not match the regular expression ${String(pattern)}. Input:\n\n${inspect(text)}\n`);
    },
    ifError(value: unknown): void {
      if (value !== null && value !== undefined) throw value instanceof Error ? value : new AssertionError({ actual: value, operator: "ifError", message: `ifError got unwanted exception: ${inspect(value)}` });
    },
    AssertionError,
  });
  return assert;
}

export const assert = build(false);
export const strict = build(true);
Object.assign(assert, { strict });
Object.assign(strict, { strict });
