import type { Redis } from "ioredis";
import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { execPipeline } from "../../redis/batch.js";

/** Redis HyperLogLogs have 2^14 registers of 6 bits each. */
export const HLL_REGISTERS = 16_384;
/** A dense HLL is a string of a 16-byte header ("HYLL", encoding, cached cardinality) plus 16,384 × 6 bits. */
export const HLL_DENSE_BYTES = 16 + (HLL_REGISTERS * 6) / 8;
/** The standard error the chapter's "~0.81%" comes from: 1.04 / √m with m = 16,384 registers. */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);

export type HllEncoding = "sparse" | "dense";

/**
 * Add items to a HyperLogLog (PFADD). Returns true when the estimate may have changed (a register moved).
 *
 * Pro: ~12 KB per counter however many items, and PFADD is O(1) per item.
 * Con: PFCOUNT is an estimate (standard error 0.81%), and an item cannot be asked about or removed.
 */
export async function trackUnique(redis: RedisCaller, key: string, items: readonly string[]): Promise<boolean> {
  return Number(await redis.call("PFADD", key, ...items)) === 1;
}

/** The estimated number of distinct items (PFCOUNT); over several keys, of their union, without storing it. */
export async function countUnique(redis: RedisCaller, keys: readonly string[]): Promise<number> {
  return Number(await redis.call("PFCOUNT", ...keys));
}

/**
 * Merge HLLs into `dest` (PFMERGE): the register-wise maximum, which is exactly the HLL of the union of the items.
 * Pro: a weekly unique count from seven daily ones, lossless with respect to the sketch. Con: only unions; an
 * intersection can only be guessed by inclusion–exclusion, with errors that add up.
 */
export async function mergeUnique(redis: RedisCaller, dest: string, sources: readonly string[]): Promise<void> {
  await redis.call("PFMERGE", dest, ...sources);
}

/** What the HLL string's header says: the magic "HYLL" and byte 4, the encoding (1 sparse, 0 dense). */
export interface HllShape {
  magic: string;
  encoding: HllEncoding;
  /** STRLEN: the bytes of the string itself (without Redis's per-key overhead). */
  bytes: number;
}

/** Byte 4 of an HLL string: 0 dense, 1 sparse (src/hyperloglog.c, `HLL_DENSE` / `HLL_SPARSE`). */
export function encodingFromByte(byte: number): HllEncoding {
  if (byte === 0) return "dense";
  if (byte === 1) return "sparse";
  throw new Error(`not a HyperLogLog header: encoding byte ${byte}`);
}

/**
 * How byte 4 is read: BITFIELD_RO (Redis ≥ 6.0, allowed on replicas and to read-only ACL users), or BITFIELD with only
 * a GET where BITFIELD_RO is missing (the same read; the server counts it as a write command).
 */
export type BitfieldRead = "BITFIELD_RO" | "BITFIELD";

/** Read an HLL's header and size: GETRANGE 0 3 (the magic), BITFIELD_RO GET u8 32 (byte 4 as a number), STRLEN. */
export async function inspectUnique(
  redis: RedisCaller,
  key: string,
  bitfield: BitfieldRead = "BITFIELD_RO",
): Promise<HllShape> {
  const magic = String(await redis.call("GETRANGE", key, 0, 3));
  const [byte] = (await redis.call(bitfield, key, "GET", "u8", 32)) as number[];
  const bytes = Number(await redis.call("STRLEN", key));
  return { magic, encoding: encodingFromByte(Number(byte)), bytes };
}

/** One batch of a bulk load, and the HLL's shape right after it. */
export interface BatchSnapshot {
  /** Items sent so far, this batch included. */
  added: number;
  /** PFADD's reply: whether some register changed. */
  changed: boolean;
  /** SADD's reply (new members), when an exact set is kept alongside. */
  newInSet?: number;
  bytes: number;
  encoding: HllEncoding;
}

export interface BulkAddOptions {
  /** The HLL. */
  key: string;
  /** Item batches; each becomes one PFADD (and one SADD) in one pipeline. */
  batches: readonly (readonly string[])[];
  /** Keep the same items in this SET too, for the exact count to compare with. */
  exactKey?: string;
  /** Called after each batch, e.g. for a progress bar. */
  onBatch?: (added: number) => void;
  signal?: AbortSignal;
  /** BITFIELD where the server has no BITFIELD_RO. */
  bitfield?: BitfieldRead;
}

