/**
 * Module loaders: the permission gate for code. A runtime can import only what a loader of its host
 * grants: files under a granted directory (its node_modules packages included), and what a custom
 * loader returns. Granting a module grants its code only: it runs inside the sandbox like any guest
 * code.
 *
 * A directory loader works on real paths (symlinks resolved): relative specifiers resolve against
 * the importing file and must stay inside the granted directory's real path; bare specifiers
 * resolve only into node_modules directories from the importing file's directory up to the granted
 * directory, never above it; absolute specifiers are refused. The guest names a granted module
 * `<dir>:/relative/path` (`<dir>`: the directory's base name), never by its host path, and a
 * refusal reads the same whether the file is missing or exists where it may not be reached; the
 * host-side detail (paths, why) goes to the refusal's `hostDetail`.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { TraceMap } from "@jridgewell/trace-mapping";
import { isTypeScript, transpile } from "../transpile.js";
import { wrapCommonJs } from "./commonjs.js";
import { someLineBegins } from "../source-lines.js";

/** A custom loader: the module's source for a specifier, or undefined to pass. */
export type ModuleLoader = (specifier: string, referrer: string | undefined) => string | undefined;

export interface ResolvedModule {
  /** The module's canonical guest-facing name (`<dir>:/path`, or `custom:<specifier>`): one instance per name per runtime. */
  name: string;
  load(): string;
}

interface Loader {
  /** How the guest sees it named among the loaders consulted. */
  describe(): string;
  /** How the host sees it (absolute paths). */
  describeForHost(): string;
  /** Whether `referrer` is one of its modules (a directory loader's). */
  owns?(referrer: string): boolean;
  /** Undefined to pass; `notes` gets the host-side reason when a directory loader passes. */
  resolve(specifier: string, referrer: string | undefined, notes: string[]): ResolvedModule | undefined;
}

/** An import refused: `message` is what the guest sees (no host paths); `hostDetail` is for the host's logs. */
export class ModuleRefusedError extends Error {
  constructor(
    message: string,
    readonly hostDetail: string = message,
  ) {
    super(message);
  }
}

const BUILTINS: Record<string, string> = {
  "isolator/guest": "export const host = globalThis.IsolatorHost;\nexport default host;\n",
};
const EXTENSIONS = ["", ".ts", ".mts", ".js", ".mjs", ".cjs", ".json", "/index.ts", "/index.js", "/index.mjs"];

/** The host's loaders, in order, with the source cache they share across runtimes. */
export class ModuleRegistry {
  readonly #loaders: Loader[] = [];
  /** Transformed sources by the hash of what was read: a file is transpiled once per content. */
  readonly #transformed = new Map<string, string>();
  /** Source maps of transpiled modules, by module name: guest stacks point at the TypeScript. */
  readonly #maps = new Map<string, TraceMap>();

  sourceMap(name: string): TraceMap | undefined {
    return this.#maps.get(name);
  }

  get size(): number {
    return this.#loaders.length;
  }

