/**
 * QuickJS reports a promise rejected with no handler (and the later arrival of a handler) to a
 * host "promise rejection tracker", a function pointer in its runtime struct that the shipped
 * build never sets and offers no way to set. We add that function to the WebAssembly module
 * before compiling it: a small function of the tracker's type, placed in the function table, that
 * forwards its arguments to the host through an import the engine never calls meaningfully (the
 * glue's `fd_seek`, a stub: this build has no files), marked by impossible file descriptors.
 * Appending a function, a table slot and an element segment shifts no existing index, so the
 * engine's code is untouched. SandboxTemplate stores the table slot in the runtime struct.
 */
import { IsolatorError } from "../errors.js";

/** The two calls the hook makes, told apart by their first argument (never a real descriptor). */
export const HOOK_PROMISE = -0x1501;
export const HOOK_REASON = -0x1502;

export interface RejectionHook {
  /** The module's bytes with the hook added. */
  bytes: Uint8Array;
  /** The hook's slot in the engine's function table: the value of the tracker pointer. */
  tableIndex: number;
  /** The import the hook calls: wrap it to receive the hook's calls. */
  import: { module: string; name: string };
}

/** The tracker's C type: (JSContext*, JSValue promise, JSValue reason, BOOL is_handled, void* opaque) -> void. */
const TRACKER_TYPE = "i32,i64,i64,i32,i32->";
/** The import the hook calls: fd_seek(fd, offset, whence, newOffset*) -> errno. */
const CARRIER_TYPE = "i32,i64,i32,i32->i32";
const VALUE_TYPES: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64" };

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {}
  byte(): number {
    return this.bytes[this.at++]!;
  }
  u32(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
    }
  }
  name(): string {
    const length = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }
}

