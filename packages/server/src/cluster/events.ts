/**
 * Live notifications between nodes through Redis pub/sub: each run's events (published by the
 * node that stored them, after the commit) and cancel requests (to whichever worker holds the
 * run). Delivery is at most once: subscribers replay from the store and follow by event number,
 * so a missed message costs latency, never data.
 */
import type { Redis } from "ioredis";
import type { LiveEvent } from "../orchestrator/run-service.js";

export class ClusterEvents {
  readonly #listeners = new Map<string, Set<(event: LiveEvent) => void>>();
  readonly #cancelListeners = new Set<(id: string) => void>();
  readonly #cancelChannel: string;
  #cancelSubscribed: Promise<unknown> | undefined;

  /** `subscriber` is a connection of its own (a subscribed connection runs no other commands). */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
  ) {
    this.#cancelChannel = `${prefix}:cancel`;
    subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.#cancelChannel) {
        for (const listener of this.#cancelListeners) listener(message);
        return;
      }
      const listeners = this.#listeners.get(channel);
      if (!listeners) return;
      const event = JSON.parse(message) as LiveEvent;
      for (const listener of listeners) listener(event);
    });
  }

  publish(id: string, event: LiveEvent): void {
    this.publisher.publish(this.#channel(id), JSON.stringify(event)).catch(() => undefined); // subscribers also poll the store
  }

  async subscribe(id: string, listener: (event: LiveEvent) => void): Promise<() => void> {
    const channel = this.#channel(id);
    let listeners = this.#listeners.get(channel);
    if (!listeners) {
      this.#listeners.set(channel, (listeners = new Set()));
      await this.subscriber.subscribe(channel);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.#listeners.get(channel) !== listeners) return;
      this.#listeners.delete(channel);
      this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  async requestCancel(id: string): Promise<void> {
    await this.publisher.publish(this.#cancelChannel, id);
  }

  /** Calls `listener` with every run id a cancel is requested for, cluster-wide. */
  async onCancel(listener: (id: string) => void): Promise<void> {
    this.#cancelListeners.add(listener);
    await (this.#cancelSubscribed ??= this.subscriber.subscribe(this.#cancelChannel));
  }

  #channel(id: string): string {
    return `${this.prefix}:events:${id}`;
  }
}
