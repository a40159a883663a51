import type { RedisCaller } from "../../redis/types.js";

/**
 * Time series on a stream (`XADD metrics:cpu <ms>-<seq> value 45.2 host server1`, read back by ID range) and, for
 * comparison, on a sorted set (score = timestamp, member = "timestamp:host:value").
 */

export interface Sample {
  /** Milliseconds since the epoch. */
  ts: number;
  host: string;
  value: number;
}

/** A stream entry ID from the sample's time: `<ms>-<seq>`; seq tells apart samples taken in the same millisecond. */
export function sampleId(ts: number, seq = 0): string {
  return `${ts}-${seq}`;
}

/** The millisecond part of a stream entry ID. */
export function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/** The value as it is stored: one decimal, as in the chapter's `value 45.2`. */
export function formatValue(value: number): string {
  return value.toFixed(1);
}

/**
 * Append a sample with an explicit ID (the app's clock, not `*`): XADD key <ms>-<seq> value … host ….
 *
 * Pro: append-only, compact (entries share a field layout), range reads by time for free, and consumer groups
 * can tail it. Con: IDs must grow: a late sample older than the newest entry is refused.
 */
export async function addSample(redis: RedisCaller, key: string, sample: Sample, seq = 0): Promise<string> {
  return String(
    await redis.call("XADD", key, sampleId(sample.ts, seq), "value", formatValue(sample.value), "host", sample.host),
  );
}

/**
 * Samples with from ≤ ts ≤ to, by ID range: XRANGE key <from> <to> (the chapter's `XRANGE metrics:cpu {5min-ago} +`).
 */
export async function samplesBetween(
  redis: RedisCaller,
  key: string,
  from: number,
  to: number | "+" = "+",
): Promise<Sample[]> {
  const entries = (await redis.call("XRANGE", key, String(from), to === "+" ? "+" : String(to))) as [
    string,
    string[],
  ][];
  return entries.map(([id, fields]) => {
    const f = fieldMap(fields);
    return { ts: idTime(id), host: f.get("host") ?? "", value: Number(f.get("value")) };
  });
}

function fieldMap(fields: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i]!, fields[i + 1]!);
  return m;
}

export type TrimMode = "approximate" | "exact";

/**
 * Keep the newest `count` entries: XTRIM key MAXLEN [~] count. With `~` Redis only drops whole macro nodes (a
 * listpack of up to stream-node-max-entries, 100 by default), so more may stay; without it, exactly `count`
 * stay, at the cost of rewriting a node. Returns the number of entries removed.
 */
export async function trimToCount(redis: RedisCaller, key: string, count: number, mode: TrimMode): Promise<number> {
  return Number(await redis.call("XTRIM", key, "MAXLEN", ...(mode === "approximate" ? ["~"] : []), count));
}

/** Drop entries older than `minTs`: XTRIM key MINID [~] <minTs>. Same whole-node rule for `~`. */
export async function trimBefore(redis: RedisCaller, key: string, minTs: number, mode: TrimMode): Promise<number> {
  return Number(await redis.call("XTRIM", key, "MINID", ...(mode === "approximate" ? ["~"] : []), String(minTs)));
}

export interface StreamShape {
  length: number;
  /** Macro nodes (listpacks) holding the entries: what approximate trimming removes whole. */
  nodes: number;
  firstId: string | null;
  lastId: string | null;
}

/** XINFO STREAM: the length, the number of macro nodes (radix-tree-keys), the first and last entry. */
export async function inspectStream(redis: RedisCaller, key: string): Promise<StreamShape> {
  const flat = (await redis.call("XINFO", "STREAM", key)) as unknown[];
  const info = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) info.set(String(flat[i]), flat[i + 1]);
  const entryId = (v: unknown): string | null => (Array.isArray(v) && v.length > 0 ? String(v[0]) : null);
  return {
    length: Number(info.get("length")),
    nodes: Number(info.get("radix-tree-keys")),
    firstId: entryId(info.get("first-entry")),
    lastId: entryId(info.get("last-entry")),
  };
}

/** The sorted-set member of a sample: unique per host and time (two equal members would be one). */
export function sampleMember(sample: Sample): string {
  return `${sample.ts}:${sample.host}:${formatValue(sample.value)}`;
}

export function parseSampleMember(member: string): Sample {
  const [ts, host, value] = member.split(":");
  return { ts: Number(ts), host: host ?? "", value: Number(value) };
}

/**
 * Add samples to the sorted-set form: ZADD key ts member [ts member …], one command for the lot.
 * Pro: any order (late samples are fine), ranges by score. Con: the member must carry the value and be unique,
 * and each entry costs a skiplist node and a hash entry (several times a stream's bytes per sample).
 */
export async function addSamplesToSortedSet(
  redis: RedisCaller,
  key: string,
  samples: readonly Sample[],
): Promise<number> {
  if (samples.length === 0) return 0;
  return Number(await redis.call("ZADD", key, ...samples.flatMap((s) => [s.ts, sampleMember(s)])));
}

/** How a score range is read: ZRANGE … BYSCORE (Redis ≥ 6.2), or ZRANGEBYSCORE (older servers; deprecated in 6.2). */
export type ScoreRangeCommand = "ZRANGE … BYSCORE" | "ZRANGEBYSCORE";

/** Samples with from ≤ ts ≤ to from the sorted set: ZRANGE key from to BYSCORE (or ZRANGEBYSCORE key from to). */
export async function sortedSetSamplesBetween(
  redis: RedisCaller,
  key: string,
  from: number,
  to: number,
  command: ScoreRangeCommand = "ZRANGE … BYSCORE",
): Promise<Sample[]> {
  const members = (
    command === "ZRANGEBYSCORE"
      ? await redis.call("ZRANGEBYSCORE", key, from, to)
      : await redis.call("ZRANGE", key, from, to, "BYSCORE")
  ) as string[];
  return members.map(parseSampleMember);
}

export interface BucketStats {
  /** Start of the bucket, ms since the epoch. */
  start: number;
  host: string;
  count: number;
  min: number;
  max: number;
  avg: number;
}

/**
 * Per bucket (aligned to multiples of `bucketMs`) and host: count, min, max, average. Pure: computed by the app
 * from a range read (RedisTimeSeries would do it in the server with TS.RANGE … AGGREGATION).
 */
export function bucketStats(samples: readonly Sample[], bucketMs: number): BucketStats[] {
  const groups = new Map<string, { start: number; host: string; values: number[] }>();
  for (const s of samples) {
    const start = Math.floor(s.ts / bucketMs) * bucketMs;
    const id = `${start}\u0000${s.host}`;
    const g = groups.get(id) ?? { start, host: s.host, values: [] };
    g.values.push(s.value);
    groups.set(id, g);
  }
  return [...groups.values()]
    .sort((a, b) => a.start - b.start || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
    .map((g) => ({
      start: g.start,
      host: g.host,
      count: g.values.length,
      min: Math.min(...g.values),
      max: Math.max(...g.values),
      avg: g.values.reduce((a, b) => a + b, 0) / g.values.length,
    }));
}