function u32(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value >>>= 7;
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

function i32(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (b & 0x40) === 0) || (value === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

interface Section {
  id: number;
  /** Where its id is; its content (after id and size) is start..end. */
  header: number;
  start: number;
  end: number;
}

function sections(bytes: Uint8Array): Section[] {
  const r = new Reader(bytes, 8);
  const out: Section[] = [];
  while (r.at < bytes.length) {
    const header = r.at;
    const id = r.byte();
    const size = r.u32();
    out.push({ id, header, start: r.at, end: r.at + size });
    r.at += size;
  }
  return out;
}

function fail(why: string): never {
  throw new IsolatorError(`isolator: cannot add the promise rejection hook to the engine (${why}); the pinned engine changed`);
}

/** The module with the hook appended, and where the hook and its carrier import are. */
export function addRejectionHook(wasm: Uint8Array): RejectionHook {
  const all = sections(wasm);
  const section = (id: number) => all.find((s) => s.id === id) ?? fail(`no section ${id}`);

  const types: string[] = [];
  const typeReader = new Reader(wasm, section(1).start);
  for (let n = typeReader.u32(), i = 0; i < n; i++) {
    if (typeReader.byte() !== 0x60) fail("unexpected type form");
    const params = Array.from({ length: typeReader.u32() }, () => VALUE_TYPES[typeReader.byte()]);
    const results = Array.from({ length: typeReader.u32() }, () => VALUE_TYPES[typeReader.byte()]);
    types.push(`${params.join(",")}->${results.join(",")}`);
  }
  const trackerType = types.indexOf(TRACKER_TYPE);
  if (trackerType < 0) fail("no function type for the tracker");

  let functionImports = 0;
  let carrier: { index: number; module: string; name: string } | undefined;
  const imports = new Reader(wasm, section(2).start);
  for (let n = imports.u32(), i = 0; i < n; i++) {
    const module = imports.name();
    const name = imports.name();
    const kind = imports.byte();
    if (kind === 0) {
      if (types[imports.u32()] === CARRIER_TYPE) {
        if (carrier) fail("two candidate carrier imports");
        carrier = { index: functionImports, module, name };
      }
      functionImports++;
    } else if (kind === 2) {
      const flags = imports.byte();
      imports.u32();
      if (flags & 1) imports.u32();
    } else fail(`unexpected import kind ${kind}`);
  }
  if (!carrier) fail("no carrier import");

  const functions = new Reader(wasm, section(3).start);
  const definedFunctions = functions.u32();
  const hookFunction = functionImports + definedFunctions;

  const table = new Reader(wasm, section(4).start);
  if (table.u32() !== 1 || table.byte() !== 0x70) fail("not one funcref table");
  const limits = table.byte();
  const tableSize = table.u32();
  const tableMax = limits & 1 ? table.u32() : undefined;
  if (tableMax !== undefined && tableMax <= tableSize) fail("the table cannot grow");

  const elements = new Reader(wasm, section(9).start);
  const segments = elements.u32();

  const code = new Reader(wasm, section(10).start);
  const bodies = code.u32();
  if (bodies !== definedFunctions) fail("function and code sections disagree");

  const call = (marker: number, local: number) => [0x41, ...i32(marker), 0x20, local, 0x20, 3, 0x41, 0, 0x10, ...u32(carrier!.index), 0x1a];
  const body = [0, ...call(HOOK_PROMISE, 1), ...call(HOOK_REASON, 2), 0x0b];

  // Each rewritten section: its new count, its old entries as they are, the new entry.
  const rewritten = (s: Section, count: number, from: number, added: number[]) => [Uint8Array.from(u32(count)), wasm.subarray(from, s.end), Uint8Array.from(added)];
  const replaced = new Map<number, Uint8Array[]>([
    [3, rewritten(section(3), definedFunctions + 1, functions.at, u32(trackerType))],
    [4, [Uint8Array.of(1, 0x70, limits, ...u32(tableSize + 1), ...(tableMax === undefined ? [] : u32(tableMax)))]],
    [9, rewritten(section(9), segments + 1, elements.at, [0, 0x41, ...i32(tableSize), 0x0b, 1, ...u32(hookFunction)])],
    [10, rewritten(section(10), bodies + 1, code.at, [...u32(body.length), ...body])],
  ]);
  const parts: Uint8Array[] = [wasm.subarray(0, 8)];
  for (const s of all) {
    const content = replaced.get(s.id);
    if (content === undefined) parts.push(wasm.subarray(s.header, s.end));
    else parts.push(Uint8Array.of(s.id, ...u32(content.reduce((n, part) => n + part.length, 0))), ...content);
  }
  return { bytes: Buffer.concat(parts), tableIndex: tableSize, import: { module: carrier.module, name: carrier.name } };
}

export type RejectionListener = (promise: bigint, reason: bigint, handled: boolean) => void;

/**
 * The instance's imports with the carrier wrapped: the hook's calls go to `listener` (the raw
 * JSValues of the promise and its reason); every other call goes to the original import.
 * A listener that throws must not unwind through the engine: `onError` gets the error instead.
 */
export function receiveRejections(imports: WebAssembly.Imports, hook: Pick<RejectionHook, "import">, listener: RejectionListener, onError: (error: unknown) => void): WebAssembly.Imports {
  const { module, name } = hook.import;
  const original = imports[module]![name] as (...args: unknown[]) => unknown;
  let promise = 0n;
  const carrier = (fd: number, value: bigint, handled: number, out: number) => {
    if (fd === HOOK_PROMISE) promise = value;
    else if (fd !== HOOK_REASON) return original(fd, value, handled, out);
    else {
      try {
        listener(promise, value, handled !== 0);
      } catch (e) {
        onError(e);
      }
    }
    return 0;
  };
  return { ...imports, [module]: { ...imports[module], [name]: carrier } };
}

/** Bytes of the engine's runtime struct searched for its interrupt handler field. */
export const RUNTIME_STRUCT_SEARCH = 512;

/**
 * Points a runtime's promise rejection tracker at the hook. In QuickJS's JSRuntime the tracker and
 * its opaque pointer follow the interrupt handler and its opaque pointer; the interrupt handler
 * is the one word that enabling it changed (`before` is the struct from before that).
 */
export function installTracker(memory: WebAssembly.Memory, runtime: number, before: Int32Array, tableIndex: number): void {
  const now = new Int32Array(memory.buffer, runtime, before.length);
  const changed = before.reduce<number[]>((found, word, i) => (word === now[i] ? found : [...found, i]), []);
  if (changed.length !== 1) fail("the interrupt handler field was not found");
  const tracker = changed[0]! + 2;
  if (now[tracker] !== 0 || now[tracker + 1] !== 0) fail("the tracker field is not where expected");
  now[tracker] = tableIndex;
}
