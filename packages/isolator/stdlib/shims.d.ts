/** Declarations for the CommonJS packages the guest standard library bundles that ship no types. */
declare module "path-browserify" {
  import path from "node:path";
  export default path.posix;
}
declare module "querystring-es3" {
  export function parse(str: string, sep?: string, eq?: string, options?: { maxKeys?: number }): Record<string, string | string[]>;
  export function stringify(obj: unknown, sep?: string, eq?: string, name?: string): string;
}
declare module "events" {
  import events from "node:events";
  export default events;
}
declare module "string_decoder" {
  export { StringDecoder } from "node:string_decoder";
}
declare module "core-js-pure/actual/url/index.js" {
  const URLCtor: typeof URL;
  export default URLCtor;
}
declare module "core-js-pure/actual/url-search-params/index.js" {
  const Params: typeof URLSearchParams;
  export default Params;
}
