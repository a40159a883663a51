import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { isUnknownCommand, replyCode } from "../../redis/classify-error.js";

/**
 * One stream entry: its id (the server's, `1705314659500-0`) and its fields; null fields for an entry deleted since.
 */
export interface StreamEntry {
  id: string;
  fields: Record<string, string> | null;
}

type RawEntry = [string, string[] | null];

function toEntry(raw: RawEntry): StreamEntry {
  // Indexed, not destructured (`[id, flat]`): bench reads an entry per operation, and destructuring runs the array
  // iterator each time.
  const id = raw[0];
  const flat = raw[1];
  if (flat === null) return { id, fields: null };
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return { id, fields };
}

/**
 * Create the consumer group, and the stream with it (XGROUP CREATE … MKSTREAM). `startId` "$" (the chapter's)
 * means the group sees only entries added from now on; "0" would include the stream's history. Returns false when
 * the group already exists (BUSYGROUP), which is fine for a consumer that starts up again.
 */
export async function createConsumerGroup(
  redis: RedisCaller,
  stream: string,
  group: string,
  startId = "$",
): Promise<boolean> {
  try {
    await redis.call("XGROUP", "CREATE", stream, group, startId, "MKSTREAM");
    return true;
  } catch (err) {
    if (replyCode(err) === "BUSYGROUP") return false;
    throw err;
  }
}

/**
 * Producer: XADD with a server-assigned id (`*`). Returns the entry id.
 *
 * Pro: the stream keeps every entry (until trimmed) with an id, so a message survives its consumers.
 * Con: it keeps growing: trim with MAXLEN/MINID once entries are acknowledged by every group.
 */
export async function publishMessage(redis: RedisCaller, stream: string, fields: readonly string[]): Promise<string> {
  return String(await redis.call("XADD", stream, "*", ...fields));
}

export interface ReadGroupOptions {
  stream: string;
  group: string;
  consumer: string;
  count: number;
  /**
   * ">" for entries never delivered to the group; an id (e.g. "0") for this consumer's own pending entries after it.
   */
  from: string;
  /** Block this long when there is nothing new (only for ">"); keep it well under the client's command timeout. */
  blockMs?: number;
}

/**
 * Consumer: XREADGROUP. With ">" the group hands out entries no consumer has had; each becomes pending for this
 * consumer until acknowledged. With an id (a restarted consumer starts with "0") it returns this consumer's own
 * pending entries after that id, and counts another delivery of each: the way to finish what a previous life left.
 *
 * Pro: consumer groups share the work, and the server remembers who holds what (the pending entries list).
 * Con: a consumer that never comes back keeps its entries until another one claims them (see {@link claimIdleEntries}).
 */
export async function readGroup(redis: RedisCaller, options: ReadGroupOptions): Promise<StreamEntry[]> {
  const block =
    options.from === ">" && options.blockMs !== undefined ? ["BLOCK", Math.max(1, Math.round(options.blockMs))] : [];
  const reply = (await redis.call(
    "XREADGROUP",
    "GROUP",
    options.group,
    options.consumer,
    "COUNT",
    options.count,
    ...block,
    "STREAMS",
    options.stream,
    options.from,
  )) as [string, RawEntry[]][] | null;
  return reply === null ? [] : (reply[0]?.[1] ?? []).map(toEntry);
}

/** XACK: the entries are done; they leave the pending entries list. Returns how many were pending. */
export async function acknowledgeEntries(
  redis: RedisCaller,
  stream: string,
  group: string,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  return Number(await redis.call("XACK", stream, group, ...ids));
}

export interface PendingSummary {
  count: number;
  smallestId: string | null;
  largestId: string | null;
  consumers: { consumer: string; pending: number }[];
}

/** XPENDING's summary form: how many entries are pending, and per consumer. */
export async function pendingSummary(redis: RedisCaller, stream: string, group: string): Promise<PendingSummary> {
  const [count, smallest, largest, consumers] = (await redis.call("XPENDING", stream, group)) as [
    number,
    string | null,
    string | null,
    [string, string][] | null,
  ];
  return {
    count: Number(count),
    smallestId: smallest,
    largestId: largest,
    consumers: (consumers ?? []).map(([consumer, pending]) => ({ consumer, pending: Number(pending) })),
  };
}