/**
 * Load many items in few round trips: per batch, one pipeline of PFADD (many items in one command), SADD into the
 * exact set when asked, and STRLEN + BITFIELD_RO to watch the HLL's size and encoding change as it grows.
 */
export async function addUniqueInBatches(
  redis: Pick<Redis, "pipeline">,
  options: BulkAddOptions,
): Promise<BatchSnapshot[]> {
  const { key, batches, exactKey, onBatch, signal } = options;
  const snapshots: BatchSnapshot[] = [];
  let added = 0;
  for (const batch of batches) {
    if (signal?.aborted) break;
    if (batch.length === 0) continue;
    const pipe = redis.pipeline();
    pipe.call("PFADD", key, ...batch);
    if (exactKey) pipe.call("SADD", exactKey, ...batch);
    pipe.call("STRLEN", key);
    pipe.call(options.bitfield ?? "BITFIELD_RO", key, "GET", "u8", 32);
    const replies = await execPipeline(pipe);
    added += batch.length;
    const [pfadd, ...rest] = replies;
    const sadd = exactKey ? rest.shift() : undefined;
    const [strlen, bitfield] = rest;
    snapshots.push({
      added,
      changed: Number(pfadd) === 1,
      ...(sadd !== undefined ? { newInSet: Number(sadd) } : {}),
      bytes: Number(strlen),
      encoding: encodingFromByte(Number((bitfield as number[])[0])),
    });
    onBatch?.(added);
  }
  return snapshots;
}

export const addGeneratedScript = defineScript(
  "hll-add-generated",
  `
--[[ Add generated items to a HyperLogLog inside the server: ARGV[1] .. i for i = ARGV[2] … ARGV[3].
  KEYS[1]  the HLL
  ARGV[1]  prefix of every item, e.g. "t7:" (items "t7:0", "t7:1", …; distinct by construction)
  ARGV[2]  first index     ARGV[3]  last index (inclusive)
  ARGV[4]  items per PFADD inside the script (unpack() has a stack limit)
  returns  1 if some register changed, else 0
  Used to build many HLLs without sending every item over the wire (and into the trace). ]]
local per = tonumber(ARGV[4])
local changed = 0
local batch = {}
for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do
  batch[#batch + 1] = ARGV[1] .. i
  if #batch == per then
    if redis.call('PFADD', KEYS[1], unpack(batch)) == 1 then changed = 1 end
    batch = {}
  end
end
if #batch > 0 and redis.call('PFADD', KEYS[1], unpack(batch)) == 1 then changed = 1 end
return changed
`,
);

/** Items per PFADD inside {@link addGeneratedScript}: well under Lua's unpack() limit. */
export const GENERATED_PER_PFADD = 1_000;

/**
 * Add `count` generated items `<prefix>0 … <prefix>(count-1)` to an HLL, `perCall` items per script call, then
 * PFCOUNT. For building many HLLs (the --trials runs): the items never cross the wire, only the script calls do.
 * Each call blocks the server while it runs, so keep `perCall` moderate (10,000 items take a few milliseconds).
 */
export async function addGeneratedAndCount(
  redis: RedisCaller,
  key: string,
  prefix: string,
  count: number,
  perCall: number,
): Promise<number> {
  for (let from = 0; from < count; from += perCall) {
    const to = Math.min(count, from + perCall) - 1;
    await runScript(redis, addGeneratedScript, [key], [prefix, from, to, GENERATED_PER_PFADD]);
  }
  return countUnique(redis, [key]);
}

/**
 * Batch sizes that show the sparse → dense switch: a few small steps first (the HLL is sparse while it is small,
 * and turns dense once the sparse form would pass `hll-sparse-max-bytes`, 3,000 bytes by default, around 2,000
 * items), then full batches of `batchSize`. Returns the cumulative item counts at which each batch ends.
 */
export function growthBoundaries(count: number, batchSize: number): number[] {
  const early = [10, 100, 500, 1_000, 1_500, 2_000, 3_000, 5_000].filter((n) => n < count && n < batchSize);
  const out = [...early];
  let at = early[early.length - 1] ?? 0;
  while (at < count) {
    at = Math.min(count, at + batchSize);
    out.push(at);
  }
  return out;
}

/** Cut `items` at the given cumulative boundaries. */
export function splitAt<T>(items: readonly T[], boundaries: readonly number[]): T[][] {
  const out: T[][] = [];
  let from = 0;
  for (const to of boundaries) {
    out.push(items.slice(from, to));
    from = to;
  }
  if (from < items.length) out.push(items.slice(from));
  return out;
}

/** Cut `items` into batches of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export { execPipeline };
