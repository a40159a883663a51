import type { Aggregate, ScoredPlayer, Standing } from "../../src/patterns/leaderboard/index.js";
import { tag } from "../../src/redis/keys.js";
import type { RecordedCommand } from "../../src/redis/recorder.js";
import type { ScenarioContext, TableData } from "../../src/runner/types.js";
import { versionAtLeast as atLeast } from "../../src/redis/server-info.js";
import { Slicer } from "../../src/patterns/shared/cooperative.js";

export interface LeaderboardParams {
  /** Players seeded on the global board. */
  players: number;
  /** How many the top list (and a page) shows. */
  top: number;
  /** The player who wins a game and whose rank and neighbours are shown (a member name). */
  player: string;
  /** Players shown above and below: the chapter's rank ± 5. */
  radius: number;
  /** The page of the paged view (1-based; pages are `top` players long). */
  page: number;
  /** Seed of the generator that draws the players' scores: the same seed, the same board. */
  seed: number;
  /** Seeded scores are whole numbers in [0, maxScore]. */
  maxScore: number;
  membersPerCommand: number;
  commandsPerPipeline: number;
  /** Samples per latency measurement. */
  repeat: number;
  /** Daily boards in the time-scoped board (the chapter's week: 7). */
  days: number;
  /** Which AGGREGATE choices the multi-day board is built with. */
  aggregates: Aggregate[];
}

export const defaultParams: LeaderboardParams = {
  players: 1_000,
  top: 10,
  player: "player:alice",
  radius: 5,
  page: 2,
  seed: 1,
  maxScore: 3_000,
  membersPerCommand: 1_000,
  commandsPerPipeline: 10,
  repeat: 50,
  days: 7,
  aggregates: ["SUM", "MAX", "MIN"],
};

export const CHAPTER = "4.4 Leaderboards and rankings";

/**
 * A leaderboard key, hash-tagged by its game: the keys of one game (its daily boards and the weekly ZUNIONSTORE over
 * them) share a cluster slot, while different games land on different slots, so on a cluster the boards spread over
 * the masters as they would in production.
 */
export function boardKey(ctx: ScenarioContext<LeaderboardParams>, game: string, ...parts: (string | number)[]): string {
  return ctx.keys.key("leaderboard", tag(game), ...parts);
}

/** Standings as a table: place (1-based), player, score; the highlighted player marked with ◀. */
export function standingsTable(
  standings: readonly Standing[],
  options: { title?: string; mark?: string } = {},
): TableData {
  return {
    ...(options.title ? { title: options.title } : {}),
    columns: ["place", "player", "score"],
    rows: standings.map((s) => [s.rank + 1, s.player === options.mark ? `${s.player} ◀` : s.player, s.score]),
  };
}

/** Same players, same scores, same order (ranks included). */
export function sameStandings(a: readonly Standing[], b: readonly Standing[]): boolean {
  return (
    a.length === b.length &&
    a.every((s, i) => s.player === b[i]!.player && s.score === b[i]!.score && s.rank === b[i]!.rank)
  );
}

/** The first place where two standings lists differ, for a check's detail. */
export function firstDifference(actual: readonly Standing[], expected: readonly Standing[]): string | undefined {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!a || !e || a.player !== e.player || a.score !== e.score || a.rank !== e.rank) {
      return (
        `at position ${i + 1}: redis ${a ? `${a.player} ${a.score}` : "(nothing)"}, ` +
        `model ${e ? `${e.player} ${e.score}` : "(nothing)"}`
      );
    }
  }
  return undefined;
}

export const brief = (s: readonly Standing[]): string =>
  s.map((x) => `${x.rank + 1}. ${x.player} ${x.score}`).join(", ");

/** The model as a map, for updates. */
export function scoreMap(players: readonly ScoredPlayer[]): Map<string, number> {
  return new Map(players.map((p) => [p.player, p.score]));
}

/** scoreMap in slices that let the event loop in: Ctrl-C stops a million-player model. */
export async function scoreMapCooperatively(
  players: readonly ScoredPlayer[],
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const slicer = new Slicer(signal);
  const map = new Map<string, number>();
  for (let i = 0; i < players.length; i++) {
    map.set(players[i]!.player, players[i]!.score);
    if ((i & 1023) === 0) await slicer.maybeYield();
  }
  return map;
}

/** Commands sent since `mark` (an index into ctx.commands()). */
export function sentSince(ctx: ScenarioContext<LeaderboardParams>, mark: number): readonly RecordedCommand[] {
  return ctx.commands().slice(mark);
}

export const thousands = (n: number): string => n.toLocaleString("en-US");

/** Decimal megabytes, as the chapter's "~100 MB". */
export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export const ms = (value: number): string => (value < 10 ? `${value.toFixed(3)} ms` : `${value.toFixed(1)} ms`);

export { round } from "../../src/stats.js";

/** "7.0.15" ≥ "6.2"? (false when the version does not parse) */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  return atLeast(version, `${major}.${minor}`) === true;
}
