/** "isolator/node": real Node.js, one throwaway bubblewrap container per run. */
export { NodeExecutor, SandboxUnavailableError } from "./executor.js";
export type { NodeExecutorOptions, NodeExecutorStats } from "./executor.js";