export interface PendingEntry {
  id: string;
  consumer: string;
  /** Milliseconds since the entry was last delivered (the server's clock). */
  idleMs: number;
  /** How many times it has been delivered (XREADGROUP, XCLAIM, XAUTOCLAIM each count one). */
  deliveries: number;
}

/** XPENDING's extended form: each pending entry with its owner, idle time and delivery count. */
export async function pendingEntries(
  redis: RedisCaller,
  stream: string,
  group: string,
  options: { count: number; consumer?: string },
): Promise<PendingEntry[]> {
  const reply = (await redis.call(
    "XPENDING",
    stream,
    group,
    "-",
    "+",
    options.count,
    ...(options.consumer ? [options.consumer] : []),
  )) as [string, string, number, number][];
  return reply.map(([id, consumer, idle, deliveries]) => ({
    id,
    consumer,
    idleMs: Number(idle),
    deliveries: Number(deliveries),
  }));
}

export type ClaimCommand = "XAUTOCLAIM" | "XCLAIM";

export interface ClaimOptions {
  stream: string;
  group: string;
  /** The consumer that takes the entries over. */
  consumer: string;
  /** Only entries idle at least this long (server time): shorter, and a slow but live consumer loses its work. */
  minIdleMs: number;
  count: number;
  /** XAUTOCLAIM (Redis ≥ 6.2), or XPENDING + XCLAIM for older servers. Default XAUTOCLAIM. */
  command?: ClaimCommand;
}

export interface ClaimResult {
  entries: StreamEntry[];
  /** Pending entries whose message was deleted from the stream meanwhile (XAUTOCLAIM removes them from the PEL). */
  deletedIds: string[];
  command: ClaimCommand;
}

/**
 * Take over entries another consumer has left pending for at least `minIdleMs`: XAUTOCLAIM, following its cursor
 * until the whole pending list has been scanned. Each claimed entry counts one more delivery. On servers without
 * XAUTOCLAIM: XPENDING to find the idle ones, then XCLAIM (which re-checks the idle time, so two claimers cannot both
 * win). Falls back by itself when the server answers that it does not know XAUTOCLAIM.
 *
 * Pro: a dead consumer's entries are redelivered to a live one, with no bookkeeping of our own.
 * Con: the delivery count goes up with every claim: a message that always fails would be claimed forever, so the
 * consumer must dead-letter it after a few deliveries (see {@link recordFailedDelivery}).
 */
export async function claimIdleEntries(redis: RedisCaller, options: ClaimOptions): Promise<ClaimResult> {
  if ((options.command ?? "XAUTOCLAIM") === "XAUTOCLAIM") {
    try {
      return await autoclaim(redis, options);
    } catch (err) {
      if (!isUnknownCommand(err)) throw err;
    }
  }
  return claimWithXclaim(redis, options);
}

async function autoclaim(redis: RedisCaller, options: ClaimOptions): Promise<ClaimResult> {
  const entries: StreamEntry[] = [];
  const deletedIds: string[] = [];
  let cursor = "0-0";
  // Bounded: each call advances the cursor through the pending list; it is "0-0" once the scan is complete.
  for (let round = 0; round < 1_000; round++) {
    const reply = (await redis.call(
      "XAUTOCLAIM",
      options.stream,
      options.group,
      options.consumer,
      Math.round(options.minIdleMs),
      cursor,
      "COUNT",
      options.count,
    )) as [string, RawEntry[], string[]?];
    entries.push(...reply[1].map(toEntry));
    deletedIds.push(...(reply[2] ?? []));
    cursor = reply[0];
    if (cursor === "0-0" || entries.length >= options.count) break;
  }
  return { entries, deletedIds, command: "XAUTOCLAIM" };
}

