/**
 * Per-sandbox control groups, where this process may make them: memory (every byte, Buffers and
 * tmpfs files included, not only V8's heap), process count, and CPU accounting. cgroup v2 (one
 * delegated hierarchy) or v1 (a writable hierarchy per controller). Where neither is writable the
 * executor falls back to rlimits and says so in its stats.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = "/sys/fs/cgroup";
const PREFIX = "isolator-";
/** Groups made by this process so far (every executor in it shares the numbering). */
let made = 0;

export interface CgroupLimits {
  memoryBytes: number;
  processes: number;
}

export interface CgroupUsage {
  memoryPeakBytes: number;
  cpuMs: number;
  outOfMemory: boolean;
  processLimitHit: boolean;
}

/** One sandbox's groups: every process of the sandbox joins them before bwrap starts. */
export interface Cgroup {
  /** The `cgroup.procs` files a new process writes its pid to. */
  readonly procsFiles: string[];
  limit(limits: CgroupLimits): void;
  /** Starts accounting afresh (peaks, counters) for the run about to start. */
  reset(): void;
  usage(): CgroupUsage;
  /** Kills whatever is left and removes the groups (retrying while processes die). */
  destroy(): Promise<void>;
}

export interface CgroupFactory {
  readonly version: 1 | 2;
  /** A new sandbox's groups, named after this process and a number no other executor in it uses. */
  create(): Cgroup;
}

/** Where to make groups here, or undefined if this process may not. Also removes groups left by dead processes. */
export function cgroupFactory(): CgroupFactory | undefined {
  try {
    if (existsSync(join(ROOT, "cgroup.controllers"))) return v2();
    return v1();
  } catch {
    return undefined;
  }
}

function v1(): CgroupFactory | undefined {
  const memory = join(ROOT, "memory");
  const pids = join(ROOT, "pids");
  const cpuacct = join(ROOT, "cpuacct");
  if (![memory, pids, cpuacct].every((d) => existsSync(join(d, "cgroup.procs")))) return undefined;
  const parents = [memory, pids, cpuacct].map((d) => join(d, "isolator"));
  for (const parent of parents) mkdirSync(parent, { recursive: true });
  for (const parent of parents) sweep(parent, (dir) => killAll(join(dir, "cgroup.procs")));
  const [memoryParent, pidsParent, cpuParent] = parents as [string, string, string];
  return {
    version: 1,
    create() {
      const name = String(++made);
      const dirs = [memoryParent, pidsParent, cpuParent].map((p) => join(p, `${PREFIX}${process.pid}-${name}`));
      for (const dir of dirs) mkdirSync(dir);
      const [m, p, c] = dirs as [string, string, string];
      let oomBefore = 0;
      let cpuBefore = 0;
      const swap = existsSync(join(m, "memory.memsw.limit_in_bytes"));
      return {
        procsFiles: dirs.map((d) => join(d, "cgroup.procs")),
        limit({ memoryBytes, processes }) {
          // Raise memory+swap first when lowering would leave it under memory (the kernel refuses that order).
          if (swap) writeFileSync(join(m, "memory.memsw.limit_in_bytes"), "-1");
          writeFileSync(join(m, "memory.limit_in_bytes"), String(memoryBytes));
          if (swap) writeFileSync(join(m, "memory.memsw.limit_in_bytes"), String(memoryBytes)); // no swapping past the limit
          writeFileSync(join(p, "pids.max"), String(processes));
        },
        reset() {
          writeFileSync(join(m, "memory.max_usage_in_bytes"), "0");
          oomBefore = oomKills(readFileSync(join(m, "memory.oom_control"), "utf8"));
          cpuBefore = Number(readFileSync(join(c, "cpuacct.usage"), "utf8"));
        },
        usage() {
          return {
            memoryPeakBytes: Number(readFileSync(join(m, "memory.max_usage_in_bytes"), "utf8")),
            cpuMs: (Number(readFileSync(join(c, "cpuacct.usage"), "utf8")) - cpuBefore) / 1e6,
            outOfMemory: oomKills(readFileSync(join(m, "memory.oom_control"), "utf8")) > oomBefore,
            processLimitHit: /max (\d+)/.exec(readFileSync(join(p, "pids.events"), "utf8"))?.[1] !== "0",
          };
        },
        destroy: () => removeGroups(dirs),
      };
    },
  };
}

