/**
 * One run's writes, in order: transitions and output chunks go to the store one after the other
 * (a chunk never overtakes the status it follows), and chunks that arrive while a write is in
 * flight travel together in the next one (one store round trip for many chunks).
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { StoreUnavailableError, type OutputChunk, type RunEvent, type RunStatus, type RunStore, type TransitionFields } from "../store/run-store.js";

/** How long a write waits out a store that does not answer (a shared store restarting) before it fails. */
const STORE_OUTAGE_MS = 30_000;

export class RunJournal {
  #tail: Promise<unknown> = Promise.resolve();
  /** The chunks of the output write queued but not yet started (more can join it). */
  #pending: OutputChunk[] | undefined;
  #failure: unknown;
  /** Keys this journal's output appends: a retried append is written once. */
  readonly #keys = `${randomUUID()}:`;
  #batches = 0;

  constructor(
    private readonly store: RunStore,
    private readonly id: string,
    private readonly publish: (id: string, event: RunEvent) => void,
  ) {}

  output(chunk: OutputChunk): void {
    if (this.#pending) return void this.#pending.push(chunk);
    const chunks = (this.#pending = [chunk]);
    const key = this.#keys + this.#batches++;
    this.#enqueue(async () => {
      this.#pending = undefined;
      for (const event of await patiently(() => this.store.appendOutput(this.id, chunks, key))) this.publish(this.id, event);
    }).catch((e: unknown) => (this.#failure ??= e));
  }

  /** Writes the transition once every earlier write is done; undefined if the run was not in `from`. */
  transition(status: RunStatus, fields: TransitionFields, from: readonly RunStatus[]): Promise<RunEvent | undefined> {
    return this.#enqueue(async () => {
      if (this.#failure !== undefined) throw this.#failure; // lost output: the caller ends the run as an internal error
      const event = await patiently(() => this.store.transition(this.id, status, fields, from));
      if (event) this.publish(this.id, event);
      return event;
    });
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(op);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** Retries a write while the store is unavailable: the executor pauses, then resumes where it was. */
async function patiently<T>(write: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + STORE_OUTAGE_MS;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof StoreUnavailableError) || Date.now() > deadline) throw e;
      await sleep(wait);
    }
  }
}
