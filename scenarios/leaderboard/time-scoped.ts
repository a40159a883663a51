import {
  DAY_MS,
  buildPeriodBoard,
  dayLabel,
  dayStart,
  dayTtlSeconds,
  parseWithScores,
  rankPlayers,
  recordDailyGames,
  secondsToLive,
  seededRandom,
  unionScores,
  type Aggregate,
  type Game,
  type Standing,
} from "../../src/patterns/leaderboard/index.js";
import { sleep } from "../../src/runner/clock.js";
import { commandsNamed, commandsOn } from "../../src/runner/evidence.js";
import { defineScenario, type ScenarioContext, type TableData } from "../../src/runner/types.js";
import {
  CHAPTER,
  boardKey,
  brief,
  defaultParams,
  firstDifference,
  sameStandings,
  type LeaderboardParams,
} from "./params.js";

/** Who plays on the daily boards: a small cast, so the multi-day tables fit on a screen. */
const CAST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"].map(
  (n) => `player:${n}`,
);
/** Each player plays on a given day with this probability, 1–3 games of 10–100 points. */
const PLAYS_PER_DAY = 0.7;
/** The real TTL the oldest day is given to watch it expire (instead of waiting out its days). */
const EXPIRE_NOW_MS = 150;

interface Day {
  label: string;
  start: number;
  key: string;
  games: Game[];
  /** Each player's total that day: the model of the day's board. */
  scores: Map<string, number>;
  ttl: number;
}

interface TimeScopedState {
  days: Day[];
  retentionMs: number;
}

type Ctx = ScenarioContext<LeaderboardParams>;

export default defineScenario<LeaderboardParams, TimeScopedState>({
  id: "leaderboard/time-scoped",
  title: (p) => `Daily boards with EXPIRE, a ${p.days}-day board by ZUNIONSTORE, old days expiring`,
  explain:
    "One sorted set per day (leaderboard:2024-01-15 in the chapter), each with an expiry, so old days clean " +
    "themselves up. A weekly board is ZUNIONSTORE over the days: AGGREGATE SUM totals a player's points, MAX " +
    "keeps their best day, MIN their worst. All keys share one hash tag, so the union stays in one cluster slot.",
  chapter: CHAPTER,
  defaults: defaultParams,
  init: (p) => ({ days: [], retentionMs: p.days * DAY_MS }),
  needs: ["ZINCRBY", "ZREVRANGE", "ZUNIONSTORE", "EXPIRE", "PEXPIRE", "TTL", "EXISTS", "MULTI", "EXEC"],
  steps: (p) => [
    {
      title: `${p.days} daily boards: ZINCRBY per game and EXPIRE, one MULTI/EXEC per day`,
      say:
        `Each day's key expires ${p.days} days after the day began (the chapter's EXPIRE ` +
        `… ${p.days * 86_400}), so the oldest day has ` +
        "the shortest TTL. The EXPIRE travels in the same MULTI as the writes: a crash between a plain ZINCRBY " +
        "and its EXPIRE would leave a board that never expires.",
      run: (ctx, state) => dailyBoards(ctx, state),
    },
    {
      title: "What Redis holds: every day's TTL",
      say: "TTL per key: all set, none longer than the retention, and shorter the older the day.",
      run: (ctx, state) => dayTtls(ctx, state),
    },
    {
      title: `The ${p.days}-day board: ZUNIONSTORE over the days with AGGREGATE ${p.aggregates.join(" / ")}`,
      say:
        "ZUNIONSTORE dest n day1 … dayn AGGREGATE …, then EXPIRE dest, in one MULTI. MIN and MAX are over the " +
        "days a player played, not over all days.",
      run: (ctx, state) => periodBoards(ctx, state),
    },
    {
      title: "An old day expires: its key is gone and the rolling board is rebuilt without it",
      say:
        `Waiting out a day's TTL would take hours, so the oldest day is given PEXPIRE ${EXPIRE_NOW_MS} (real ` +
        `milliseconds) and ` +
        "the scenario waits. ZUNIONSTORE treats a missing key as an empty set: the same command over the same " +
        "key names now yields the remaining days only.",
      run: (ctx, state) => oldDayExpires(ctx, state),
    },
  ],
});