function v2(): CgroupFactory | undefined {
  const own = /^0::(.*)$/m.exec(readFileSync("/proc/self/cgroup", "utf8"))?.[1];
  if (own === undefined) return undefined;
  // A delegated subtree: our own group's parent is where siblings may be made (a process may not
  // sit in a group that has children with controllers enabled).
  const parent = join(ROOT, own, "..", "isolator");
  mkdirSync(parent, { recursive: true });
  const controllers = readFileSync(join(parent, "..", "cgroup.controllers"), "utf8");
  if (!/\bmemory\b/.test(controllers) || !/\bpids\b/.test(controllers)) return undefined;
  writeFileSync(join(parent, "cgroup.subtree_control"), "+memory +pids");
  sweep(parent, (dir) => writeFileSync(join(dir, "cgroup.kill"), "1"));
  return {
    version: 2,
    create() {
      const name = String(++made);
      const dir = join(parent, `${PREFIX}${process.pid}-${name}`);
      mkdirSync(dir);
      let oomBefore = 0;
      let cpuBefore = 0;
      const read = (file: string) => readFileSync(join(dir, file), "utf8");
      const usec = () => Number(/usage_usec (\d+)/.exec(read("cpu.stat"))?.[1] ?? 0);
      return {
        procsFiles: [join(dir, "cgroup.procs")],
        limit({ memoryBytes, processes }) {
          writeFileSync(join(dir, "memory.max"), String(memoryBytes));
          writeFileSync(join(dir, "memory.swap.max"), "0");
          writeFileSync(join(dir, "pids.max"), String(processes));
        },
        reset() {
          if (existsSync(join(dir, "memory.peak"))) writeFileSync(join(dir, "memory.peak"), "0");
          oomBefore = Number(/oom_kill (\d+)/.exec(read("memory.events"))?.[1] ?? 0);
          cpuBefore = usec();
        },
        usage() {
          return {
            memoryPeakBytes: Number(existsSync(join(dir, "memory.peak")) ? read("memory.peak") : read("memory.current")),
            cpuMs: (usec() - cpuBefore) / 1000,
            outOfMemory: Number(/oom_kill (\d+)/.exec(read("memory.events"))?.[1] ?? 0) > oomBefore,
            processLimitHit: /max (\d+)/.exec(read("pids.events"))?.[1] !== "0",
          };
        },
        async destroy() {
          try {
            writeFileSync(join(dir, "cgroup.kill"), "1");
          } catch {
            // already gone
          }
          await removeGroups([dir]);
        },
      };
    },
  };
}

function oomKills(control: string): number {
  return Number(/oom_kill (\d+)/.exec(control)?.[1] ?? 0);
}

/** Kills every process listed in a cgroup.procs file. */
function killAll(procsFile: string): void {
  let pids: string[] = [];
  try {
    pids = readFileSync(procsFile, "utf8").split("\n").filter(Boolean);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Removes the groups of processes no longer alive (a server killed before it could clean up). */
function sweep(parent: string, kill: (dir: string) => void): void {
  for (const name of readdirSync(parent)) {
    const owner = Number(/^isolator-(\d+)-/.exec(name)?.[1]);
    if (!owner || alive(owner)) continue;
    const dir = join(parent, name);
    kill(dir);
    void removeGroups([dir]);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** rmdir succeeds once the group's last process has been reaped: retry for a while. */
async function removeGroups(dirs: string[]): Promise<void> {
  for (let attempt = 0; attempt < 100 && dirs.length > 0; attempt++) {
    dirs = dirs.filter((dir) => {
      killAll(join(dir, "cgroup.procs"));
      try {
        rmdirSync(dir);
        return false;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code !== "ENOENT";
      }
    });
    if (dirs.length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
