/**
 * The guest standard library (../../stdlib, bundled at build time into dist/stdlib.js) as the
 * script a host runs in its templates, with the marker its random key starts as: the template
 * finds the key's bytes in the image by it and gives every copy fresh ones (engine/sandbox.ts).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { IsolatorError } from "../errors.js";

/**
 * A host option for `npm run bench` only: templates without the standard library, the reference
 * its budgets are measured against in the same run. Not part of the public API.
 */
export const withoutStdlib = Symbol("isolator.withoutStdlib");

/** Bytes of the guest's random key (stdlib/random.ts SEED_BYTES). */
export const SEED_BYTES = 32;

let bundle: string | undefined;

/** The built bundle, read once per process from the package's dist directory. */
function readBundle(): string {
  if (bundle !== undefined) return bundle;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  const path = join(dir, "dist", "stdlib.js");
  if (!existsSync(path)) throw new IsolatorError(`isolator: the guest standard library ${path} is missing; run \`npm run build\``);
  return (bundle = readFileSync(path, "utf8"));
}

/** The script and the marker its random key holds in the template. */
export function stdlibScript(): { script: string; seedMarker: Uint8Array } {
  const seedMarker = randomBytes(SEED_BYTES);
  // "use strip": the library's functions keep no source text, so the template image stays small.
  const script = `"use strip";\nglobalThis.__isolatorStdlibSeed = "${seedMarker.toString("hex")}";\n${readBundle()}`;
  return { script, seedMarker };
}
