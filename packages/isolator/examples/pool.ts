import { IsolatedRuntimePool } from "isolator";

await using pool = new IsolatedRuntimePool({ size: 2, runtime: { timeLimit: 500 } });

// A TypeScript program, run like `node main.ts` in a fresh sandbox on a worker thread.
const program = `const name: string = require("fs").readFileSync(0, "utf8").trim();
console.log(\`Hello, \${name}!\`);`;
const result = await pool.run(program, { stdin: "Ada" });
console.log(result.status, result.exitCode, JSON.stringify(result.output.map((chunk) => chunk.text).join("")));
