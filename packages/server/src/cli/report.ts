/**
 * How `isolator run` reports to the terminal: paths as the user wrote them (relative to where the
 * command ran), `file:line:col` as tsc and Node print them, colored on a TTY unless NO_COLOR is set.
 */
import { readFileSync } from "node:fs";
import { relative, sep } from "node:path";

const CODES = { red: 31, yellow: 33, cyan: 36, gray: 90, bold: 1 } as const;
export type Paint = (color: keyof typeof CODES, text: string) => string;

/** Colors for a stream: on when it is a terminal and NO_COLOR is unset (https://no-color.org). */
export function painter(stream: NodeJS.WriteStream): Paint {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  return (color, text) => (on ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text);
}

/**
 * Maps the absolute paths the sandbox names (its modules are their real paths) back to the user's:
 * the entry exactly as typed, other files relative to the working directory.
 */
export class DisplayPaths {
  readonly #byPath = new Map<string, string>();

  constructor(
    readonly entryPath: string,
    readonly entryAsTyped: string,
  ) {
    this.#byPath.set(entryPath, entryAsTyped);
  }

  name(path: string): string {
    let shown = this.#byPath.get(path);
    if (shown === undefined) {
      const rel = relative(process.cwd(), path);
      shown = rel.startsWith("..") || rel === "" ? path : rel.split(sep).join("/");
      this.#byPath.set(path, shown);
    }
    return shown;
  }

  /** Text (a stack, an error message) with every absolute path of a file it names shown as the user's. */
  rewrite(text: string): string {
    return text.replace(/\/[^\s()'":]+/g, (path) => (path.includes(".") ? this.name(path) : path));
  }
}

/** `file:line:col` of the first stack frame that names a file of the program, with the user's path. */
export function firstFrame(stack: string): { path: string; line: number; column: number } | undefined {
  const m = /(\/[^\s()'":]+):(\d+):(\d+)/.exec(stack);
  return m ? { path: m[1]!, line: Number(m[2]), column: Number(m[3]) } : undefined;
}

/**
 * The source line at `line`, marked under `column`: tsc's excerpt (a gutter, `~` under `width`
 * characters) when a width is given, else Node's uncaught-error header (the line, `^`).
 */
export function excerpt(path: string, line: number, column: number, paint: Paint, width?: number): string {
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8").split(/\r?\n/)[line - 1];
  } catch {
    return "";
  }
  if (text === undefined) return "";
  const indent = " ".repeat(Math.max(0, column - 1));
  if (width === undefined) return `${text}\n${indent}${paint("red", "^")}\n`;
  const gutter = String(line);
  const marks = "~".repeat(Math.max(1, Math.min(width, text.length - column + 1)));
  return `${paint("gray", gutter)} ${text}\n${" ".repeat(gutter.length)} ${indent}${paint("red", marks)}\n`;
}