async function dailyBoards(ctx: Ctx, state: TimeScopedState): Promise<void> {
  const p = ctx.params;
  const now = ctx.clock.now();
  const random = seededRandom(p.seed + 7);
  const rows: TableData["rows"] = [];
  const mismatches: string[] = [];
  let firstBadKey: string | undefined;
  for (let i = p.days - 1; i >= 0; i--) {
    const start = dayStart(now) - i * DAY_MS;
    const key = boardKey(ctx, "weekly", "day", dayLabel(start));
    const games: Game[] = [];
    for (const player of CAST) {
      if (random() >= PLAYS_PER_DAY) continue;
      const count = 1 + Math.floor(random() * 3);
      for (let g = 0; g < count; g++) games.push({ player, points: 10 + 5 * Math.floor(random() * 19) });
    }
    const ttl = dayTtlSeconds(start, state.retentionMs, now);
    const after = await recordDailyGames(ctx.redis, key, games, ttl);
    const scores = new Map<string, number>();
    for (const g of games) scores.set(g.player, (scores.get(g.player) ?? 0) + g.points);
    // The last reply for each player is their day's total: the running ZINCRBY results must add up to the model's.
    const totals = new Map(games.map((g, j) => [g.player, after[j]!]));
    for (const [player, score] of scores) {
      if (totals.get(player) !== score) {
        firstBadKey ??= key;
        mismatches.push(`${dayLabel(start)} ${player}: redis ${totals.get(player)}, model ${score}`);
      }
    }
    state.days.push({ label: dayLabel(start), start, key, games, scores, ttl });
    rows.push([dayLabel(start), games.length, scores.size, `${ttl} s (${(ttl / 3600).toFixed(1)} h)`]);
  }
  ctx.table({ columns: ["day", "games", "players", "EXPIRE"], rows });
  ctx.check("each day's ZINCRBY replies end at the sum of each player's games that day", mismatches.length === 0, {
    expected: 0,
    actual: mismatches.length,
    detail: mismatches[0],
    evidence: () => ({ commands: firstBadKey ? commandsOn(ctx.commands(), firstBadKey) : [] }),
  });
}

async function dayTtls(ctx: Ctx, state: TimeScopedState): Promise<void> {
  const retention = state.retentionMs / 1000;
  const ttls: number[] = [];
  for (const day of state.days) ttls.push(await secondsToLive(ctx.redis, day.key));
  ctx.table({
    columns: ["day", "TTL (s)", "expires in"],
    rows: state.days.map((d, i) => [d.label, ttls[i]!, `${(ttls[i]! / 3600).toFixed(1)} h`]),
  });
  const bounded = ttls.every((t) => t > 0 && t <= retention);
  ctx.check(`every day's board has a TTL, at most the retention (${retention} s)`, bounded, {
    expected: `0 < TTL ≤ ${retention}`,
    actual: ttls,
    evidence: () => ({
      commands: commandsNamed(ctx.commands(), ["TTL"]).slice(-state.days.length),
      values: { "retention (s)": retention },
    }),
  });
  ctx.check(
    "older days expire sooner",
    ttls.every((t, i) => i === 0 || t > ttls[i - 1]!),
    {
      actual: ttls,
      expected: "each day's TTL above the day before it's",
      evidence: () => ({ commands: commandsNamed(ctx.commands(), ["TTL"]).slice(-state.days.length) }),
    },
  );
}

/** The period board's key: `…:{lb}:days:2024-01-09..2024-01-15:sum`. */
function periodKey(ctx: Ctx, days: readonly Day[], aggregate: Aggregate, suffix = ""): string {
  return boardKey(
    ctx,
    "weekly",
    "days",
    `${days[0]!.label}..${days[days.length - 1]!.label}`,
    aggregate.toLowerCase() + suffix,
  );
}

async function readBoard(ctx: Ctx, key: string): Promise<Standing[]> {
  return parseWithScores(await ctx.redis.call("ZREVRANGE", key, "0", "-1", "WITHSCORES"), 0);
}

