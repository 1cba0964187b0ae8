/**
 * A run's error text is guest-controlled (a thrown message can be megabytes): its name, message
 * and stack together get a budget of bytes of their own (the program's maxOutputBytes, apart from
 * what stdout and stderr used), in that order; a part that does not fit is cut at a character
 * boundary and ends with a marker.
 */
import type { RunError } from "./runner.js";

export const ERROR_TRUNCATED = "… [isolator] error text truncated: maxOutputBytes reached";

export function boundErrorText(error: RunError, budget: number): RunError {
  let left = budget;
  const take = (text: string): string => {
    // At most `left` UTF-16 units can fit in `left` bytes: nothing more of a huge text is encoded.
    const bytes = Buffer.from(text.length > left ? text.slice(0, left + 1) : text);
    if (bytes.length <= left) {
      left -= bytes.length;
      return text;
    }
    const kept = new TextDecoder().decode(bytes.subarray(0, left), { stream: true }); // a partial character is dropped
    left = 0;
    return `${kept}${ERROR_TRUNCATED}`;
  };
  return { name: take(error.name), message: take(error.message), stack: take(error.stack) };
}
