/**
 * The global leaderboard's operations as steps (scenarios/leaderboard/global.ts): seed the board, a game won
 * (ZINCRBY), the top list, my rank, the players around me, a page, each against the reference model.
 */
import {
  boardEncoding,
  boardMemory,
  boardSize,
  compareStandings,
  generatePlayersCooperatively,
  pageOfPlayers,
  playerRank,
  playersAround,
  rankPlayersCooperatively,
  recordWin,
  seedBoard,
  setScore,
  topPlayers,
  windowAround,
  type ListpackLimit,
  type ScoredPlayer,
  type Standing,
} from "../../src/patterns/leaderboard/index.js";
import { commandsOn } from "../../src/runner/evidence.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import {
  boardKey,
  brief,
  firstDifference,
  ms,
  round,
  sameStandings,
  scoreMapCooperatively,
  standingsTable,
  thousands,
  type LeaderboardParams,
} from "./params.js";

/** The chapter's example: ZADD … 1500 "player:alice", then ZINCRBY … 50 (won a game). */
export const CHAPTER_SCORE = 1_500;

export const WIN_POINTS = 50;

export interface Board {
  key: string;
  members: number;
  encoding: string | null;
  bytes: number | null;
  /** Some of its members, for rank queries on it. */
  sample: string[];
}

export interface GlobalState {
  key: string;
  seeded: ScoredPlayer[];
  /** The reference model: player → score, updated with every write the scenario sends. */
  model: Map<string, number>;
  /** The model in ZREVRANGE order, computed once the writes are done. */
  ranked: Standing[];
  limit?: ListpackLimit;
  /** The listpack-limit probes (limit and limit + 1 members) and the main board. */
  probes: Board[];
  board?: Board;
}

export type Ctx = ScenarioContext<LeaderboardParams>;

export async function seed(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  state.key = boardKey(ctx, "global");
  // A million players take seconds to build and sort: in slices, so Ctrl-C is honoured meanwhile.
  state.seeded = await generatePlayersCooperatively(p.players, { seed: p.seed, maxScore: p.maxScore }, ctx.signal);
  state.model = await scoreMapCooperatively(state.seeded, ctx.signal);
  // The model's order, sorted once here; later writes move single entries.
  state.ranked = await rankPlayersCooperatively(state.seeded, ctx.signal);
  const mark = ctx.commands().length;
  const started = performance.now();
  const result = await seedBoard(ctx.redis, state.key, state.seeded, {
    membersPerCommand: p.membersPerCommand,
    commandsPerPipeline: p.commandsPerPipeline,
    onProgress: (done, total) => ctx.progress(done, total, "players"),
    signal: ctx.signal,
  });
  const elapsed = performance.now() - started;
  const size = await boardSize(ctx.redis, state.key);
  const zadds = ctx
    .commands()
    .slice(mark)
    .filter((c) => c.argv[0] === "ZADD");
  const batches = new Set(zadds.map((c) => c.batch?.id ?? `single-${c.seq}`)).size;
  ctx.note(
    `${thousands(result.members)} players in ${thousands(result.commands)} ZADD ` +
      `command${result.commands === 1 ? "" : "s"} over ` +
      `${thousands(result.roundTrips)} round trip${result.roundTrips === 1 ? "" : "s"}: ${ms(elapsed)}, ` +
      `${thousands(Math.round(result.members / (elapsed / 1000)))} members/s`,
  );
  ctx.metric("players", p.players);
  ctx.metric("seedMs", round(elapsed));
  ctx.metric("seedCommands", result.commands);
  ctx.metric("seedRoundTrips", result.roundTrips);
  ctx.check("the board holds every seeded player, each added once", size === p.players && result.added === p.players, {
    expected: `${p.players} members, ${p.players} added`,
    actual: `${size} members, ${result.added} added`,
    evidence: () => ({
      commands: commandsOn(ctx.commands(), state.key).slice(-1),
      values: {
        "ZADD members added (sum of replies)": result.added,
        "ZADD commands": zadds.length,
        "seeded players": p.players,
      },
    }),
  });
  const perRoundTrip = p.membersPerCommand * p.commandsPerPipeline;
  const zaddCount = Math.ceil(p.players / p.membersPerCommand);
  const expected = `${zaddCount} ZADDs in ${Math.ceil(p.players / perRoundTrip)} pipelines`;
  ctx.check(
    "the trace shows the bulk load batched: many members per ZADD, many ZADDs per round trip",
    `${zadds.length} ZADDs in ${batches} pipelines` === expected,
    {
      expected,
      actual: `${zadds.length} ZADDs in ${batches} pipelines`,
      evidence: {
        values: {
          ZADDs: zadds.length,
          pipelines: batches,
          "first ZADD (seq)": zadds[0]?.seq ?? null,
          "last ZADD (seq)": zadds.at(-1)?.seq ?? null,
          "members per ZADD": p.membersPerCommand,
          "ZADDs per pipeline": p.commandsPerPipeline,
        },
      },
    },
  );
}

export async function gameWon(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const existed = state.model.has(p.player);
  const created = await setScore(ctx.redis, state.key, p.player, CHAPTER_SCORE);
  state.model.set(p.player, CHAPTER_SCORE);
  const after = await recordWin(ctx.redis, state.key, p.player, WIN_POINTS);
  const expected = (state.model.get(p.player) ?? 0) + WIN_POINTS;
  state.model.set(p.player, expected);
  state.ranked = moveInModel(state.ranked, p.player, expected);
  ctx.note(
    `${p.player} ` +
      `${created ? "joined the board" : existed ? "was already seeded; the score was overwritten" : "was updated"}: ` +
      `${CHAPTER_SCORE} + ${WIN_POINTS} = ${after}`,
  );
  ctx.check("ZINCRBY returned the score plus the points", after === expected, {
    expected,
    actual: after,
    evidence: () => ({ commands: commandsOn(ctx.commands(), state.key).slice(-2) }),
  });
  ctx.check("ZADD said whether the player was new", created === !existed, {
    expected: !existed,
    actual: created,
    evidence: () => ({ commands: commandsOn(ctx.commands(), state.key).slice(-2) }),
  });
}

