/**
 * Module loaders: the permission gate for code. A runtime can import only what a loader of its host
 * grants: files under a granted directory (the project's, or any other), their node_modules
 * packages, and what a custom loader returns. Granting a module grants its code only: it runs inside
 * the sandbox like any guest code. Paths that leave a granted directory (`..`, symlinks, absolute
 * specifiers) are refused.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { TraceMap } from "@jridgewell/trace-mapping";
import { isTypeScript, transpile } from "../transpile.js";
import { wrapCommonJs } from "./commonjs.js";
import { someLineBegins } from "../source-lines.js";

/** A custom loader: the module's source for a specifier, or undefined to pass. */
export type ModuleLoader = (specifier: string, referrer: string | undefined) => string | undefined;

export interface ResolvedModule {
  /** The module's canonical name (its real path, or `custom:<specifier>`): one instance per name per runtime. */
  name: string;
  load(): string;
}

interface Loader {
  describe(): string;
  /** The directory relative specifiers from non-module code resolve against, if any. */
  root?: string;
  resolve(specifier: string, referrer: string | undefined): ResolvedModule | undefined;
}

export class ModuleRefusedError extends Error {}

const BUILTINS: Record<string, string> = {
  "isolator/guest": "export const host = globalThis.IsolatorHost;\nexport default host;\n",
};
const EXTENSIONS = ["", ".ts", ".mts", ".js", ".mjs", ".cjs", ".json", "/index.ts", "/index.js", "/index.mjs"];

/** The host's loaders, in order, with the source cache they share across runtimes. */
export class ModuleRegistry {
  readonly #loaders: Loader[] = [];
  /** Transformed sources by the hash of what was read: a file is transpiled once per content. */
  readonly #transformed = new Map<string, string>();
  /** Source maps of transpiled modules, by path: guest stacks point at the TypeScript. */
  readonly #maps = new Map<string, TraceMap>();

  sourceMap(path: string): TraceMap | undefined {
    return this.#maps.get(path);
  }

  get size(): number {
    return this.#loaders.length;
  }

  addDirectory(directory: string): void {
    this.#loaders.push(new DirectoryLoader(directory, this));
  }

  addCustom(loader: ModuleLoader): void {
    if (typeof loader !== "function") throw new TypeError("a module loader is a function (specifier, referrer) => source | undefined");
    this.#loaders.push({
      describe: () => "a custom loader",
      resolve: (specifier, referrer) => {
        const source = loader(specifier, referrer);
        if (source === undefined) return undefined;
        if (typeof source !== "string") throw new ModuleRefusedError(`the custom loader returned a ${typeof source} for '${specifier}', not source text`);
        return { name: `custom:${specifier}`, load: () => source };
      },
    });
  }

  /** The directory that relative specifiers from scripts (no module referrer) resolve against. */
  get defaultRoot(): string | undefined {
    return this.#loaders.find((l) => l.root !== undefined)?.root;
  }

  resolve(specifier: string, referrer: string | undefined): ResolvedModule {
    if (specifier in BUILTINS) return { name: specifier, load: () => BUILTINS[specifier]! };
    if (/^(node:|std$|os$|qjs:)/.test(specifier)) throw this.#refuse(specifier, referrer, "Node.js and QuickJS built-in modules are not available in the sandbox");
    // Relative imports from scripts (no module referrer) resolve against the first directory only.
    const fromScript = specifier.startsWith(".") && !(referrer !== undefined && isAbsolute(referrer));
    const loaders = fromScript ? this.#loaders.filter((l) => l.root !== undefined).slice(0, 1) : this.#loaders;
    for (const loader of loaders) {
      const found = loader.resolve(specifier, referrer);
      if (found) return found;
    }
    throw this.#refuse(specifier, referrer, "no module loader grants it");
  }

  #refuse(specifier: string, referrer: string | undefined, why: string): ModuleRefusedError {
    const consulted = this.#loaders.length ? this.#loaders.map((l) => l.describe()).join(", ") : "none: the host registered no module loader";
    return new ModuleRefusedError(`cannot import '${specifier}'${referrer ? ` from ${referrer}` : ""}: ${why} (loaders consulted: ${consulted})`);
  }

  /** Source as the engine needs it: TypeScript transpiled, JSON and CommonJS wrapped; cached by content. */
  transform(path: string, text: string, commonJs: boolean): string {
    const key = createHash("sha1").update(`${path.length}:${path}`).update(text).digest("base64"); // length-prefixed: unambiguous
    let out = this.#transformed.get(key);
    if (out === undefined) {
      if (path.endsWith(".json")) out = `export default ${JSON.stringify(JSON.parse(text))};\n`;
      else if (isTypeScript(path)) {
        const result = transpile(path, text);
        const first = result.diagnostics[0];
        if (first) throw new ModuleRefusedError(`${path}:${first.line}:${first.column}: ${first.message}`);
        out = result.code;
        if (result.map) this.#maps.set(path, result.map);
      } else out = commonJs ? wrapCommonJs(text, path) : text;
      this.#transformed.set(key, out);
    }
    return out;
  }
}

