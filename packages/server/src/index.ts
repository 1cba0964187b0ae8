export { startServer, type RunningServer } from "./server.js";
export { defaultConfig, resolveConfig, type ServerConfig } from "./config.js";