/**
 * The model's standings with `player` (re)placed at `score`: removed, inserted where ZREVRANGE would put it,
 * re-ranked.
 */
function moveInModel(ranked: Standing[], player: string, score: number): Standing[] {
  const without = ranked.filter((s) => s.player !== player);
  const entry = { player, score, rank: 0 };
  let lo = 0;
  let hi = without.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareStandings(without[mid]!, entry) < 0) lo = mid + 1;
    else hi = mid;
  }
  without.splice(lo, 0, entry);
  for (let i = 0; i < without.length; i++) without[i]!.rank = i;
  return without;
}

export async function topList(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const top = await topPlayers(ctx.redis, state.key, p.top);
  ctx.table(standingsTable(top, { mark: p.player }));
  const ties = top.filter((s, i) => i > 0 && s.score === top[i - 1]!.score).length;
  if (ties > 0)
    ctx.note(`${ties} tie${ties === 1 ? "" : "s"} in the top ${p.top}: equal scores listed in reverse name order`);
  const descending = top.every((s, i) => i === 0 || compareStandings(top[i - 1]!, s) < 0);
  ctx.check(`top ${p.top} in descending score order (ties by name, reversed)`, descending, {
    detail: brief(top.slice(0, 3)),
    expected: "each entry after the one before it: a lower score, or an equal score and a lower name",
    actual: descending ? "in order" : firstDifference(top, [...top].sort(compareStandings)),
    evidence: () => ({ commands: commandsOn(ctx.commands(), state.key).slice(-1) }),
  });
  const expected = state.ranked.slice(0, p.top);
  ctx.check(`top ${p.top} equal an independent sort of the seeded data`, sameStandings(top, expected), {
    expected: brief(expected.slice(0, 3)),
    actual: brief(top.slice(0, 3)),
    detail: firstDifference(top, expected),
    evidence: () => ({ commands: commandsOn(ctx.commands(), state.key).slice(-1) }),
  });
}

export async function myRank(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const rank = await playerRank(ctx.redis, state.key, p.player);
  const expected = state.ranked.findIndex((s) => s.player === p.player);
  ctx.note(
    rank === null
      ? `${p.player} is not on the board`
      : `${p.player}: rank ${rank} → place ${thousands(rank + 1)} of ${thousands(state.ranked.length)}`,
  );
  ctx.metric("place", rank === null ? null : rank + 1);
  ctx.check("ZREVRANK equals the player's position in the model", rank === expected, {
    expected,
    actual: rank,
    evidence: () => ({ commands: commandsOn(ctx.commands(), state.key).slice(-1), values: { player: p.player } }),
  });
}

export async function aroundMe(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const first = state.ranked[0]!;
  const last = state.ranked[state.ranked.length - 1]!;
  const cases: { label: string; player: string }[] = [
    { label: `around ${p.player}`, player: p.player },
    { label: `at the top (rank 0: ${first.player})`, player: first.player },
    { label: `at the bottom (rank ${state.ranked.length - 1}: ${last.player})`, player: last.player },
  ];
  for (const c of cases) {
    const { rank, standings } = await playersAround(ctx.redis, state.key, c.player, p.radius);
    const at = state.ranked.findIndex((s) => s.player === c.player);
    const expected = windowAround(state.ranked, at, p.radius);
    ctx.table(standingsTable(standings, { title: `${c.label}: ${standings.length} players`, mark: c.player }));
    ctx.check(
      `players ${c.label} equal the model's window, clamped at the ends`,
      rank === at && sameStandings(standings, expected),
      {
        expected: `rank ${at}, ${brief(expected.slice(0, 2))} … (${expected.length})`,
        actual: `rank ${rank}, ${brief(standings.slice(0, 2))} … (${standings.length})`,
        detail: firstDifference(standings, expected),
        evidence: () => ({
          commands: commandsOn(ctx.commands(), state.key).slice(-2),
          values: { player: c.player, radius: p.radius },
        }),
      },
    );
  }
}

export async function page(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const pages = Math.ceil(state.ranked.length / p.top);
  const standings = await pageOfPlayers(ctx.redis, state.key, p.page, p.top);
  const expected = state.ranked.slice((p.page - 1) * p.top, p.page * p.top);
  ctx.table(standingsTable(standings, { title: `page ${p.page} of ${thousands(pages)}`, mark: p.player }));
  if (standings.length === 0)
    ctx.note(`page ${p.page} is past the end (${thousands(pages)} pages): an empty reply, not an error`);
  ctx.check(`page ${p.page} equals the model's slice`, sameStandings(standings, expected), {
    detail: firstDifference(standings, expected),
    expected:
      `${expected.length} players from place ${thousands((p.page - 1) * p.top + 1)}: ` +
      `${brief(expected.slice(0, 2))} …`,
    actual: `${standings.length} players: ${brief(standings.slice(0, 2))} …`,
    evidence: () => ({ commands: commandsOn(ctx.commands(), state.key).slice(-1) }),
  });
}

export async function inspect(
  ctx: Ctx,
  key: string,
  members: number,
  sample: string[],
): Promise<Board & { refused?: string }> {
  const encoding = await boardEncoding(ctx.redis, key);
  const { bytes, refused } = await boardMemory(ctx.redis, key);
  return { key, members, encoding, bytes, sample, ...(refused ? { refused } : {}) };
}