/** Files under one directory, and the node_modules packages its files import. */
class DirectoryLoader implements Loader {
  readonly root: string;
  readonly #real: string;

  constructor(
    directory: string,
    private readonly registry: ModuleRegistry,
  ) {
    this.root = resolve(directory);
    if (!existsSync(this.root) || !statSync(this.root).isDirectory()) throw new ModuleRefusedError(`module directory ${this.root} does not exist`);
    this.#real = realpathSync(this.root);
  }

  describe(): string {
    return `directory ${this.root}`;
  }

  resolve(specifier: string, referrer: string | undefined): ResolvedModule | undefined {
    if (isAbsolute(specifier)) throw new ModuleRefusedError(`cannot import '${specifier}': absolute paths are refused`);
    const fromFile = referrer !== undefined && isAbsolute(referrer) ? referrer : undefined;
    if (fromFile && !this.#inside(fromFile) && !this.#inPackages(fromFile)) return undefined; // another loader's module
    const base = fromFile ? dirname(fromFile) : this.root;
    if (specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier === "..") {
      const path = this.#file(resolve(base, specifier));
      if (path === undefined) return undefined;
      return this.#module(path, specifier, referrer);
    }
    const path = this.#package(specifier, base);
    return path === undefined ? undefined : this.#module(path, specifier, referrer);
  }

  /** The module for a file, after checking it does not leave what is granted (symlinks included). */
  #module(path: string, specifier: string, referrer: string | undefined): ResolvedModule {
    const real = realpathSync(path);
    if (!this.#insideReal(real) && !this.#inPackages(real)) {
      throw new ModuleRefusedError(`cannot import '${specifier}'${referrer ? ` from ${referrer}` : ""}: it resolves to ${real}, outside ${this.root}`);
    }
    return {
      name: real,
      load: () => this.registry.transform(real, readFileSync(real, "utf8"), isCommonJs(real)),
    };
  }

  #file(candidate: string): string | undefined {
    const stems = [candidate, candidate.replace(/\.(m|c)?js$/, "")]; // TypeScript's convention: ./util.js is util.ts
    for (const stem of stems) {
      for (const ext of EXTENSIONS) {
        const path = stem + ext;
        if (existsSync(path) && statSync(path).isFile()) return path;
      }
    }
    return undefined;
  }

  /** A bare specifier: `pkg` or `pkg/sub` (scoped too), from node_modules directories above `base`. */
  #package(specifier: string, base: string): string | undefined {
    const parts = specifier.split("/");
    const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
    const subpath = `.${specifier.slice(name.length)}`;
    for (let dir = base; ; dir = dirname(dir)) {
      const pkgDir = join(dir, "node_modules", name);
      if (existsSync(pkgDir)) return this.#entry(pkgDir, subpath);
      if (dirname(dir) === dir) return undefined;
    }
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

  #inside(path: string): boolean {
    const rel = relative(this.root, path);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  }

  #insideReal(real: string): boolean {
    const rel = relative(this.#real, real);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  }

  /** Installed packages live in a node_modules directory (npm may hoist it above the granted one). */
  #inPackages(real: string): boolean {
    return real.split(sep).includes("node_modules");
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

/** `.cjs`, or `.js` in a package that is not `"type": "module"` and whose source has no ESM syntax. */
function isCommonJs(path: string): boolean {
  if (path.endsWith(".cjs")) return true;
  if (!path.endsWith(".js")) return false;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = readJson(join(dir, "package.json"));
    if (pkg) {
      if (pkg.type === "module") return false;
      break;
    }
    if (dirname(dir) === dir) break;
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
