/**
 * What makes an engine instance safe to hand to the next runtime. An instance's state is its
 * linear memory and one mutable global, the stack pointer; the function table never changes.
 * So: the stack pointer must be back where it started, and every byte the previous runtime could
 * have written must be zeroed before the next one starts from a template image.
 *
 * The engine writes only below its program break: static data, then the stack, then the heap,
 * which grows through sbrk and never shrinks (emscripten's allocator does not trim). Zeroing up
 * to the break therefore covers everything a run wrote, at a fraction of zeroing the whole
 * memory (a hello world leaves about 6 of its 16 MiB below the break).
 */
import { IsolatorError } from "../errors.js";

const WIPE_BLOCK = 16 * 1024;
const ZERO_BLOCK = Buffer.alloc(WIPE_BLOCK);
/** The engine's stack, a fixed region below the heap (the pinned build's size). */
export const ENGINE_STACK_SIZE = 5 * 1024 * 1024;
/** The bottom of the stack, which no run within the engine's depth check comes near. */
const STACK_CANARY = 64 * 1024;

/** Zeroes `memory` below `end`, writing only blocks not zero already (reading costs far less than writing). */
export function wipe(memory: WebAssembly.Memory, end: number): void {
  const bytes = Buffer.from(memory.buffer);
  const limit = Math.min(bytes.length, Math.ceil(end / WIPE_BLOCK) * WIPE_BLOCK);
  for (let offset = 0; offset < limit; offset += WIPE_BLOCK) {
    if (bytes.compare(ZERO_BLOCK, 0, WIPE_BLOCK, offset, offset + WIPE_BLOCK) !== 0) bytes.fill(0, offset, offset + WIPE_BLOCK);
  }
}

/** The program break an instance reached: the engine wrote nothing above it. */
export function programBreak(memory: WebAssembly.Memory, breakAddress: number): number {
  return new DataView(memory.buffer).getUint32(breakAddress, true);
}

/**
 * Whether an instance's memory can be trusted to say what to wipe: its break is plausible (not
 * below the templates' images, not past the memory) and the bottom of its stack is untouched. A
 * run that recursed past the engine's depth check would have written there, and below it into
 * the static data that holds the break.
 */
export function trustworthy(memory: WebAssembly.Memory, breakAddress: number, heapStart: number, floor: number): boolean {
  const end = programBreak(memory, breakAddress);
  if (end < floor || end > memory.buffer.byteLength) return false;
  return isZero(memory, heapStart - ENGINE_STACK_SIZE, STACK_CANARY);
}

function isZero(memory: WebAssembly.Memory, from: number, length: number): boolean {
  const bytes = Buffer.from(memory.buffer, from, length);
  for (let offset = 0; offset < length; offset += WIPE_BLOCK) {
    if (bytes.compare(ZERO_BLOCK, 0, Math.min(WIPE_BLOCK, length - offset), offset, Math.min(length, offset + WIPE_BLOCK)) !== 0) return false;
  }
  return true;
}

/** Static data sits at the bottom of memory, below the stack (about 90 KB in the pinned build). */
const STATIC_DATA_SEARCH = 1024 * 1024;

/**
 * The address of the engine's program break (emscripten's sbrk pointer, a word among its static
 * data, below the stack). Probed once per host on a throwaway instance: the one word at or above
 * the heap's start that a large allocation moves past the block's end and that stays there when
 * the block is freed. Fails loudly if the pinned engine ever stops matching this.
 */
export function findBreakAddress(memory: WebAssembly.Memory, heapStart: number, allocator: { malloc(bytes: number): number; free(pointer: number): void }): number {
  const end = Math.min(heapStart, STATIC_DATA_SEARCH) & ~3;
  const size = 4 * 1024 * 1024;
  const before = Buffer.from(memory.buffer.slice(0, end));
  const block = allocator.malloc(size);
  const live = Buffer.from(memory.buffer, 0, end);
  const moved = new Map<number, number>();
  // Only the few blocks the allocation changed are read word by word.
  for (let offset = 0; block !== 0 && offset < end; offset += WIPE_BLOCK) {
    const stop = Math.min(end, offset + WIPE_BLOCK);
    if (live.compare(before, offset, stop, offset, stop) === 0) continue;
    for (let at = offset; at < stop; at += 4) {
      const was = before.readUInt32LE(at);
      const now = live.readUInt32LE(at);
      if (was >= heapStart && now > was && now >= block + size && now <= memory.buffer.byteLength) moved.set(at, now);
    }
  }
  allocator.free(block);
  const found = [...moved].filter(([at, value]) => Buffer.from(memory.buffer, 0, end).readUInt32LE(at) === value);
  const address = found.length === 1 ? found[0]![0] : -1;
  // The layout the wipe and the canary rely on: static data (the break among it), then the stack, then the heap.
  if (address < 0 || address >= heapStart - ENGINE_STACK_SIZE || !isZero(memory, heapStart - ENGINE_STACK_SIZE, STACK_CANARY)) {
    throw new IsolatorError("isolator: could not locate the engine's program break; the pinned engine changed");
  }
  return address;
}

/**
 * An instance's stack pointer at rest, checking that the two exports found for it really are
 * stackSave/stackRestore (a wrong pair would make the at-rest check meaningless).
 */
export function restingStackPointer(save: () => number, restore: (pointer: number) => void): number {
  const resting = save();
  restore(resting - 16);
  const moved = save();
  restore(resting);
  if (typeof resting !== "number" || moved !== resting - 16 || save() !== resting) {
    throw new IsolatorError("isolator: the engine's stack exports do not behave as stackSave/stackRestore; the pinned engine changed");
  }
  return resting;
}