async function periodBoards(ctx: Ctx, state: TimeScopedState): Promise<void> {
  const p = ctx.params;
  const newest = state.days[state.days.length - 1]!;
  const boards = new Map<Aggregate, Standing[]>();
  for (const aggregate of p.aggregates) {
    const key = periodKey(ctx, state.days, aggregate);
    const size = await buildPeriodBoard(
      ctx.redis,
      key,
      state.days.map((d) => d.key),
      aggregate,
      newest.ttl,
    );
    const standings = await readBoard(ctx, key);
    boards.set(aggregate, standings);
    const expected = rankPlayers(
      [
        ...unionScores(
          state.days.map((d) => d.scores),
          aggregate,
        ),
      ].map(([player, score]) => ({ player, score })),
    );
    const js = aggregate === "SUM" ? "the sum" : aggregate === "MAX" ? "the best day" : "the worst day";
    ctx.check(
      `AGGREGATE ${aggregate} equals ${js} per player, computed in JS`,
      size === expected.length && sameStandings(standings, expected),
      {
        expected: brief(expected.slice(0, 3)),
        actual: brief(standings.slice(0, 3)),
        detail: firstDifference(standings, expected),
        evidence: () => ({
          commands: commandsOn(ctx.commands(), key),
          values: { "ZUNIONSTORE reply (members)": size },
        }),
      },
    );
  }
  // One row per player, in the order of the first aggregate's board.
  const order = boards.get(p.aggregates[0]!) ?? [];
  ctx.table({
    title: `${state.days[0]!.label} … ${newest.label}, ordered by ${p.aggregates[0]}`,
    columns: ["player", "days played", ...p.aggregates.map((a) => a), ...state.days.map((d) => d.label.slice(5))],
    rows: order.map((s) => [
      s.player,
      state.days.filter((d) => d.scores.has(s.player)).length,
      ...p.aggregates.map((a) => boards.get(a)!.find((x) => x.player === s.player)?.score ?? null),
      ...state.days.map((d) => d.scores.get(s.player) ?? null),
    ]),
  });
}

async function oldDayExpires(ctx: Ctx, state: TimeScopedState): Promise<void> {
  const oldest = state.days[0]!;
  await ctx.redis.call("PEXPIRE", oldest.key, String(EXPIRE_NOW_MS));
  await sleep(EXPIRE_NOW_MS + 50, ctx.signal);
  // EXISTS on an expired key deletes it on the spot (lazy expiry), so once the time has passed it answers 0. Should
  // the server's clock lag ours a little, ask again a few times.
  let exists = Number(await ctx.redis.call("EXISTS", oldest.key));
  for (let tries = 0; exists === 1 && tries < 10; tries++) {
    await sleep(50, ctx.signal);
    exists = Number(await ctx.redis.call("EXISTS", oldest.key));
  }
  const ttl = await secondsToLive(ctx.redis, oldest.key);
  ctx.check(`the oldest day (${oldest.label}) expired: EXISTS 0, TTL -2`, exists === 0 && ttl === -2, {
    expected: "EXISTS 0, TTL -2",
    actual: `EXISTS ${exists}, TTL ${ttl}`,
    evidence: () => ({ commands: commandsOn(ctx.commands(), oldest.key).slice(-3) }),
  });

  const newest = state.days[state.days.length - 1]!;
  const key = periodKey(ctx, state.days, "SUM", ":rebuilt");
  await buildPeriodBoard(
    ctx.redis,
    key,
    state.days.map((d) => d.key),
    "SUM",
    newest.ttl,
  );
  const standings = await readBoard(ctx, key);
  const remaining = state.days.slice(1);
  const expected = rankPlayers(
    [
      ...unionScores(
        remaining.map((d) => d.scores),
        "SUM",
      ),
    ].map(([player, score]) => ({ player, score })),
  );
  const before = unionScores(
    state.days.map((d) => d.scores),
    "SUM",
  );
  ctx.table({
    title: `SUM after ${oldest.label} expired`,
    columns: ["place", "player", "SUM before", "SUM now", `lost with ${oldest.label}`],
    rows: standings.map((s) => [
      s.rank + 1,
      s.player,
      before.get(s.player) ?? null,
      s.score,
      oldest.scores.get(s.player) ?? 0,
    ]),
  });
  const gone = [...before.keys()].filter((pl) => !standings.some((s) => s.player === pl));
  if (gone.length > 0) ctx.note(`${gone.join(", ")} only played on ${oldest.label}: off the rolling board now`);
  ctx.check(
    "the rebuilt board equals the sum over the remaining days, computed in JS",
    sameStandings(standings, expected),
    {
      expected: brief(expected.slice(0, 3)),
      actual: brief(standings.slice(0, 3)),
      detail: firstDifference(standings, expected),
      evidence: () => ({ commands: commandsOn(ctx.commands(), key) }),
    },
  );
}
