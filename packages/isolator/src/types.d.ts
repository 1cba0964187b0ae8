declare module "acorn-globals" {
  import type { Node } from "acorn";
  /** The free (global) identifiers of a program, each with the nodes that reference it. */
  export default function detect(source: string | Node): { name: string; nodes: Node[] }[];
}

/** The WebAssembly JS API as Node 20 has it (its @types/node predates these declarations). */
declare namespace WebAssembly {
  type Imports = Record<string, Record<string, unknown>>;
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  /** A trap: the engine's code did something WebAssembly forbids (an out-of-bounds access, a bad indirect call). */
  class RuntimeError extends Error {}
}
