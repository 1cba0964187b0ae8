export { startServer, type RunningServer } from "./server.js";
export { startWorker, type RunningWorker, type WorkerConfig } from "./worker.js";
export { defaultConfig, resolveConfig, type ServerConfig } from "./config.js";
export type { Diagnostic } from "./build/typecheck.js";
export type { RunStatus } from "./store/run-store.js";
