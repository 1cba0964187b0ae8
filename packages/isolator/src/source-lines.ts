/**
 * Line-start tests on source text, in one pass. A multiline `/^\s*x/m` is quadratic: `\s*` crosses
 * newlines, so from every line start it rescans the run of blank lines that follows (a program of
 * blank lines timed out before it ran). Here each character is looked at once, plus what `pattern`
 * itself reads.
 */
const WHITE = /\s/;

/** Whether some line, after its leading white space, matches the sticky `pattern` at that point. */
export function someLineBegins(source: string, pattern: RegExp): boolean {
  if (!pattern.sticky) throw new TypeError("someLineBegins needs a sticky (y) pattern");
  let atLineStart = true;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029") atLineStart = true;
    else if (atLineStart && !WHITE.test(c)) {
      atLineStart = false;
      pattern.lastIndex = i;
      if (pattern.test(source)) return true;
    }
  }
  return false;
}
