/**
 * CommonJS in an ES module world: the file is wrapped in the usual function, its `require` calls
 * with literal specifiers become static imports (resolved by the same loaders), and
 * `module.exports` becomes the default export. A `require` of anything else fails clearly.
 */
import { basename, dirname } from "node:path";

export function wrapCommonJs(source: string, path: string): string {
  const specifiers = [...new Set([...source.matchAll(/\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g)].map((m) => m[2]!))];
  const imports = specifiers.map((s, i) => `import * as __cjs${i} from ${JSON.stringify(s)};`).join("\n");
  const table = specifiers.map((s, i) => `${JSON.stringify(s)}: __cjs${i}`).join(", ");
  return `${imports}
const __modules = { ${table} };
const module = { exports: {} };
const require = (id) => {
  const m = __modules[id];
  if (m === undefined) throw new Error("Cannot find module '" + id + "' (only require calls with literal names can be served in the sandbox)");
  return "default" in m ? m.default : m;
};
(function (exports, require, module, __filename, __dirname) {
${source}
})(module.exports, require, module, ${JSON.stringify(basename(path))}, ${JSON.stringify(dirname(path).split("/").pop() ?? "")});
export default module.exports;
`;
}