  addDirectory(directory: string): void {
    const taken = new Set(this.#loaders.map((l) => (l instanceof DirectoryLoader ? l.label : "")));
    const base = basename(resolve(directory)) || "root";
    let label = base;
    for (let n = 2; taken.has(label); n++) label = `${base}~${n}`;
    this.#loaders.push(new DirectoryLoader(directory, label, this));
  }

  addCustom(loader: ModuleLoader): void {
    if (typeof loader !== "function") throw new TypeError("a module loader is a function (specifier, referrer) => source | undefined");
    this.#loaders.push({
      describe: () => "a custom loader",
      describeForHost: () => "a custom loader",
      resolve: (specifier, referrer) => {
        const source = loader(specifier, referrer);
        if (source === undefined) return undefined;
        if (typeof source !== "string") throw new ModuleRefusedError(`the custom loader returned a ${typeof source} for '${specifier}', not source text`);
        return { name: `custom:${specifier}`, load: () => source };
      },
    });
  }

  /**
   * `referrer`: the importing module's name; anything that is not a directory loader's module (a
   * script, a lambda, a program's own file, undefined) imports as a script: relative specifiers
   * resolve against the first directory loader's root only.
   */
  resolve(specifier: string, referrer: string | undefined): ResolvedModule {
    if (specifier in BUILTINS) return { name: specifier, load: () => BUILTINS[specifier]! };
    if (/^(node:|std$|os$|qjs:)/.test(specifier)) throw this.#refuse(specifier, referrer, "Node.js and QuickJS built-in modules are not available in the sandbox", []);
    const fromModule = referrer !== undefined && this.#loaders.some((l) => l.owns?.(referrer));
    const fromScript = specifier.startsWith(".") && !fromModule;
    const loaders = fromScript ? this.#loaders.filter((l) => l instanceof DirectoryLoader).slice(0, 1) : this.#loaders;
    const notes: string[] = [];
    for (const loader of loaders) {
      // Directory loaders resolve a script's imports from their root; custom loaders see the referrer as it is.
      const found = loader.resolve(specifier, loader.owns && !fromModule ? undefined : referrer, notes);
      if (found) return found;
    }
    throw this.#refuse(specifier, referrer, "no module loader grants it", notes);
  }

  #refuse(specifier: string, referrer: string | undefined, why: string, notes: string[]): ModuleRefusedError {
    const consulted = (describe: (l: Loader) => string) => (this.#loaders.length ? this.#loaders.map(describe).join(", ") : "none: the host registered no module loader");
    const message = `cannot import '${specifier}'${referrer ? ` from ${referrer}` : ""}: ${why} (loaders consulted: ${consulted((l) => l.describe())})`;
    const detail = `cannot import '${specifier}'${referrer ? ` from ${referrer}` : ""}: ${why}${notes.length ? ` (${notes.join("; ")})` : ""} (loaders consulted: ${consulted((l) => l.describeForHost())})`;
    return new ModuleRefusedError(message, detail);
  }

  /** Source as the engine needs it: TypeScript transpiled, JSON and CommonJS wrapped; cached by name and content. */
  transform(name: string, text: string, commonJs: boolean): string {
    const key = createHash("sha1").update(`${name.length}:${name}`).update(text).digest("base64"); // length-prefixed: unambiguous
    let out = this.#transformed.get(key);
    if (out === undefined) {
      if (name.endsWith(".json")) out = `export default ${JSON.stringify(JSON.parse(text))};\n`;
      else if (isTypeScript(name)) {
        const result = transpile(name, text);
        const first = result.diagnostics[0];
        if (first) throw new ModuleRefusedError(`${name}:${first.line}:${first.column}: ${first.message}`);
        out = result.code;
        if (result.map) this.#maps.set(name, result.map);
      } else out = commonJs ? wrapCommonJs(text, name) : text;
      this.#transformed.set(key, out);
    }
    return out;
  }
}

/** Files under one directory's real path, node_modules packages inside it included. */
class DirectoryLoader implements Loader {
  /** The granted directory as given (resolved), for the host's messages. */
  readonly #root: string;
  /** Its real path: everything granted lies under it. */
  readonly #real: string;
  /** Module names start with `${label}:/`. */
  readonly #prefix: string;

