/** A program's output chunk onto this process's stdout and stderr, segment by segment, in order. */
import { outputSegments, type OutputChunk } from "isolator";

export function printOutput(chunk: OutputChunk): void {
  for (const { stream, text } of outputSegments(chunk)) (stream === "stdout" ? process.stdout : process.stderr).write(text);
}
