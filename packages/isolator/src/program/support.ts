/** The runtime's internal surface for the program runner (pool workers), kept off the public API. */
import { IsolatorError } from "../errors.js";
import type { TraceMap } from "@jridgewell/trace-mapping";
import type { LambdaSource } from "../lambda.js";

/** A program called process.exit(code): unwinds the running call, uncatchable by the guest. */
export class ProgramExit extends IsolatorError {
  constructor(readonly code: number) {
    super(`the program exited with code ${code}`);
  }
}

export const programSupport = Symbol("isolator.program");
export interface ProgramMain {
  filename: string;
  source: string;
  /** An ES module (imports resolved through the resolver) rather than a script. */
  module: boolean;
}
export type ModuleResolver = (specifier: string, referrer: string) => { filename: string; source: string } | undefined;
export interface ProgramSupport {
  /**
   * Runs the entry until it and all it scheduled finish; resolves with the exit code if it called
   * exit. `maps`: source maps of transpiled files, so errors point at the TypeScript.
   */
  runMain(main: ProgramMain, resolve?: ModuleResolver, maps?: ReadonlyMap<string, TraceMap>): Promise<number | undefined>;
  /** invokeAsync for a lambda already turned into source (as it crosses to a pool worker). */
  invokeLambda(lambda: LambdaSource, args: unknown[]): Promise<unknown>;
  /** Stops the running call at the engine's next interrupt poll, as process.exit does. */
  exit(code: number): void;
  /** Runs `fn` at each of the engine's interrupt polls while guest code runs (often: keep it cheap). */
  onPoll(fn: () => void): void;
}


/** On a registered callback: the variant IsolatorHost.invokeAsync calls (a pool worker's proxy). */
export const asyncCallback = Symbol("isolator.asyncCallback");
