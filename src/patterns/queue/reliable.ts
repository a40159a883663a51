import type { Redis } from "ioredis";
import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { isUnknownCommand } from "../../redis/classify-error.js";
import { blockingTimeout } from "./features.js";

/**
 * The keys of a reliable list queue. All must share one hash tag (`{emails}`): the reaper's script touches them
 * together, and in a cluster they must live in one slot.
 */
export interface ReliableQueueKeys {
  /** The queue: producers LPUSH, consumers move from its right end. */
  queue: string;
  /** message → when it was taken (ms), for the visibility timeout. */
  takenAt: string;
  /** The set of consumer names, so the reaper can find every processing list. */
  consumers: string;
  /** Each consumer's processing list: what it has taken and not yet acknowledged. */
  processing(consumer: string): string;
}

export type MoveCommand = "BLMOVE" | "BRPOPLPUSH";

export interface ReliableTakeOptions {
  timeoutMs: number;
  /** When the message was taken, asked after it arrived (the wait may be long). */
  now: () => number;
  /** BLMOVE (Redis ≥ 6.2) or BRPOPLPUSH (older servers; deprecated since 6.2). Default BLMOVE. */
  command?: MoveCommand;
  fractionalTimeout?: boolean;
}

export interface TakenMessage {
  payload: string;
  takenAt: number;
  /** The command that took it: BRPOPLPUSH when the server did not know BLMOVE. */
  command: MoveCommand;
}

/** Register a consumer so the reaper looks at its processing list (SADD; idempotent). */
export async function registerConsumer(redis: RedisCaller, keys: ReliableQueueKeys, consumer: string): Promise<void> {
  await redis.call("SADD", keys.consumers, consumer);
}

/** Every registered consumer (SMEMBERS), sorted. */
export async function registeredConsumers(redis: RedisCaller, keys: ReliableQueueKeys): Promise<string[]> {
  return ((await redis.call("SMEMBERS", keys.consumers)) as string[]).sort();
}

/**
 * Reliable queue, consumer side: atomically move the oldest message from the queue into this consumer's processing
 * list (BLMOVE queue processing RIGHT LEFT, the successor of the chapter's BRPOPLPUSH), then note when it was taken
 * (HSET takenAt). Returns null when nothing arrived within the timeout. Falls back to BRPOPLPUSH when the server
 * answers that it does not know BLMOVE.
 *
 * Pro: the message is never only in the consumer's memory: until it is acknowledged it sits in a list a reaper can see.
 * Con: two commands, not one: a consumer that dies between them leaves a message with no taken-at time (the reaper
 * stamps it when it first sees it, so it is returned one visibility timeout later). And redelivery means a message
 * can be worked on twice: the work must be idempotent.
 */
export async function takeMessageReliably(
  redis: RedisCaller,
  keys: ReliableQueueKeys,
  consumer: string,
  options: ReliableTakeOptions,
): Promise<TakenMessage | null> {
  const timeout = blockingTimeout(options.timeoutMs, options.fractionalTimeout ?? true);
  const processing = keys.processing(consumer);
  let command = options.command ?? "BLMOVE";
  let payload: string | null;
  try {
    payload = (await (command === "BLMOVE"
      ? redis.call("BLMOVE", keys.queue, processing, "RIGHT", "LEFT", timeout)
      : redis.call("BRPOPLPUSH", keys.queue, processing, timeout))) as string | null;
  } catch (err) {
    if (command !== "BLMOVE" || !isUnknownCommand(err)) throw err;
    command = "BRPOPLPUSH";
    payload = (await redis.call("BRPOPLPUSH", keys.queue, processing, timeout)) as string | null;
  }
  if (payload === null) return null;
  const takenAt = options.now();
  await redis.call("HSET", keys.takenAt, payload, takenAt);
  return { payload, takenAt, command };
}

/**
 * What a restarted consumer does first: the messages still in its own processing list (it took them in a previous
 * life and never acknowledged them), oldest first, each stamped with a fresh taken-at time.
 */
export async function resumeUnfinished(
  redis: RedisCaller,
  keys: ReliableQueueKeys,
  consumer: string,
  now: number,
): Promise<string[]> {
  // BLMOVE pushes on the left, so the oldest is on the right.
  const held = ((await redis.call("LRANGE", keys.processing(consumer), 0, -1)) as string[]).reverse();
  if (held.length > 0) await redis.call("HSET", keys.takenAt, ...held.flatMap((payload) => [payload, now]));
  return held;
}

