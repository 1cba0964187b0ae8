export { IsolatedRuntimeHost } from "./host.js";
export { IsolatedRuntime } from "./runtime.js";
export { IsolatedMethod, IsolatedObject } from "./objects.js";
export type { ConsoleEntry, ConsoleLevel, HostCallback, IsolatedRuntimeOptions, LambdaArgs } from "./runtime.js";
export {
  IsolatedCaptureError,
  IsolatedError,
  IsolatedLookupError,
  IsolatedMemoryError,
  IsolatedRuntimeDisposedError,
  IsolatedRuntimeFaultedError,
  IsolatedSerializationError,
  IsolatedTimeoutError,
  IsolatorError,
} from "./errors.js";
export { IsolatedRuntimePool, IsolatedPoolClosedError, IsolatedPoolQueueFullError } from "./pool/pool.js";
export type { IsolatedRuntimePoolOptions, PoolModuleSource, PoolRunOptions, PoolStats } from "./pool/pool.js";
export type { Executor, ExecutorStats, RunOptions } from "./executor.js";
export type { RuntimeLimits } from "./pool/messages.js";
export type { Language, OutputChunk, ProgramOptions, ProgramSource, RunError, RunResult, RunStatus } from "./program/runner.js";
export { programPath, runProgram } from "./program/runner.js";
export type { ProgramHooks } from "./program/runner.js";
export { outputSegments } from "./program/output.js";
export { transpile } from "./transpile.js";
export type { SourceDiagnostic, Transpiled } from "./transpile.js";
export type { ModuleLoader } from "./modules/loaders.js";
