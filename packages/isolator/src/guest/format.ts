/**
 * Console formatting inside the guest, after Node's util.format / util.inspect (compact).
 * Compiled lazily by a runtime the first time a console call needs more than joining strings.
 * Self-contained: its source is shipped into the guest and called with captured intrinsics.
 */
import type { Intrinsics } from "./intrinsics.js";

export interface Formatter {
  format(args: unknown[]): string;
  inspect(value: unknown): string;
}

export function createFormatter(I: Intrinsics): Formatter {
  const { keys, getPrototypeOf, isArray, tagOf, quote, push, join, includes, hasText, replace, regexpTest, toISOString, mapForEach, setForEach, trunc } = I;
  const { String: StringCtor, Number: NumberCtor } = I;
  const identifier = /^[A-Za-z_$][\w$]*$/;
  const specifier = /%([sdifjoOc%])/g;

  function inspect(v: unknown, depth: number, seen: unknown[]): string {
    switch (typeof v) {
      case "string":
        return depth === 0 ? v : quote(v);
      case "bigint":
        return `${v}n`;
      case "function":
        return `[Function: ${(v as { name?: string }).name || "(anonymous)"}]`;
      case "symbol":
        return v.toString();
      case "object":
        break;
      default:
        return StringCtor(v);
    }
    if (v === null) return "null";
    if (includes(seen, v)) return "[Circular]";
    const tag = tagOf(v);
    if (tag === "[object Error]") {
      const e = v as Error;
      return e.stack ? `${StringCtor(e)}\n${e.stack}` : StringCtor(e);
    }
    if (tag === "[object Date]") {
      try {
        return toISOString(v);
      } catch {
        return "Invalid Date";
      }
    }
    if (tag === "[object RegExp]") return StringCtor(v);
    if (depth > 2) return isArray(v) ? "[Array]" : "[Object]";
    const inner: unknown[] = [];
    for (let i = 0; i < seen.length; i++) push(inner, seen[i]);
    push(inner, v);
    const item = (x: unknown) => inspect(x, depth + 1, inner);
    const parts: string[] = [];
    if (isArray(v)) {
      for (let i = 0; i < v.length; i++) push(parts, item(v[i]));
      return parts.length === 0 ? "[]" : `[ ${join(parts, ", ")} ]`;
    }
    if (tag === "[object Map]") {
      mapForEach(v, (x, k) => push(parts, `${item(k)} => ${item(x)}`));
      return `Map(${parts.length}) {${parts.length ? ` ${join(parts, ", ")} ` : ""}}`;
    }
    if (tag === "[object Set]") {
      setForEach(v, (x) => push(parts, item(x)));
      return `Set(${parts.length}) {${parts.length ? ` ${join(parts, ", ")} ` : ""}}`;
    }
    const ks = keys(v);
    for (let i = 0; i < ks.length; i++) {
      const k = ks[i]!;
      push(parts, `${regexpTest(identifier, k) ? k : quote(k)}: ${item((v as Record<string, unknown>)[k])}`);
    }
    const proto = getPrototypeOf(v) as { constructor?: { name?: unknown } } | null;
    const name = proto === null ? "[Object: null prototype]" : typeof proto.constructor?.name === "string" ? proto.constructor.name : "";
    const prefix = name && name !== "Object" ? `${name} ` : "";
    return parts.length === 0 ? `${prefix}{}` : `${prefix}{ ${join(parts, ", ")} }`;
  }

  function format(args: unknown[]): string {
    if (args.length === 0) return "";
    let first = args[0];
    let rest = 1;
    if (typeof first === "string" && hasText(first, "%")) {
      first = replace(first, specifier, (m, f) => {
        if (f === "%") return "%";
        if (rest >= args.length) return m;
        const a = args[rest++];
        switch (f) {
          case "s":
            return typeof a === "string" ? a : inspect(a, 1, []);
          case "d":
          case "i":
            return typeof a === "bigint" ? `${a}n` : StringCtor(f === "i" ? trunc(NumberCtor(a)) : NumberCtor(a));
          case "f":
            return StringCtor(NumberCtor(a));
          case "j":
            try {
              return quote(a) ?? "undefined";
            } catch {
              return "[Circular]";
            }
          case "c":
            return "";
          default:
            return inspect(a, 1, []);
        }
      });
    }
    const parts = [inspect(first, 0, [])];
    for (let i = rest; i < args.length; i++) push(parts, inspect(args[i], 0, []));
    return join(parts, " ");
  }

  return { format, inspect: (v) => inspect(v, 1, []) };
}
