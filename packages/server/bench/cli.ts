/**
 * `npm run bench:cli`: wall time of `isolator run` as a user meets it — a fresh process per run,
 * spawned from here — beside `node hello.js` spawned in the same rounds (interleaved, so the
 * machine's load falls on both). One JSON line per figure: median, min and max over the rounds.
 * Goals (issue 15): --no-typecheck ≤ 2x node; type-checked ≤ 1 s on a warm cache.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "isolator-bench-cli-"));
const hello = 'const who: string = "world";\nconsole.log(`hello, ${who}`);\n';
writeFileSync(join(dir, "hello.js"), 'const who = "world";\nconsole.log(`hello, ${who}`);\n');
writeFileSync(join(dir, "hello.ts"), hello);

/** Milliseconds of one spawned command, which must succeed. */
function time(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = performance.now();
  const out = spawnSync(process.execPath, args, { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const ms = performance.now() - started;
  if (out.status !== 0 || out.stdout !== "hello, world\n") throw new Error(`${args.join(" ")}: exit ${out.status}\n${out.stdout}${out.stderr}`);
  return ms;
}

const figures: Record<string, number[]> = { node: [], noTypecheck: [], typecheckCold: [], typecheckWarm: [], typecheckEdited: [] };
const warmCache = mkdtempSync(join(tmpdir(), "isolator-bench-cache-"));
try {
  time([cli, "run", "hello.ts"], { ...process.env, XDG_CACHE_HOME: warmCache }); // fills the warm cache
  for (let round = 0; round < ROUNDS; round++) {
    figures.node!.push(time(["hello.js"]));
    figures.noTypecheck!.push(time([cli, "run", "--no-typecheck", "hello.ts"]));
    figures.typecheckWarm!.push(time([cli, "run", "hello.ts"], { ...process.env, XDG_CACHE_HOME: warmCache }));
    if (round < 3) {
      const cold = mkdtempSync(join(tmpdir(), "isolator-bench-cache-"));
      figures.typecheckCold!.push(time([cli, "run", "hello.ts"], { ...process.env, XDG_CACHE_HOME: cold }));
      rmSync(cold, { recursive: true, force: true });
      // A program edited since the last run: its check is not cached.
      writeFileSync(join(dir, "hello.ts"), `${hello}// edit ${round} ${Date.now()}\n`);
      figures.typecheckEdited!.push(time([cli, "run", "hello.ts"], { ...process.env, XDG_CACHE_HOME: warmCache }));
      writeFileSync(join(dir, "hello.ts"), hello);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(warmCache, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const stats = (xs: number[]) => ({ median: Math.round(median(xs)), min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)), rounds: xs.length });
const node = median(figures.node!);
const report = (figure: string, xs: number[], goal: string) =>
  console.log(JSON.stringify({ figure, unit: "ms", ours: stats(xs), reference: { figure: "node hello.js", ...stats(figures.node!) }, ratio: Number((median(xs) / node).toFixed(2)), goal }));
report("isolator run --no-typecheck hello.ts", figures.noTypecheck!, "<= 2x node hello.js");
report("isolator run hello.ts (type-checked, warm cache: unchanged program)", figures.typecheckWarm!, "<= 1000 ms");
report("isolator run hello.ts (type-checked, edited program: check not cached)", figures.typecheckEdited!, "reported (the checker runs)");
report("isolator run hello.ts (type-checked, cold: empty cache)", figures.typecheckCold!, "reported (the checker runs)");
