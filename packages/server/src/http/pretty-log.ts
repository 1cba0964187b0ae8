/** Readable log lines for a terminal (pino-pretty, in this thread): loaded only when asked for. */
import type { DestinationStream } from "pino";

export async function prettyLog(): Promise<DestinationStream> {
  const { default: pretty } = await import("pino-pretty");
  return pretty({ colorize: process.stdout.isTTY === true && !process.env.NO_COLOR, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname", sync: true });
}
