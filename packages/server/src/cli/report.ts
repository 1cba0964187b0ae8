/**
 * How `isolator run` reports to the terminal: paths as the user wrote them (relative to where the
 * command ran), `file:line:col` as tsc and Node print them, colored on a TTY unless NO_COLOR is set.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";

const CODES = { red: 31, yellow: 33, cyan: 36, gray: 90, bold: 1 } as const;
export type Paint = (color: keyof typeof CODES, text: string) => string;

/** Colors for a stream: on when it is a terminal and NO_COLOR is unset (https://no-color.org). */
export function painter(stream: NodeJS.WriteStream): Paint {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  return (color, text) => (on ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text);
}

/**
 * Maps the names the sandbox gives files back to the user's: the entry is named by its real path,
 * the modules it imports `<dir>:/path` (the directory module loader's guest-facing names, `<dir>`
 * the base name of the entry's directory). Shown: the entry exactly as typed, other files relative
 * to the working directory.
 */
export class DisplayPaths {
  readonly #byPath = new Map<string, string>();
  readonly #label: string;

  constructor(
    entryPath: string,
    entryAsTyped: string,
    /** The entry's directory: the module loader's root. */
    private readonly root: string = dirname(entryPath),
  ) {
    this.#byPath.set(entryPath, entryAsTyped);
    this.#label = `${basename(root)}:/`;
  }

  /** The host path of a name the sandbox uses (a path, or `<dir>:/path`). */
  hostPath(name: string): string {
    return name.startsWith(this.#label) ? join(this.root, name.slice(this.#label.length)) : name;
  }

  name(sandboxName: string): string {
    const path = this.hostPath(sandboxName);
    let shown = this.#byPath.get(path);
    if (shown === undefined) {
      const rel = relative(process.cwd(), path);
      shown = rel.startsWith("..") || rel === "" ? path : rel.split(sep).join("/");
      this.#byPath.set(path, shown);
    }
    return shown;
  }

  /** Text (a stack, an error message) with every file it names shown as the user's. */
  rewrite(text: string): string {
    return text.replace(FILE_NAME, (name) => (name.startsWith(this.#label) || (name.startsWith("/") && name.includes(".")) ? this.name(name) : name));
  }

  /** `file:line:col` of the first place in a stack that names a file of the program (host path). */
  firstFrame(stack: string): { path: string; line: number; column: number } | undefined {
    for (const m of stack.matchAll(new RegExp(`(${FILE_NAME.source}):(\\d+):(\\d+)`, "g"))) {
      const path = this.hostPath(m[1]!);
      if (path.startsWith("/")) return { path, line: Number(m[2]), column: Number(m[3]) };
    }
    return undefined;
  }
}

/** A file as the sandbox names it: an absolute path, or `<dir>:/path`. */
const FILE_NAME = /(?:[\w.-]+:)?\/[^\s()'":]+/g;

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
