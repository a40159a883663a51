/**
 * The leaderboard's reference model: plain JS over the same data the scenario sent, so every Redis reply can be
 * compared with a result computed independently.
 */
import type { ScoredPlayer, Standing } from "./board.js";
import type { Aggregate } from "./time-scoped.js";
import { buildArray, sortCooperatively } from "../shared/cooperative.js";

/**
 * Redis's order for ZREVRANGE: higher score first; equal scores in reverse byte order of the member name (ZRANGE
 * orders ties by name ascending, and ZREVRANGE reverses the whole order). Names here are ASCII, for which JS string
 * comparison is byte comparison.
 */
export function compareStandings(a: ScoredPlayer, b: ScoredPlayer): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.player < b.player ? 1 : a.player > b.player ? -1 : 0;
}

/** The board as ZREVRANGE 0 -1 would list it. */
export function rankPlayers(players: Iterable<ScoredPlayer>): Standing[] {
  return [...players].sort(compareStandings).map((p, rank) => ({ player: p.player, score: p.score, rank }));
}

/** rankPlayers in slices that let the event loop in (a million players sort for seconds): Ctrl-C stops it. */
export async function rankPlayersCooperatively(
  players: readonly ScoredPlayer[],
  signal?: AbortSignal,
): Promise<Standing[]> {
  const sorted = await sortCooperatively(players, compareStandings, signal);
  return buildArray(
    sorted.length,
    (rank) => ({ player: sorted[rank]!.player, score: sorted[rank]!.score, rank }),
    signal,
  );
}

/** ZREVRANGE (rank − radius) (rank + radius), clamped at both ends. */
export function windowAround(ranked: readonly Standing[], rank: number, radius: number): Standing[] {
  return ranked.slice(Math.max(0, rank - radius), Math.min(ranked.length, rank + radius + 1));
}

/** ZUNIONSTORE … AGGREGATE: per player, the sum, max or min of their scores over the days they appear in. */
export function unionScores(days: readonly ReadonlyMap<string, number>[], aggregate: Aggregate): Map<string, number> {
  const out = new Map<string, number>();
  for (const day of days) {
    for (const [player, score] of day) {
      const before = out.get(player);
      if (before === undefined) out.set(player, score);
      else
        out.set(
          player,
          aggregate === "SUM"
            ? before + score
            : aggregate === "MAX"
              ? Math.max(before, score)
              : Math.min(before, score),
        );
    }
  }
  return out;
}

/** The median of measured latencies (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
