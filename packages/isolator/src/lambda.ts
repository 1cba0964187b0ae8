import { parse, type Node } from "acorn";
import detectGlobals from "acorn-globals";
import { IsolatorError } from "./errors.js";

/** A lambda ready to ship: its expression source and the free identifiers it uses. */
export interface LambdaSource {
  expression: string;
  freeIdentifiers: readonly string[];
}

const cache = new Map<string, LambdaSource>();
const CACHE_LIMIT = 2000;

/**
 * Turns a host function into guest source. Functions cross by their source text, so anything
 * the body reads from the host's scope would be undefined in the guest: those names are
 * reported (and checked against the guest's globals by the runtime) before anything runs.
 */
export function lambdaSource(fn: (...args: never[]) => unknown, kind: "lambda" | "class" = "lambda"): LambdaSource {
  if (typeof fn !== "function") throw new IsolatorError(`expected a ${kind === "class" ? "class" : "function"} to run in the runtime`);
  const text = Function.prototype.toString.call(fn);
  let entry = cache.get(text);
  if (entry === undefined) {
    entry = analyse(text, kind);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(text, entry);
  }
  return entry;
}

function analyse(text: string, kind: "lambda" | "class"): LambdaSource {
  if (/\{\s*\[native code\]\s*\}$/.test(text)) {
    throw new IsolatorError("native and bound functions have no source to ship; pass a function written in JavaScript");
  }
  const isClass = /^class\b/.test(text);
  if (isClass && kind === "lambda") throw new IsolatorError("a class is not a lambda; use createObject for classes");
  if (!isClass && kind === "class") throw new IsolatorError("createObject takes a class (class syntax), or a module specifier and an export name");
  const expression = toExpression(text);
  const program = parse(`(${expression});`, { ecmaVersion: "latest", sourceType: "script" }) as Node;
  // `typeof x` is how code feature-detects: it never throws for a missing global, so it captures nothing.
  const freeIdentifiers = detectGlobals(program)
    .filter((g) => g.nodes.some((node) => !isTypeofOperand(node)))
    .map((g) => g.name);
  return { expression, freeIdentifiers };
}

function isTypeofOperand(node: Node & { parents?: Node[] }): boolean {
  const parent = node.parents?.[node.parents.length - 2] as (Node & { operator?: string }) | undefined;
  return parent?.type === "UnaryExpression" && parent.operator === "typeof";
}

/** Method shorthand (`{ f(x) {} }.f`) prints as `f(x) {}`: rebuild it as a function expression. */
function toExpression(text: string): string {
  try {
    parse(`(${text});`, { ecmaVersion: "latest" });
    return text;
  } catch {
    const method = /^(async\s+)?(\*?)\s*([\p{L}\p{N}_$]+|\[[^\]]*\])\s*\(/u.exec(text);
    if (method) {
      const rebuilt = `${method[1] ?? ""}function${method[2]} ${text.slice(method[0].length - 1)}`;
      try {
        parse(`(${rebuilt});`, { ecmaVersion: "latest" });
        return rebuilt;
      } catch {
        /* fall through to the error below */
      }
    }
    throw new IsolatorError(`cannot ship this function: its source is not a function expression: ${text.slice(0, 80)}`);
  }
}
