/**
 * Bundles the guest standard library (index.ts and the libraries it uses) into one script,
 * dist/stdlib.js, that a host runs in its templates. Part of `npm run build` and `npm run typecheck`.
 */
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, "..", "dist", "stdlib.js");
mkdirSync(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(here, "index.ts")],
  outfile,
  bundle: true,
  minify: true,
  format: "iife",
  platform: "neutral",
  mainFields: ["module", "main"],
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
});
