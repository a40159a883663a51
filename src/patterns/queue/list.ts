import type { RedisCaller } from "../../redis/types.js";
import { blockingTimeout } from "./features.js";

/**
 * Simple queue, producer side: LPUSH the payload onto the list (new messages enter on the left). Returns the
 * queue's length after the push.
 *
 * Pro: one command, O(1), any number of producers.
 * Con: the list is the only copy: see {@link takeMessage}.
 */
export async function enqueueMessage(redis: RedisCaller, queue: string, payload: string): Promise<number> {
  return Number(await redis.call("LPUSH", queue, payload));
}

export interface TakeOptions {
  /** How long to block when the queue is empty; keep it well under the client's command timeout. */
  timeoutMs: number;
  /** Whether the server takes fractional seconds (≥ 6.0); see `queueFeatures`. Default true. */
  fractionalTimeout?: boolean;
}

/**
 * Simple queue, consumer side: BRPOP the oldest message (the right end), blocking up to `timeoutMs` when the queue
 * is empty. Returns the payload, or null when nothing arrived in time.
 *
 * Pro: no polling, and each message goes to exactly one consumer.
 * Con: the pop IS the acknowledgement. A consumer that dies after BRPOP and before finishing loses the message:
 * it is in no list, and nothing records that it was ever taken.
 */
export async function takeMessage(redis: RedisCaller, queue: string, options: TakeOptions): Promise<string | null> {
  const reply = (await redis.call(
    "BRPOP",
    queue,
    blockingTimeout(options.timeoutMs, options.fractionalTimeout ?? true),
  )) as [string, string] | null;
  return reply === null ? null : reply[1];
}
