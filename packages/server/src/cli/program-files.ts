/**
 * The files a program on disk is made of, for the type checker: the entry and the sibling files
 * it imports (statically, relatively), transitively, never outside the entry's directory. Running
 * does not use this list: the sandbox's directory module loader reads (and refuses) on demand.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";

// Specifiers of `import … from "x"`, `export … from "x"`, `import "x"` and `import("x")`.
const IMPORTS = /\b(?:from|import)\s*\(?\s*(["'])(\.{1,2}\/[^"'\n]*)\1/g;
// As the module loader tries them: "./util.js" may name util.ts.
const EXTENSIONS = ["", ".ts", ".mts", ".js", ".mjs", "/index.ts", "/index.js", "/index.mjs"];

/** The program's files by their path relative to `root` ("main.ts", "lib/util.ts"), and the entry's name among them. */
export function programFiles(entry: string): { root: string; entry: string; files: Record<string, string> } {
  const root = realpathSync(dirname(entry));
  const files: Record<string, string> = {};
  const pending = [realpathSync(entry)];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const name = relative(root, path).split(sep).join("/");
    if (name in files) continue;
    const source = readFileSync(path, "utf8");
    files[name] = source;
    for (const m of source.matchAll(IMPORTS)) {
      const found = locate(resolve(dirname(path), m[2]!));
      if (found !== undefined && inside(root, found)) pending.push(found);
    }
  }
  return { root, entry: relative(root, realpathSync(entry)).split(sep).join("/"), files };
}

function locate(candidate: string): string | undefined {
  for (const stem of [candidate, candidate.replace(/\.(m|c)?js$/, "")]) {
    for (const ext of EXTENSIONS) {
      const path = stem + ext;
      if (existsSync(path) && statSync(path).isFile()) return realpathSync(path);
    }
  }
  return undefined;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep);
}
