/** Redis connections of a cluster node; the URL may carry the key prefix: redis://host:6379[/db][?prefix=name]. */
import { Redis } from "ioredis";

export interface RedisTarget {
  url: string;
  /** Namespaces every key and channel of this cluster (default "isolator"). */
  prefix: string;
}

export function redisTarget(text: string): RedisTarget {
  const url = new URL(text);
  const prefix = url.searchParams.get("prefix") ?? "isolator";
  if (!/^[\w.-]{1,64}$/.test(prefix)) throw new Error(`--queue: prefix must be letters, digits, '_', '.' or '-', got '${prefix}'`);
  url.searchParams.delete("prefix");
  return { url: url.toString(), prefix };
}

/** A connection that retries commands across reconnects (what BullMQ's workers need). */
export function connect(target: RedisTarget): Redis {
  const redis = new Redis(target.url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 100, 1000) });
  redis.on("error", () => undefined); // reconnects by itself; callers see failures on their commands
  return redis;
}
