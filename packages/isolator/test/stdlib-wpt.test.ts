/**
 * Web Platform Tests data run inside the sandbox (vendored under test/stdlib/wpt, BSD-3-Clause,
 * see LICENSE.md there): URL parsing (urltestdata.json) and the URL setters (setters_tests.json).
 * The pass counts are in the README; a drop below them fails.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { IsolatedRuntime, IsolatedRuntimeHost } from "../src/index.js";

const host = new IsolatedRuntimeHost();
after(() => host.dispose());

const data = (name: string) => JSON.parse(readFileSync(new URL(`../../test/stdlib/wpt/${name}`, import.meta.url), "utf8")) as unknown;
const URL_FIELDS = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];

/** Runs the checks in a fresh runtime; returns [passed, failed descriptions]. */
function inSandbox(fn: (cases: unknown[], fields: string[]) => [number, string[]], cases: unknown[]): [number, string[]] {
  using runtime = new IsolatedRuntime(host, { timeLimit: 60_000, memoryLimit: 256 * 1024 * 1024 });
  return runtime.invoke(fn, cases, URL_FIELDS) as [number, string[]];
}

describe("Web Platform Tests", () => {
  test("URL parsing: urltestdata.json (848 of 891 pass; the rest are file: and blob: edge cases)", () => {
    const cases = (data("urltestdata.json") as unknown[]).filter((c) => typeof c === "object");
    const [passed, failed] = inSandbox((cases, fields) => {
      const failures: string[] = [];
      let ok = 0;
      for (const c of cases as { input: string; base: string | null; failure?: boolean; [k: string]: unknown }[]) {
        let url: URL | undefined;
        try {
          url = c.base === null ? new URL(c.input) : new URL(c.input, c.base);
        } catch {
          url = undefined;
        }
        const good = c.failure ? url === undefined : url !== undefined && fields.every((f) => !(f in c) || (url as unknown as Record<string, unknown>)[f] === c[f]);
        if (good) ok++;
        else failures.push(JSON.stringify(c.input));
      }
      return [ok, failures];
    }, cases);
    assert.equal(passed + failed.length, 891);
    assert.ok(passed >= 848, `${passed} passed; failing: ${failed.join(" ")}`);
  });

  test("URL setters: setters_tests.json (274 of 278 pass)", () => {
    const groups = data("setters_tests.json") as Record<string, unknown>;
    const cases = Object.entries(groups)
      .filter(([name]) => name !== "comment")
      .flatMap(([setter, list]) => (list as object[]).map((c) => ({ setter, ...c })));
    const [passed, failed] = inSandbox((cases) => {
      const failures: string[] = [];
      let ok = 0;
      for (const c of cases as { setter: string; href: string; new_value: string; expected: Record<string, string> }[]) {
        let good = false;
        try {
          const url = new URL(c.href);
          (url as unknown as Record<string, string>)[c.setter] = c.new_value;
          good = Object.entries(c.expected).every(([k, v]) => (url as unknown as Record<string, string>)[k] === v);
        } catch {
          good = false;
        }
        if (good) ok++;
        else failures.push(`${c.setter}=${JSON.stringify(c.new_value)} on ${c.href}`);
      }
      return [ok, failures];
    }, cases);
    assert.equal(passed + failed.length, 278);
    assert.ok(passed >= 274, `${passed} passed; failing: ${failed.join(" | ")}`);
  });
});
