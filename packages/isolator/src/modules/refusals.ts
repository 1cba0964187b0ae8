/**
 * The host-side detail of a runtime's refused imports (absolute paths, why), kept so that the
 * IsolatedError the refusal becomes can carry it as `hostDetail`; the guest saw only the message.
 */
import { ModuleRefusedError } from "./loaders.js";

/** The first few are kept: details are for diagnosis, and a guest may be refused endlessly. */
const KEPT = 16;

export class RefusalDetails {
  readonly #byMessage = new Map<string, string>();

  note(error: unknown): void {
    if (error instanceof ModuleRefusedError && error.hostDetail !== error.message && this.#byMessage.size < KEPT) this.#byMessage.set(error.message, error.hostDetail);
  }

  /** The detail of the refusal a guest error message reports, if it reports one. */
  detailOf(message: string): string | undefined {
    for (const [refusal, detail] of this.#byMessage) if (message.includes(refusal)) return detail;
    return undefined;
  }
}
