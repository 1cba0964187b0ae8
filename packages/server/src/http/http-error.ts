/** An error answer of the API: `{ error: { code, message, details } }` with its status and headers. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A purged run (deleted, or past retention): 410 wherever it is asked for. */
export function goneError(id: string): HttpError {
  return new HttpError(410, "gone", `run ${id} was deleted or has expired`);
}
