/** Starting points, one per thing people come to try. */
export interface Example {
  name: string;
  files: Record<string, string>;
  stdin?: string;
  timeMs?: number;
}

export const EXAMPLES: Example[] = [
  {
    name: "Hello, world",
    files: { "main.ts": 'const who: string = "world";\nconsole.log(`Hello, ${who}!`);\n' },
  },
  {
    name: "Classes and generics",
    files: {
      "main.ts": `import { Stack } from "./stack.js";

class Point {
  constructor(readonly x: number, readonly y: number) {}
  toString(): string {
    return \`(\${this.x}, \${this.y})\`;
  }
}

const stack = new Stack<Point>();
stack.push(new Point(1, 2));
stack.push(new Point(3, 4));
console.log("top:", String(stack.peek()), "size:", stack.size);
`,
      "stack.ts": `export class Stack<T> {
  #items: T[] = [];
  push(item: T): void {
    this.#items.push(item);
  }
  peek(): T | undefined {
    return this.#items.at(-1);
  }
  get size(): number {
    return this.#items.length;
  }
}
`,
    },
  },
  {
    name: "Async/await with timers",
    files: {
      "main.ts": `const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

for (const step of ["ready", "set", "go"]) {
  console.log(step);
  await sleep(300);
}
console.error("done (this line goes to stderr)");
`,
    },
  },
  {
    name: "Reading stdin",
    files: {
      "main.ts": `import * as readline from "node:readline";

const rl = readline.createInterface({ input: process.stdin });
let total = 0;
for await (const line of rl) {
  const n = Number(line);
  if (!Number.isNaN(n)) total += n;
}
console.log("sum:", total);
`,
    },
    stdin: "1\n2\n3\n4\n",
  },
  {
    name: "A type error on purpose",
    files: { "main.ts": 'function double(n: number): number {\n  return n * 2;\n}\n\nconsole.log(double("21"));\n' },
  },
  {
    name: "A runaway loop (hits the time limit)",
    files: { "main.ts": 'let i = 0;\nwhile (true) {\n  i++;\n}\nconsole.log("never printed", i);\n' },
    timeMs: 1000,
  },
];
