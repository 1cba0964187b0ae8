/**
 * What a Node sandbox sees and what bounds it: the bubblewrap command line (namespaces, the
 * read-only view of node and its libraries, the private tmpfs) and the rlimits set on it.
 */
import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where things are inside every sandbox. */
export const WORK_DIR = "/work";
export const LAUNCHER_PATH = "/isolator/launcher.cjs";
const NODE_PATH = "/usr/bin/node";
const NODE_MODULES_PATH = "/node_modules";
const NOBODY = 65534;

export interface SandboxSpec {
  bwrap: string;
  /** The node binary on the host; it and the libraries it loads are all the sandbox sees of the host. */
  node: string;
  /** A read-only node_modules for every program, if any. */
  nodeModules?: string;
  /** Bytes of the working directory's tmpfs (and of /tmp's). */
  tmpfsBytes: number;
  /** The V8 heap limit the sandbox boots with (the memory limit it is booted for). */
  memoryLimit: number;
  /** Rlimits: always the file size and CPU time; the data segment and process count where no cgroup bounds them. */
  rlimits: { fsize: number; cpuSeconds: number; data?: number; nproc?: number };
}

/** The libraries the dynamic loader maps for `node` (from ldd), as real paths and the paths asked for. */
export function nodeLibraries(node: string): { path: string; real: string }[] {
  const out = execFileSync("ldd", [node], { encoding: "utf8" });
  const libraries: { path: string; real: string }[] = [];
  for (const line of out.split("\n")) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libraries.push({ path: m[1]!, real: realpathSync(m[1]!) });
  }
  return libraries;
}

export function launcherFile(): string {
  return fileURLToPath(new URL("./launcher.cjs", import.meta.url));
}

/** The whole command: prlimit (the rlimits) running bwrap running node running the launcher. */
export function sandboxCommand(spec: SandboxSpec, libraries: { path: string; real: string }[]): { file: string; args: string[] } {
  const { rlimits } = spec;
  const limits = [`--fsize=${rlimits.fsize}`, `--cpu=${rlimits.cpuSeconds}`, "--core=0"];
  if (rlimits.data !== undefined) limits.push(`--data=${rlimits.data}`);
  if (rlimits.nproc !== undefined) limits.push(`--nproc=${rlimits.nproc}`);
  const asRoot = process.getuid?.() === 0;
  const bwrap = [
    "--unshare-all", // user, pid, net, ipc, uts, cgroup (and mount) namespaces: no network at all, not even loopback to the host
    "--die-with-parent",
    "--new-session",
    "--clearenv",
    "--cap-drop", "ALL",
    ...(asRoot ? ["--uid", String(NOBODY), "--gid", String(NOBODY)] : []),
    "--hostname", "sandbox",
    "--ro-bind", realpathSync(spec.node), NODE_PATH,
    ...libraries.flatMap(({ path, real }) => ["--ro-bind", real, path]),
    "--ro-bind", launcherFile(), LAUNCHER_PATH,
    ...(spec.nodeModules ? ["--ro-bind", realpathSync(spec.nodeModules), NODE_MODULES_PATH] : []),
    "--proc", "/proc",
    "--dev", "/dev",
    "--size", String(spec.tmpfsBytes), "--tmpfs", WORK_DIR,
    "--size", String(spec.tmpfsBytes), "--tmpfs", "/tmp",
    "--chdir", WORK_DIR,
    "--setenv", "HOME", WORK_DIR,
    "--setenv", "PATH", "/usr/bin",
    // The container's own root and /dev are bwrap's unbounded tmpfs: read-only, only /work and /tmp (sized) stay writable.
    "--remount-ro", "/dev",
    "--remount-ro", "/",
    "--",
    NODE_PATH,
    "--enable-source-maps",
    `--max-old-space-size=${Math.max(16, Math.floor(spec.memoryLimit / 1024 / 1024))}`,
    LAUNCHER_PATH,
  ];
  return { file: "prlimit", args: [...limits, "--", spec.bwrap, ...bwrap] };
}
