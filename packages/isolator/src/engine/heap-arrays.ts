/**
 * Holes in the guest's arrays, counted from the engine's own list of objects in linear memory.
 *
 * The engine's native encoder walks an array up to its `length`, holes included, with no interrupt
 * poll: `a = [1]; a.length = 2 ** 32 - 1` kept the host thread busy for minutes, whatever the time
 * limit. So before that encoder runs, the host adds up, over every array in the guest's heap, the
 * indices its length claims beyond the elements it holds; past `MAX_HOLES`, values cross as the tape,
 * whose walk is proportional to the properties actually present and runs under the guest's interrupt
 * polls. Reading the heap costs one pass over the engine's object list (a few memory reads per object,
 * in V8), whatever the shape of the value.
 *
 * The offsets are the pinned engine's (QuickJS, wasm32, NaN-boxed values). `verifyHeapLayout` checks
 * them on every host, so another engine build fails loudly instead of reading garbage.
 */
import type { QuickJSContext, QuickJSRuntime } from "quickjs-emscripten-core";
import { IsolatorError } from "../errors.js";

/** Holes the native encoder may walk (a few milliseconds at worst); beyond, values take the tape. */
export const MAX_HOLES = 65_536;

/** JSRuntime.gc_obj_list: the list of every GC object (list_head: prev, next). */
const RUNTIME_GC_OBJECTS = 80;
/** JSGCObjectHeader / JSObject: type nibble, flag byte, class id, list link; shape, properties, fast-array count. */
const HEADER_TYPE = 4;
const OBJECT_FLAGS = 5;
const OBJECT_CLASS = 6;
const HEADER_LINK = 8;
const OBJECT_SHAPE = 20;
const OBJECT_PROPS = 24;
const ARRAY_COUNT = 40;
/** JSShape.prop_count: own properties, `length` included. */
const SHAPE_PROP_COUNT = 32;
const GC_OBJECT = 0;
const CLASS_OBJECT = 1;
const CLASS_ARRAY = 2;
const FAST_ARRAY = 0x08;
const TAG_OBJECT = -1;

/** Where a runtime's engine state lives: its memory and its JSRuntime struct. */
export interface EngineHeap {
  memory: WebAssembly.Memory;
  runtimePointer: number;
}

export function runtimePointer(rt: QuickJSRuntime): number {
  return (rt as unknown as { rt: { value: number } }).rt.value;
}

/**
 * Whether encoding the value at `valuePointer` (a JSValue) natively could walk more than `limit`
 * holes: it is a plain object or an array (the encoder refuses other objects before descending into
 * them), and the guest's arrays hold more than that in all (an array over 2^31 long always does).
 * Primitives, errors and other built-ins cost no count.
 */
export function mayWalkHoles({ memory, runtimePointer: rt }: EngineHeap, valuePointer: number, limit = MAX_HOLES): boolean {
  // A NaN-boxed JSValue: its tag is the high word (JS_TAG_OBJECT is -1), the object pointer the low one.
  const words = new Int32Array(memory.buffer);
  if (words[(valuePointer >>> 2) + 1] !== TAG_OBJECT) return false;
  const object = words[valuePointer >>> 2]!;
  const classId = new Uint16Array(memory.buffer)[(object + OBJECT_CLASS) >>> 1];
  if (classId !== CLASS_OBJECT && classId !== CLASS_ARRAY) return false;
  return countHoles(memory, rt, limit) > limit;
}

/** The holes of all arrays, counted until past `limit`. */
function countHoles(memory: WebAssembly.Memory, rt: number, limit: number): number {
  const bytes = new Uint8Array(memory.buffer);
  const words = new Uint32Array(memory.buffer);
  const head = rt + RUNTIME_GC_OBJECTS;
  // Every GC object takes more than 16 bytes: a longer walk means the list is not what we think.
  let steps = bytes.length >>> 4;
  let holes = 0;
  for (let link = words[(head + 4) >>> 2]!; link !== head; link = words[(link + 4) >>> 2]!) {
    if (--steps < 0 || link === 0 || link >= bytes.length) throw new IsolatorError("isolator: the engine's object list is not the pinned layout");
    const object = link - HEADER_LINK;
    if ((bytes[object + HEADER_TYPE]! & 0x0f) !== GC_OBJECT || (bytes[object + OBJECT_CLASS]! | (bytes[object + OBJECT_CLASS + 1]! << 8)) !== CLASS_ARRAY) continue;
    // prop[0] is `length`: an int (tag word 0) below 2^31, else a boxed double.
    const props = words[(object + OBJECT_PROPS) >>> 2]!;
    if (words[(props + 4) >>> 2] !== 0) return Infinity;
    const length = words[props >>> 2]!;
    const present = bytes[object + OBJECT_FLAGS]! & FAST_ARRAY ? words[(object + ARRAY_COUNT) >>> 2]! : words[(words[(object + OBJECT_SHAPE) >>> 2]! + SHAPE_PROP_COUNT) >>> 2]! - 1;
    if (length > present) holes += length - present;
    if (holes > limit) return holes;
  }
  return holes;
}

/** Checks the offsets above against arrays made in `ctx` (of a throwaway instance). */
export function verifyHeapLayout(heap: EngineHeap, ctx: QuickJSContext): void {
  const holes = () => countHoles(heap.memory, heap.runtimePointer, Infinity);
  const [object, text] = [ctx.newObject(), ctx.newString("")];
  const tagsRead = [new Int32Array(heap.memory.buffer)[(object.value as unknown as number) / 4 + 1], new Int32Array(heap.memory.buffer)[(text.value as unknown as number) / 4 + 1]];
  object.dispose();
  text.dispose();
  if (tagsRead[0] !== TAG_OBJECT || tagsRead[1] === TAG_OBJECT) throw new IsolatorError(`isolator: the engine's value layout is not the pinned version's (tags ${tagsRead.join(", ")})`);
  const before = holes();
  const probe = (source: string) => ctx.unwrapResult(ctx.evalCode(source)).dispose();
  probe("globalThis.fastWithHoles = [1, 2]; fastWithHoles.length = 1002");
  const fast = holes() - before;
  probe("globalThis.slowWithHoles = []; slowWithHoles[5000] = 1; slowWithHoles.named = 2");
  const slow = holes() - before - fast;
  probe("fastWithHoles.length = 2 ** 32 - 1");
  const huge = holes();
  const walks = ["({})", "[]", "new Error()"].map((source) => {
    const value = ctx.unwrapResult(ctx.evalCode(source));
    const walked = mayWalkHoles(heap, value.value as unknown as number);
    value.dispose();
    return walked;
  });
  if (fast !== 1000 || slow !== 4999 || huge !== Infinity || walks.join() !== "true,true,false") {
    throw new IsolatorError(`isolator: the engine's array layout is not the pinned version's (probes read ${fast}, ${slow}, ${huge}, ${walks.join()})`);
  }
}
