import type { RedisCaller } from "../../redis/types.js";

/**
 * Trending items on a sorted set: ZINCRBY per view, and a periodic decay that multiplies every score by a factor
 * so that old views weigh less than new ones.
 */

export interface ScoredItem {
  member: string;
  score: number;
}

/** Count one view (ZINCRBY key by member). Returns the new score. */
export async function recordView(redis: RedisCaller, key: string, member: string, by = 1): Promise<number> {
  return Number(await redis.call("ZINCRBY", key, by, member));
}

/** The top `n` items, highest score first (ZREVRANGE … WITHSCORES, the chapter's command). */
export async function topTrending(redis: RedisCaller, key: string, n = 10): Promise<ScoredItem[]> {
  return pairs((await redis.call("ZREVRANGE", key, 0, n - 1, "WITHSCORES")) as string[]);
}

/** Every item with its score, lowest first (ZRANGE 0 -1 WITHSCORES). */
export async function allScores(redis: RedisCaller, key: string): Promise<ScoredItem[]> {
  return pairs((await redis.call("ZRANGE", key, 0, -1, "WITHSCORES")) as string[]);
}

/**
 * Multiply every score by `factor` in one command: ZUNIONSTORE key 1 key WEIGHTS factor. The union of one set with
 * itself, weighted, written back over it — atomic, so a ZINCRBY arriving at the same moment lands either before or
 * after it, never in between.
 *
 * Pro: one command, O(N log N) inside the server, no race. Con: it still touches every member; on a big set it
 * blocks the server for that long (split by key, or decay lazily at read time, when N is large).
 */
export async function decayScores(redis: RedisCaller, key: string, factor: number): Promise<number> {
  return Number(await redis.call("ZUNIONSTORE", key, 1, key, "WEIGHTS", factor));
}

export interface ClientLoopResult {
  /** Members read, and ZADDs written back. */
  members: number;
  /** Commands the loop sent: 1 read + 1 write per member. */
  commands: number;
}

/**
 * The naive decay: read every score, then write each one back multiplied, from the client.
 *
 * Pro: obvious. Con: N + 1 commands, and a read-modify-write with a gap: a ZINCRBY that lands between the read and
 * the write of its member is overwritten — the view is lost. `afterRead` runs in that gap (for demonstrating it).
 */
export async function decayScoresClientLoop(
  redis: RedisCaller,
  key: string,
  factor: number,
  afterRead?: (scores: readonly ScoredItem[]) => Promise<void>,
): Promise<ClientLoopResult> {
  const scores = await allScores(redis, key);
  await afterRead?.(scores);
  for (const { member, score } of scores) await redis.call("ZADD", key, "XX", score * factor, member);
  return { members: scores.length, commands: 1 + scores.length };
}

function pairs(flat: readonly string[]): ScoredItem[] {
  const out: ScoredItem[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}

/** One event for {@link modelTrending}: a view of `member`, or a decay of every score. */
export type TrendingEvent = { kind: "view"; member: string; by?: number } | { kind: "decay"; factor: number };

/**
 * The same arithmetic in JavaScript, in the same order: ZINCRBY adds in double precision and ZUNIONSTORE with one
 * weight multiplies each score once, so the model's scores equal Redis's bit for bit.
 */
export function modelTrending(
  events: readonly TrendingEvent[],
  start: ReadonlyMap<string, number> = new Map(),
): Map<string, number> {
  const scores = new Map(start);
  for (const e of events) {
    if (e.kind === "view") scores.set(e.member, (scores.get(e.member) ?? 0) + (e.by ?? 1));
    else for (const [m, s] of scores) scores.set(m, s * e.factor);
  }
  return scores;
}

/** The model's top `n`, ordered as Redis orders ZREVRANGE: score descending, ties by member descending. */
export function topOf(scores: ReadonlyMap<string, number>, n = 10): ScoredItem[] {
  return [...scores]
    .map(([member, score]) => ({ member, score }))
    .sort((a, b) => b.score - a.score || (a.member < b.member ? 1 : a.member > b.member ? -1 : 0))
    .slice(0, n);
}
