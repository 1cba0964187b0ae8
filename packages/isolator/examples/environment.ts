import { IsolatedRuntime, IsolatedRuntimeHost } from "isolator";

interface EnvironmentInfo {
  engine: string;
  canSeeHost: boolean;
  memoryLimitMb: number;
  startedAt: Date;
  primes: Set<number>;
}

using host = new IsolatedRuntimeHost();
using runtime = new IsolatedRuntime(host, { memoryLimit: 32 * 1024 * 1024 });

// Values come back by copy, with their types: Date, Set, Map, BigInt, typed arrays, errors...
const info = runtime.invoke(
  (memoryLimitMb: number): EnvironmentInfo => ({
    engine: "QuickJS",
    canSeeHost: typeof process !== "undefined" || typeof fetch !== "undefined",
    memoryLimitMb,
    startedAt: new Date(),
    primes: new Set([2, 3, 5, 7].filter((n) => n < 6)),
  }),
  32,
);
console.log(info);
