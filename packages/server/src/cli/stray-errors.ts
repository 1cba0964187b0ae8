/**
 * The service's last line of defence: an error that escaped every handler (an unhandled promise
 * rejection, an uncaught exception) is logged and the process keeps serving, rather than every
 * client's runs dying with it. Each such log line is a bug to fix at its source.
 */
export function keepServingOnStrayErrors(write: (line: string) => void = (line) => process.stderr.write(line)): void {
  const report = (kind: string) => (e: unknown) => {
    const detail = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    write(`${JSON.stringify({ level: 50, time: Date.now(), msg: `isolator: ${kind} (kept serving)`, err: detail })}\n`);
  };
  process.on("unhandledRejection", report("unhandled rejection"));
  process.on("uncaughtException", report("uncaught exception"));
}
