import { TraceMap, originalPositionFor, type SourceMapInput } from "@jridgewell/trace-mapping";
import { transformSync } from "oxc-transform";

export interface SourceDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

export interface Transpiled {
  code: string;
  diagnostics: SourceDiagnostic[];
  /** Where each position of `code` came from in the TypeScript source. */
  map?: TraceMap;
}

export const isTypeScript = (filename: string): boolean => /\.(c|m)?tsx?$/.test(filename);

/**
 * Deeper nesting than this is refused before parsing: oxc's parser recurses on the native stack,
 * and a source nested tens of thousands deep overflows it and kills the process.
 */
export const MAX_NESTING = 1000;

/** Recent transpilations by file name and source, least recently used first: programs come back unchanged. */
const recent = new Map<string, Transpiled>();
const RECENT_ENTRIES = 256;
const RECENT_CHARACTERS = 8 * 1024 * 1024;
let recentCharacters = 0;

/** TypeScript to JavaScript (types stripped, syntax kept as written) with oxc; results are shared, never mutate them. */
export function transpile(filename: string, source: string): Transpiled {
  const key = `${filename.length}:${filename}${source}`; // length-prefixed: no name + source pair can pose as another
  const hit = recent.get(key);
  if (hit) {
    recent.delete(key);
    recent.set(key, hit);
    return hit;
  }
  const out = transpileUncached(filename, source);
  recent.set(key, out);
  recentCharacters += key.length + out.code.length;
  for (const [oldKey, old] of recent) {
    if (recent.size <= RECENT_ENTRIES && recentCharacters <= RECENT_CHARACTERS) break;
    recent.delete(oldKey);
    recentCharacters -= oldKey.length + old.code.length;
  }
  return out;
}

function transpileUncached(filename: string, source: string): Transpiled {
  const position = positions(source);
  const deepest = deepestNesting(source);
  if (deepest !== undefined) {
    const at = position(deepest);
    return {
      code: "",
      diagnostics: [{ file: filename, line: at.line, column: at.column, endLine: at.line, endColumn: at.column + 1, message: `the source nests brackets deeper than ${MAX_NESTING} levels` }],
    };
  }
  const result = transformSync(filename, source, { sourceType: "module", target: "esnext", sourcemap: true });
  const diagnostics = result.errors.map((e) => {
    const label = e.labels?.[0];
    const start = position(label?.start ?? 0);
    const end = position(label?.end ?? label?.start ?? 0);
    return { file: filename, line: start.line, column: start.column, endLine: end.line, endColumn: end.column, message: e.message };
  });
  return { code: result.code, diagnostics, ...(result.map ? { map: new TraceMap(result.map as SourceMapInput) } : {}) };
}

/**
 * Rewrites "file:line:column" positions in a guest stack or message from transpiled code back to
 * the TypeScript sources (the engine only ever saw the JavaScript). Linear in the text, which the
 * guest controls: a run of characters without white space or parentheses holds at most one
 * position, its last ":line:column" (what a greedy `([^\s()]+):(\d+):(\d+)` would take, without
 * that regex's quadratic retries from every start).
 */
export function mapPositions(text: string, maps: ReadonlyMap<string, TraceMap>): string {
  if (maps.size === 0) return text;
  return text.replace(/[^\s()]+/g, (token) => {
    const at = lastPosition(token);
    if (at === undefined) return token;
    const map = maps.get(token.slice(0, at.start));
    if (!map) return token;
    const original = originalPositionFor(map, { line: at.line, column: Math.max(0, at.column - 1) });
    if (original.line === null) return token;
    return `${token.slice(0, at.start)}:${original.line}:${original.column + 1}${token.slice(at.end)}`;
  });
}

/** The last ":digits:digits" in a token that follows at least one character; each character is read at most three times. */
function lastPosition(token: string): { start: number; end: number; line: number; column: number } | undefined {
  const digitsFrom = (i: number) => {
    let j = i;
    while (j < token.length && token.charCodeAt(j) >= 48 && token.charCodeAt(j) <= 57) j++;
    return j;
  };
  for (let start = token.lastIndexOf(":"); start > 0; start = token.lastIndexOf(":", start - 1)) {
    const lineEnd = digitsFrom(start + 1);
    if (lineEnd === start + 1 || token[lineEnd] !== ":") continue;
    const end = digitsFrom(lineEnd + 1);
    if (end === lineEnd + 1) continue;
    return { start, end, line: Number(token.slice(start + 1, lineEnd)), column: Number(token.slice(lineEnd + 1, end)) };
  }
  return undefined;
}

/** 1-based line and column of UTF-16 offsets: the line starts are found once, each offset by binary search (one diagnostic per line must not cost a scan each). */
function positions(source: string): (offset: number) => { line: number; column: number } {
  let starts: number[] | undefined;
  return (offset) => {
    if (starts === undefined) {
      starts = [0];
      for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
    }
    const at = Math.min(Math.max(0, offset), source.length);
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= at) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - starts[low]! + 1 };
  };
}

/**
 * The offset where bracket nesting first passes MAX_NESTING, if it does. A light lexer: it skips
 * comments and string and template text (template substitutions nest), and over-counts at worst.
 */
function deepestNesting(source: string): number | undefined {
  let depth = 0;
  const templates: number[] = []; // depth at which each open template's substitution started
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "/" && source[i + 1] === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? source.length : end + 1;
    } else if (c === "'" || c === '"') {
      for (i++; i < source.length && source[i] !== c && source[i] !== "\n"; i++) if (source[i] === "\\") i++;
    } else if (c === "`" || (c === "}" && templates.length > 0 && templates[templates.length - 1] === depth)) {
      if (c === "}") {
        templates.pop();
        depth--;
      }
      for (i++; i < source.length && source[i] !== "`"; i++) {
        if (source[i] === "\\") i++;
        else if (source[i] === "$" && source[i + 1] === "{") {
          i++;
          if (++depth > MAX_NESTING) return i;
          templates.push(depth);
          break;
        }
      }
    } else if (c === "(" || c === "[" || c === "{") {
      if (++depth > MAX_NESTING) return i;
    } else if (c === ")" || c === "]" || c === "}") {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}