async function claimWithXclaim(redis: RedisCaller, options: ClaimOptions): Promise<ClaimResult> {
  // XPENDING's IDLE filter is 6.2 too, so filter by idle time here; XCLAIM's min-idle argument re-checks on the server.
  const idle = (await pendingEntries(redis, options.stream, options.group, { count: options.count })).filter(
    (e) => e.idleMs >= options.minIdleMs,
  );
  if (idle.length === 0) return { entries: [], deletedIds: [], command: "XCLAIM" };
  const reply = (await redis.call(
    "XCLAIM",
    options.stream,
    options.group,
    options.consumer,
    Math.round(options.minIdleMs),
    ...idle.map((e) => e.id),
  )) as (RawEntry | null)[];
  const entries = reply.filter((e): e is RawEntry => e !== null).map(toEntry);
  return { entries, deletedIds: [], command: "XCLAIM" };
}

export const deadLetterScript = defineScript(
  "queue-dead-letter",
  `
--[[ Record a failed delivery: once an entry has been delivered maxDeliveries times, move it to the dead-letter stream.
  KEYS[1]  the stream
  KEYS[2]  the dead-letter stream
  ARGV[1]  group          ARGV[2]  entry id        ARGV[3]  consumer (that just failed on it)
  ARGV[4]  maxDeliveries  ARGV[5]  why it failed
  returns  {1 if moved to the dead-letter stream (and acknowledged) | 0 if left pending for another try, deliveries}
  The delivery count is XPENDING's, read in the same script that moves the entry, so two consumers cannot both
  dead-letter it, and one that has lost it to a claimer meanwhile leaves it alone. ]]
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
local entry = pending[1]
-- No longer pending (acknowledged by someone), or claimed by another consumer since: not ours to move.
if not entry or entry[2] ~= ARGV[3] then return {0, entry and entry[4] or 0} end
local deliveries = entry[4]
if deliveries < tonumber(ARGV[4]) then return {0, deliveries} end
local found = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local fields = found[1] and found[1][2] or {}
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[2], '*', 'source-id', ARGV[2], 'deliveries', deliveries, 'error', ARGV[5], unpack(fields))
return {1, deliveries}
`,
);

/**
 * After the work on an entry failed: leave it pending (another delivery will come, by XAUTOCLAIM) unless it has now
 * been delivered `maxDeliveries` times; then copy it to the dead-letter stream with its delivery count and the error,
 * and XACK it in the main stream, in one script.
 *
 * Pro: a poison message stops circulating after a bounded number of tries, and is kept (with why) for a person to look
 * at.
 * Con: a message that failed for a passing reason (a mail server down for a minute) lands there too once its tries are
 * used up: pick maxDeliveries and the claim interval together.
 */
export async function recordFailedDelivery(
  redis: RedisCaller,
  keys: { stream: string; deadLetter: string },
  options: { group: string; consumer: string; id: string; maxDeliveries: number; error: string },
): Promise<{ deadLettered: boolean; deliveries: number }> {
  const [moved, deliveries] = (await runScript(
    redis,
    deadLetterScript,
    [keys.stream, keys.deadLetter],
    [options.group, options.id, options.consumer, options.maxDeliveries, options.error],
  )) as [number, number];
  return { deadLettered: Number(moved) === 1, deliveries: Number(deliveries) };
}

/** The dead-letter stream's entries (XRANGE - +), oldest first, up to `count`. */
export async function deadLetters(redis: RedisCaller, deadLetter: string, count = 100): Promise<StreamEntry[]> {
  return ((await redis.call("XRANGE", deadLetter, "-", "+", "COUNT", count)) as RawEntry[]).map(toEntry);
}

/**
 * XGROUP DELCONSUMER: forget a consumer that is gone for good. Returns how many entries it still had pending (they
 * are dropped from the pending list with it, so claim them first).
 */
export async function removeConsumer(
  redis: RedisCaller,
  stream: string,
  group: string,
  consumer: string,
): Promise<number> {
  return Number(await redis.call("XGROUP", "DELCONSUMER", stream, group, consumer));
}
