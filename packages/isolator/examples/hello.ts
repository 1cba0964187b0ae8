import { hostname } from "node:os";
import { IsolatedRuntime, IsolatedRuntimeHost } from "isolator";

using host = new IsolatedRuntimeHost();
using runtime = new IsolatedRuntime(host, { timeLimit: 500 });

// The guest sees no process, files or network: it asks the host through a callback it was granted.
runtime.registerCallback("getHostName", () => hostname());

console.log(`Host: I'm running on Node.js ${process.version}`);
const greeting = runtime.invoke(
  (engine: string) => `Guest: I'm running on ${engine}, and my host is ${IsolatorHost.invoke<string>("getHostName")}`,
  "QuickJS in WebAssembly",
);
console.log(greeting);
