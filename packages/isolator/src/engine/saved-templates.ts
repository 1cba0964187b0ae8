/**
 * Templates saved to a directory, so a new process starts runtimes without booting the guest's
 * prelude and standard library (most of a short-lived process's start: `isolator run`). A file is
 * named by the hash of everything that shaped its image — the engine as compiled, the scripts, the
 * memory layout facts — and carries a hash of its own bytes; a file that does not match is ignored
 * and replaced. The directory must be writable by its owner only: an image is trusted as code is.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SandboxTemplate } from "./sandbox.js";

const DIGEST_BYTES = 32;

export function templateKey(parts: (string | number)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(`${String(part).length}:${part}`);
  return hash.digest("hex");
}

/** The saved template for `key`, or undefined (none, unreadable or damaged). */
export function loadTemplate(directory: string, key: string): SandboxTemplate | undefined {
  try {
    const bytes = readFileSync(join(directory, `${key}.template`));
    const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
    if (!createHash("sha256").update(body).digest().equals(bytes.subarray(bytes.length - DIGEST_BYTES))) return undefined;
    return SandboxTemplate.deserialize(body);
  } catch {
    return undefined;
  }
}

/** Saves a template, whole or not at all (a write to a temporary name, then a rename); failures only cost the next process a boot. */
export function saveTemplate(directory: string, key: string, template: SandboxTemplate): void {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const body = template.serialize();
    const partial = join(directory, `${key}.${process.pid}.partial`);
    writeFileSync(partial, Buffer.concat([body, createHash("sha256").update(body).digest()]), { mode: 0o600 });
    renameSync(partial, join(directory, `${key}.template`));
  } catch {
    // read-only or full: the next process boots its template again
  }
}
