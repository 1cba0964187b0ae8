/** node:url: the WHATWG URL classes and the file-URL helpers (the legacy url.parse is not offered). */
import URL from "core-js-pure/actual/url/index.js";
import URLSearchParams from "core-js-pure/actual/url-search-params/index.js";

function invalid(message: string, code: string): TypeError {
  return Object.assign(new TypeError(message), { code });
}

export function fileURLToPath(url: string | URL): string {
  const parsed = typeof url === "string" ? new URL(url) : url;
  if (!(parsed instanceof URL)) throw invalid('The "path" argument must be of type string or an instance of URL', "ERR_INVALID_ARG_TYPE");
  if (parsed.protocol !== "file:") throw invalid("The URL must be of scheme file", "ERR_INVALID_URL_SCHEME");
  if (parsed.hostname !== "") throw invalid('File URL host must be "localhost" or empty on linux', "ERR_INVALID_FILE_URL_HOST");
  if (/%2f/i.test(parsed.pathname)) throw invalid("File URL path must not include encoded / characters", "ERR_INVALID_FILE_URL_PATH");
  return decodeURIComponent(parsed.pathname);
}

export function pathToFileURL(path: string): URL {
  const absolute = String(path).startsWith("/") ? String(path) : `/${String(path)}`;
  const url = new URL("file://");
  url.pathname = absolute.replace(/%/g, "%25").replace(/\\/g, "%5C").replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/\t/g, "%09");
  return url;
}

export function format(url: URL | string): string {
  return String(url);
}

export { URL, URLSearchParams };
