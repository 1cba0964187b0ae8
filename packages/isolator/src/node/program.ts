/**
 * A program as a Node sandbox receives it: its files under the working directory, TypeScript
 * transpiled to JavaScript beside a source map (Node runs with --enable-source-maps, so stack
 * traces name the .ts lines), and a package.json making it an ES module when it uses import/export.
 */
import { encodedMap } from "@jridgewell/trace-mapping";
import { posix } from "node:path";
import { IsolatorError } from "../errors.js";
import type { Language, ProgramSource } from "../program/runner.js";
import { programPath } from "../program/runner.js";
import { isTypeScript, transpile } from "../transpile.js";
import { WORK_DIR } from "./plan.js";

export interface SandboxProgram {
  files: [path: string, text: string][];
  entry: string;
  args: string[];
}

/** A syntax error in the program: the run fails before any sandbox is used. */
export class NodeProgramSyntaxError extends IsolatorError {
  override name = "SyntaxError";
}

const MODULE_SYNTAX = /^\s*(import\s*[\w*{"'`]|export\s)/m;

export function sandboxProgram(program: ProgramSource, language: Language | undefined, args: string[]): SandboxProgram {
  const given = typeof program === "string" ? { files: { [language === "javascript" ? "main.js" : "main.ts"]: program }, entry: "" } : program;
  const names = Object.keys(given.files);
  const entryName = programPath(given.entry || names[0] || "main.js");
  const files: [string, string][] = [];
  const diagnostics: string[] = [];
  let entry = entryName;
  let module = false;
  for (const name of names) {
    const source = given.files[name];
    if (typeof source !== "string") throw new IsolatorError(`file '${name}' must be text`);
    const file = programPath(name);
    if (file === "/package.json") throw new IsolatorError("a program's package.json is made by the executor");
    const ts = language === "typescript" ? !/\.(c|m)?jsx?$/.test(file) || isTypeScript(file) : isTypeScript(file);
    if (MODULE_SYNTAX.test(source) && !/\.c[jt]s$/.test(file)) module = true;
    if (!ts) {
      files.push([WORK_DIR + file, source]);
      continue;
    }
    const out = transpile(file, source);
    for (const d of out.diagnostics) diagnostics.push(`${d.file}:${d.line}:${d.column}: ${d.message}`);
    const js = file.replace(/\.(c|m)?tsx?$/, (_, kind: string | undefined) => `.${kind ?? ""}js`).replace(/^([^.]*)$/, "$1.js");
    if (file === entryName) entry = js;
    const base = posix.basename(js);
    files.push([`${WORK_DIR}${js}`, `${out.code}\n//# sourceMappingURL=${base}.map\n`]);
    if (out.map) files.push([`${WORK_DIR}${js}.map`, JSON.stringify({ ...encodedMap(out.map), sources: [posix.basename(file)], sourcesContent: [source] })]);
  }
  if (diagnostics.length > 0) throw new NodeProgramSyntaxError(diagnostics.join("\n"));
  if (!names.some((n) => programPath(n) === entryName)) throw new IsolatorError(`the entry file '${entryName}' is not among the program's files`);
  if (module) files.push([`${WORK_DIR}/package.json`, `{ "type": "module" }\n`]);
  return { files, entry: WORK_DIR + entry, args };
}