  constructor(
    directory: string,
    readonly label: string,
    private readonly registry: ModuleRegistry,
  ) {
    this.#root = resolve(directory);
    if (!existsSync(this.#root) || !statSync(this.#root).isDirectory()) throw new ModuleRefusedError(`module directory ${this.#root} does not exist`);
    this.#real = realpathSync(this.#root);
    this.#prefix = `${label}:/`;
  }

  describe(): string {
    return `directory ${this.#prefix}`;
  }

  describeForHost(): string {
    return `directory ${this.#root}${this.#real === this.#root ? "" : ` (${this.#real})`}`;
  }

  owns(referrer: string): boolean {
    return referrer.startsWith(this.#prefix);
  }

  resolve(specifier: string, referrer: string | undefined, notes: string[]): ResolvedModule | undefined {
    if (isAbsolute(specifier)) throw new ModuleRefusedError(`cannot import '${specifier}': absolute paths are refused`);
    if (referrer !== undefined && !this.owns(referrer)) return undefined; // another loader's module
    const from = referrer === undefined ? this.#real : dirname(join(this.#real, ...referrer.slice(this.#prefix.length).split("/")));
    const relativeSpecifier = specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier === "..";
    const path = relativeSpecifier ? this.#file(resolve(from, specifier)) : this.#package(specifier, from);
    if (path === undefined) {
      notes.push(`${this.#root}: no such file inside it`);
      return undefined;
    }
    const real = realpathSync(path);
    if (!this.#inside(real)) {
      notes.push(`${this.#root}: ${path} is really ${real}, outside ${this.#real}`);
      return undefined;
    }
    const name = `${this.#prefix}${relative(this.#real, real).split(sep).join("/")}`;
    return { name, load: () => this.registry.transform(name, readFileSync(real, "utf8"), isCommonJs(real, this.#real)) };
  }

  /** The file a path names (extensions and index files tried), looked for only inside the granted directory. */
  #file(candidate: string): string | undefined {
    const stems = [candidate, candidate.replace(/\.(m|c)?js$/, "")]; // TypeScript's convention: ./util.js is util.ts
    for (const stem of stems) {
      for (const ext of EXTENSIONS) {
        const path = stem + ext;
        if (this.#inside(path) && existsSync(path) && statSync(path).isFile()) return path;
      }
    }
    return undefined;
  }

  /** A bare specifier, `pkg` or `pkg/sub` (scoped too): from node_modules directories between `from` and the granted directory. */
  #package(specifier: string, from: string): string | undefined {
    const parts = specifier.split("/");
    const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
    const subpath = `.${specifier.slice(name.length)}`;
    for (let dir = from; this.#inside(dir); dir = dirname(dir)) {
      const pkgDir = join(dir, "node_modules", name);
      if (this.#inside(pkgDir) && existsSync(pkgDir)) return this.#entry(pkgDir, subpath);
      if (dir === this.#real) break;
    }
    return undefined;
  }

  #entry(pkgDir: string, subpath: string): string | undefined {
    const pkg = readJson(join(pkgDir, "package.json"));
    const exported = pkg?.exports !== undefined ? exportTarget(pkg.exports, subpath) : undefined;
    if (exported !== undefined) return this.#file(join(pkgDir, exported));
    if (subpath !== ".") return this.#file(join(pkgDir, subpath));
    for (const field of ["module", "main"] as const) {
      const target = pkg?.[field];
      if (typeof target === "string") {
        const file = this.#file(join(pkgDir, target));
        if (file) return file;
      }
    }
    return this.#file(join(pkgDir, "index.js"));
  }

  /** Whether a path lies inside the granted directory's real path (compared as written: callers pass real paths, or paths built from it). */
  #inside(path: string): boolean {
    const rel = relative(this.#real, path);
    return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
  }
}

/** `exports` resolution for a subpath, with the "import" and "default" conditions. */
function exportTarget(exports: unknown, subpath: string): string | undefined {
  const pick = (target: unknown): string | undefined => {
    if (typeof target === "string") return target;
    if (Array.isArray(target)) return target.map(pick).find((t) => t !== undefined);
    if (target && typeof target === "object") {
      for (const condition of ["import", "module", "default"]) {
        if (condition in target) {
          const found = pick((target as Record<string, unknown>)[condition]);
          if (found !== undefined) return found;
        }
      }
    }
    return undefined;
  };
  if (typeof exports === "string" || Array.isArray(exports)) return subpath === "." ? pick(exports) : undefined;
  if (!exports || typeof exports !== "object") return undefined;
  const map = exports as Record<string, unknown>;
  const keyed = Object.keys(map).some((k) => k.startsWith("."));
  if (!keyed) return subpath === "." ? pick(map) : undefined;
  if (subpath in map) return pick(map[subpath]);
  for (const key of Object.keys(map)) {
    const star = key.indexOf("*");
    if (star < 0) continue;
    const [prefix, suffix] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix)) {
      const target = pick(map[key]);
      return target?.replace("*", subpath.slice(prefix.length, subpath.length - suffix.length));
    }
  }
  return undefined;
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** `.cjs`, or `.js` in a package (below `root`) that is not `"type": "module"` and whose source has no ESM syntax. */
function isCommonJs(path: string, root: string): boolean {
  if (path.endsWith(".cjs")) return true;
  if (!path.endsWith(".js")) return false;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = readJson(join(dir, "package.json"));
    if (pkg) {
      if (pkg.type === "module") return false;
      break;
    }
    if (dir === root || dirname(dir) === dir) break;
  }
  const source = readFileSync(path, "utf8");
  return !someLineBegins(source, /(import\s*[\w{*'"]|export\s)/y) && /\b(module\.exports|exports\.\w+|require\s*\()/.test(source);
}

/** The host app's own package directory: the nearest package.json above the entry script. */
export function projectDirectory(): string {
  let dir = dirname(resolve(process.argv[1] ?? "."));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
