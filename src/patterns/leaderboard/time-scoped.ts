import type { Redis } from "ioredis";
import type { RedisCaller } from "../../redis/types.js";

export const DAY_MS = 86_400_000;

export type Aggregate = "SUM" | "MAX" | "MIN";
export const AGGREGATES: readonly Aggregate[] = ["SUM", "MAX", "MIN"];

/** `2024-01-15` for the UTC day `t` falls in, as in the chapter's `leaderboard:2024-01-15`. */
export function dayLabel(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** Midnight UTC of the day `t` falls in. */
export function dayStart(t: number): number {
  return Math.floor(t / DAY_MS) * DAY_MS;
}

/**
 * Seconds a day's board should still live at `now`: until `retentionMs` after the day began, at least 1. The
 * oldest day therefore has the shortest TTL, and a board written late in its day does not outlive its window.
 * (With the wall clock, `EXPIREAT dayStart + retention` says the same thing in one absolute timestamp.)
 */
export function dayTtlSeconds(day: number, retentionMs: number, now: number): number {
  return Math.max(1, Math.ceil((dayStart(day) + retentionMs - now) / 1000));
}

export interface Game {
  player: string;
  points: number;
}

/**
 * Record a day's games: ZINCRBY per game and EXPIRE on the day's key, in one MULTI/EXEC, so the key never exists
 * without its expiry (a crash between a plain ZINCRBY and its EXPIRE would leave a board that lives forever).
 * Returns each player's score after their game.
 * Pro: one round trip per batch; old days clean themselves up. Con: every batch re-sends EXPIRE (cheap, and with
 * a TTL computed from the day's start it never extends the key beyond its window).
 */
export async function recordDailyGames(
  redis: Pick<Redis, "multi">,
  dayKey: string,
  games: readonly Game[],
  ttlSeconds: number,
): Promise<number[]> {
  const tx = redis.multi();
  for (const g of games) tx.call("ZINCRBY", dayKey, String(g.points), g.player);
  tx.call("EXPIRE", dayKey, String(ttlSeconds));
  const results = (await tx.exec()) ?? [];
  const scores: number[] = [];
  for (const [i, [err, reply]] of results.entries()) {
    if (err) throw err;
    if (i < games.length) scores.push(Number(reply));
  }
  return scores;
}

/**
 * A board over several days: ZUNIONSTORE dest n day1 … dayn AGGREGATE SUM|MAX|MIN, then EXPIRE dest, in one
 * MULTI/EXEC. A day whose key has expired counts as an empty set, so a rolling week simply loses it. All keys must
 * share a hash tag (one cluster slot). MIN and MAX are taken over the days a player appears in, not over all days.
 * Returns the number of players on the new board.
 * Pro: computed on the server in O(N) + O(M log M); readers see a plain sorted set. Con: a snapshot: rebuild it
 * when the days change (or on a schedule), and each rebuild costs a pass over every day's board.
 */
export async function buildPeriodBoard(
  redis: Pick<Redis, "multi">,
  destKey: string,
  dayKeys: readonly string[],
  aggregate: Aggregate,
  ttlSeconds: number,
): Promise<number> {
  const tx = redis.multi();
  tx.call("ZUNIONSTORE", destKey, String(dayKeys.length), ...dayKeys, "AGGREGATE", aggregate);
  tx.call("EXPIRE", destKey, String(ttlSeconds));
  const results = (await tx.exec()) ?? [];
  for (const [err] of results) if (err) throw err;
  return Number(results[0]?.[1]);
}

/** Seconds left on a key: -1 without expiry, -2 when gone (TTL). */
export async function secondsToLive(redis: RedisCaller, key: string): Promise<number> {
  return Number(await redis.call("TTL", key));
}
