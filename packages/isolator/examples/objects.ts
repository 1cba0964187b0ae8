import { fileURLToPath } from "node:url";
import { IsolatedRuntime, IsolatedRuntimeHost } from "isolator";
import { EnvironmentInfo } from "./guest/environment-info.js";

// Grant the guest one directory of modules; EnvironmentInfo keeps its class across the boundary.
using host = new IsolatedRuntimeHost()
  .withDirectoryModuleLoader(fileURLToPath(new URL("./guest", import.meta.url)))
  .withClass(EnvironmentInfo, "./environment-info.js");
using runtime = new IsolatedRuntime(host);
runtime.registerCallback("getHostTime", () => new Date());

// A function of the app's own module, run inside the sandbox, returning an instance of its class.
const info = runtime.getMethod("./environment-info.js", "getEnvironmentInfo").invoke<EnvironmentInfo>(null);
console.log(info instanceof EnvironmentInfo, info.describe());

// An object that lives in the guest, driven from the host.
using person = runtime.createObject("./person.js", "Person", "Ann", 37);
person.invokeVoid("birthday");
const getAge = person.findMethod("getAge");
using bob = runtime.createObject("./person.js", "Person", "Bob", 52);
console.log(person.invoke<number>("getAge"), getAge.invoke<number>(bob));
