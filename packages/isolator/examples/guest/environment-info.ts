// A module of the host app that also runs inside the sandbox (granted by a directory loader).
import { host } from "isolator/guest";

export class EnvironmentInfo {
  constructor(
    readonly engine: string,
    readonly hostTime: Date,
  ) {}
  describe(): string {
    return `running on ${this.engine}; the host's clock says ${this.hostTime.getUTCFullYear()}`;
  }
}

export function getEnvironmentInfo(): EnvironmentInfo {
  return new EnvironmentInfo(typeof process === "undefined" ? "QuickJS in WebAssembly" : "Node.js", host.invoke<Date>("getHostTime"));
}
