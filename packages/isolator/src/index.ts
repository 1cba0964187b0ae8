export { IsolatedRuntimeHost } from "./host.js";
export { IsolatedRuntime } from "./runtime.js";
export type { ConsoleEntry, ConsoleLevel, HostCallback, IsolatedRuntimeOptions } from "./runtime.js";
export {
  IsolatedCaptureError,
  IsolatedError,
  IsolatedMemoryError,
  IsolatedRuntimeDisposedError,
  IsolatedRuntimeFaultedError,
  IsolatedSerializationError,
  IsolatedTimeoutError,
  IsolatorError,
} from "./errors.js";