/**
 * Acknowledge a finished message: remove it from the processing list and forget its taken-at time, in one MULTI.
 * Returns false when it was no longer there: the reaper had already returned it to the queue (this consumer was
 * slower than the visibility timeout), so another consumer will work on it again.
 */
export async function acknowledgeMessage(
  redis: Pick<Redis, "multi">,
  keys: ReliableQueueKeys,
  consumer: string,
  payload: string,
): Promise<boolean> {
  const replies = await redis.multi().lrem(keys.processing(consumer), 1, payload).hdel(keys.takenAt, payload).exec();
  const removed = replies?.[0]?.[1];
  return Number(removed) === 1;
}

export const returnStuckScript = defineScript(
  "queue-return-stuck",
  `
--[[ The reaper: return to the queue every message stuck in a processing list longer than the visibility timeout.
  KEYS[1]    the queue (consumers take from its right end)
  KEYS[2]    taken-at hash: message -> ms when taken
  KEYS[3..]  the processing lists to inspect (one per consumer)
  ARGV[1]    now (ms)
  ARGV[2]    visibility timeout (ms)
  returns    {returned, stamped}: returned = {{message, processing list, taken at}, ...} now back at the front of
             the queue; stamped = {{message, processing list}, ...} found without a taken-at time (the consumer died
             between taking it and noting the time) and stamped now, so they are returned one timeout later.
  One script, so a message is never in both lists nor in neither, whatever runs concurrently. ]]
local now = tonumber(ARGV[1])
local visibility = tonumber(ARGV[2])
local returned, stamped = {}, {}
for i = 3, #KEYS do
  local held = redis.call('LRANGE', KEYS[i], 0, -1)
  -- Oldest first (taken with LEFT pushes, so the oldest is on the right).
  for j = #held, 1, -1 do
    local message = held[j]
    local takenAt = redis.call('HGET', KEYS[2], message)
    if not takenAt then
      redis.call('HSET', KEYS[2], message, ARGV[1])
      stamped[#stamped + 1] = {message, KEYS[i]}
    elseif now - tonumber(takenAt) >= visibility then
      redis.call('LREM', KEYS[i], 1, message)
      -- RPUSH: the right end is where consumers take from, so a returned message is next in line.
      redis.call('RPUSH', KEYS[1], message)
      redis.call('HDEL', KEYS[2], message)
      returned[#returned + 1] = {message, KEYS[i], takenAt}
    end
  end
end
return {returned, stamped}
`,
);

export interface ReturnedMessage {
  payload: string;
  /** The processing list it was stuck in. */
  from: string;
  takenAt: number;
}

export interface ReapResult {
  returned: ReturnedMessage[];
  /** Found without a taken-at time and stamped now. */
  stamped: { payload: string; from: string }[];
}

/**
 * The reaper: one atomic pass over the given processing lists, returning every message older than `visibilityMs`
 * to the front of the queue. Run it periodically (from any process); `now` is the caller's clock, the same clock the
 * consumers stamp taken-at times with.
 *
 * Pro: nothing taken is ever lost: a dead consumer's messages come back after the visibility timeout.
 * Con: a consumer that is merely slow (longer than the timeout) gets its message returned too: another consumer
 * works on it as well. Choose the timeout above the slowest normal processing time, and make the work idempotent.
 * Each pass reads whole processing lists: O(messages in flight).
 */
export async function returnStuckMessages(
  redis: RedisCaller,
  keys: ReliableQueueKeys,
  consumers: readonly string[],
  options: { now: number; visibilityMs: number },
): Promise<ReapResult> {
  const reply = (await runScript(
    redis,
    returnStuckScript,
    [keys.queue, keys.takenAt, ...consumers.map((c) => keys.processing(c))],
    [options.now, options.visibilityMs],
  )) as [[string, string, string][], [string, string][]];
  return {
    returned: reply[0].map(([payload, from, takenAt]) => ({ payload, from, takenAt: Number(takenAt) })),
    stamped: reply[1].map(([payload, from]) => ({ payload, from })),
  };
}
