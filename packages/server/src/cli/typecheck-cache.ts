/**
 * Type-checking for `isolator run`, with a cache of results under the user's cache directory
 * ($XDG_CACHE_HOME/isolator, else ~/.cache/isolator): a check's diagnostics are kept under the hash
 * of everything that decides them (the TypeScript version, the sandbox's declarations, every file's
 * name and text), so running an unchanged program again skips the checker, and TypeScript is not
 * even loaded. A cache that cannot be read or written is only a slower run.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Diagnostic } from "../build/typecheck.js";
import { SANDBOX_GLOBALS } from "../build/sandbox-types.js";
import type { Runtime } from "../orchestrator/runtimes.js";

export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "isolator");
}

/** Errors of the program's files (names relative to its directory), from the cache or a fresh check. */
export async function checkProgram(files: Record<string, string>, runtime: Runtime): Promise<Diagnostic[]> {
  const require = createRequire(import.meta.url);
  const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  const hash = createHash("sha256").update(`typescript ${version("typescript")} @types/node ${version("@types/node")} ${runtime}\0`);
  // The checker's own code (its options, its libs) and the sandbox's declarations decide too.
  hash.update(readFileSync(new URL("../build/typecheck.js", import.meta.url))).update(SANDBOX_GLOBALS).update("\0");
  for (const name of Object.keys(files).sort()) hash.update(`${name.length}:${name}${files[name]!.length}:${files[name]}`);
  const path = join(cacheDirectory(), "typecheck", `${hash.digest("hex")}.json`);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Diagnostic[];
  } catch {
    // not cached (or unreadable): check
  }
  const { TypeChecker } = await import("../build/typecheck.js");
  const errors = new TypeChecker().check(files, runtime).filter((d) => d.category === "error");
  try {
    mkdirSync(join(path, ".."), { recursive: true });
    const partial = `${path}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(errors));
    renameSync(partial, path); // whole or absent, whatever runs at the same time
  } catch {
    // a read-only or full cache directory: the next run checks again
  }
  return errors;
}
