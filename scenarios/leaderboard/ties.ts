import {
  asDouble,
  collidingArrivals,
  decodeComposite,
  keepBestScore,
  maxExactScore,
  parseCompositeReply,
  parseWithScores,
  playerScore,
  submitWithTieBreak,
  type TieBreakConfig,
} from "../../src/patterns/leaderboard/index.js";
import { defineScenario, type ScenarioContext, type TableData } from "../../src/runner/types.js";
import { CHAPTER, boardKey, defaultParams, thousands, versionAtLeast, type LeaderboardParams } from "./params.js";
import { commandsOn } from "../../src/runner/evidence.js";

/** Equal scores on purpose, with names chosen so that name order and arrival order disagree. */
const TIED = ["player:zoe", "player:amy", "player:Bea", "player:bob"];
const TIE_SCORE = 100;
/** 32 bits of milliseconds since the season began (49.7 days); scores up to 2^21 − 1 stay exact. */
const SEASON: TieBreakConfig = { bits: 32, epoch: Date.UTC(2024, 0, 1) };
/** A score past the exact range (2,097,151 with 32 time bits): a plausible total in a long-running game. */
const BIG_SCORE = 3_000_000;
/** The best-score board's submissions: lower, then higher, then lower again. */
const SUBMISSIONS = [1_200, 900, 1_500, 1_400];

interface TiesState {
  /** Amy reached the tied score before Zoe. */
  amyAt: number;
  zoeAt: number;
}

type Ctx = ScenarioContext<LeaderboardParams>;

const clockTime = (t: number): string => new Date(t).toISOString().slice(11, 23);

export default defineScenario<LeaderboardParams, TiesState>({
  id: "leaderboard/ties",
  title: "Ties: by name, by who got there first (until 2^53), and a best score kept with ZADD GT",
  explain:
    "Equal scores are ordered by member name, which is rarely what players expect. Packing the time into the score " +
    "(score × 2^32 + time left in the season) breaks ties by arrival, but scores are doubles: past 2^53 two " +
    "different composites become the same number. ZADD GT keeps a best score without a read-compare-write.",
  chapter: CHAPTER,
  defaults: defaultParams,
  init: () => ({ amyAt: 0, zoeAt: 0 }),
  needs: ["ZADD", "ZRANGE", "ZREVRANGE", "ZSCORE"],
  steps: () => [
    {
      title: `Equal scores: ${TIED.length} players on ${TIE_SCORE} points, ordered by name`,
      say:
        "ZRANGE orders equal scores by member, byte by byte (uppercase before lowercase); ZREVRANGE reverses " +
        "that too, so among equals the last name alphabetically comes first.",
      run: (ctx) => tiesByName(ctx),
    },
    {
      title: "Who got there first: score × 2^32 + (2^32 − 1 − ms since the season began)",
      say:
        `Amy reaches ${TIE_SCORE} five minutes before Zoe. The earlier arrival has the larger low part, so ranks ` +
        `first. Each composite is sent as its exact decimal integer.`,
      run: (ctx, state) => compositeBelowLimit(ctx, state),
    },
    {
      title: `Where it breaks: a score of ${thousands(BIG_SCORE)} puts the composite past 2^53`,
      say:
        `Doubles hold every integer up to 2^53 = 9,007,199,254,740,992; beyond it only every second one. With 32 ` +
        `time bits, scores above ${thousands(maxExactScore(SEASON))} overflow: two arrivals 1 ms apart are sent ` +
        `as different integers and stored as the same double.`,
      run: (ctx) => compositeBeyondLimit(ctx),
    },
    {
      title: "Keep a player's best score atomically: ZADD GT CH",
      say:
        "GT only raises an existing score (new members are always added); CH makes the reply say whether this " +
        "submission became the best. The same submissions with plain ZADD, for contrast, keep whichever came last.",
      run: (ctx) => bestScore(ctx),
    },
  ],
});

async function readAll(ctx: Ctx, command: "ZRANGE" | "ZREVRANGE", key: string): Promise<string[]> {
  return parseWithScores(await ctx.redis.call(command, key, "0", "-1", "WITHSCORES"), 0).map((s) => s.player);
}

async function tiesByName(ctx: Ctx): Promise<void> {
  const key = boardKey(ctx, "ties", "by-name");
  await ctx.redis.call(
    "ZADD",
    key,
    ...TIED.flatMap((player) => [String(TIE_SCORE), player]),
    String(TIE_SCORE - 10),
    "player:eve",
  );
  const ascending = await readAll(ctx, "ZRANGE", key);
  const descending = await readAll(ctx, "ZREVRANGE", key);
  ctx.table({
    columns: ["position", "ZRANGE (low first)", "ZREVRANGE (high first)"],
    rows: ascending.map((name, i) => [i + 1, name, descending[i] ?? null]),
  });
  // The model: equal scores by byte order of the name (ASCII here, where JS string order is byte order).
  const byName = [...TIED].sort();
  const expectedAsc = ["player:eve", ...byName];
  const expectedDesc = [...byName].reverse().concat("player:eve");
  ctx.check("ties ordered by member name: ZRANGE ascending, byte by byte", ascending.join() === expectedAsc.join(), {
    expected: expectedAsc,
    actual: ascending,
    evidence: () => ({ commands: commandsOn(ctx.commands(), key) }),
  });
  ctx.check("ZREVRANGE lists equal scores in reverse name order", descending.join() === expectedDesc.join(), {
    expected: expectedDesc,
    actual: descending,
    evidence: () => ({ commands: commandsOn(ctx.commands(), key) }),
  });
  ctx.note(`${descending[0]} leads only because of the name; nothing says who reached ${TIE_SCORE} first`);
}

interface Submitted {
  player: string;
  at: number;
  exact: bigint;
  stored: string;
}

async function submitPair(ctx: Ctx, key: string, score: number, arrivals: [string, number][]): Promise<Submitted[]> {
  const out: Submitted[] = [];
  for (const [player, at] of arrivals) {
    const exact = await submitWithTieBreak(ctx.redis, key, player, score, at, SEASON);
    out.push({ player, at, exact, stored: "" });
  }
  for (const s of out) s.stored = String(await ctx.redis.call("ZSCORE", key, s.player));
  return out;
}

function compositeTable(rows: Submitted[]): TableData {
  return {
    columns: [
      "player",
      "reached at",
      "composite sent (exact)",
      "ZSCORE (stored double)",
      "decoded score",
      "decoded time",
    ],
    rows: rows.map((s) => {
      const decoded = decodeComposite(parseCompositeReply(s.stored), SEASON);
      return [s.player, clockTime(s.at), s.exact.toString(), s.stored, decoded.score, clockTime(decoded.achievedAt)];
    }),
  };
}

async function compositeBelowLimit(ctx: Ctx, state: TiesState): Promise<void> {
  state.amyAt = ctx.clock.now();
  state.zoeAt = state.amyAt + 5 * 60_000;
  const key = boardKey(ctx, "ties", "first-wins");
  const rows = await submitPair(ctx, key, TIE_SCORE, [
    ["player:zoe", state.zoeAt],
    ["player:amy", state.amyAt],
  ]);
  const order = await readAll(ctx, "ZREVRANGE", key);
  ctx.table(compositeTable(rows));
  const [zoe, amy] = rows;
  ctx.note(`exact while the score ≤ 2^(53 − 32) − 1 = ${thousands(maxExactScore(SEASON))}: here ${amy!.exact} < 2^53`);
  ctx.check(
    "below 2^53 the composite keeps arrivals apart: two different stored scores",
    amy!.stored !== zoe!.stored &&
      parseCompositeReply(amy!.stored) === amy!.exact &&
      parseCompositeReply(zoe!.stored) === zoe!.exact,
    {
      expected: `${amy!.exact} ≠ ${zoe!.exact}, stored exactly`,
      actual: `${amy!.stored}, ${zoe!.stored}`,
      evidence: () => ({
        commands: commandsOn(ctx.commands(), key),
        values: { "Amy's composite": String(amy!.exact), "Zoe's composite": String(zoe!.exact) },
      }),
    },
  );
  ctx.check("…and the earlier arrival ranks first", order[0] === "player:amy", {
    expected: "player:amy first",
    actual: order,
    evidence: () => ({ commands: commandsOn(ctx.commands(), key).slice(-1) }),
  });
}

async function compositeBeyondLimit(ctx: Ctx): Promise<void> {
  const from = ctx.clock.now();
  const pair = collidingArrivals(BIG_SCORE, from, SEASON);
  if (!pair)
    throw new Error(`no colliding arrivals found for score ${BIG_SCORE}: is it past ${maxExactScore(SEASON)}?`);
  const [earlier, later] = pair;
  const key = boardKey(ctx, "ties", "beyond-2^53");
  const rows = await submitPair(ctx, key, BIG_SCORE, [
    ["player:zoe", later],
    ["player:amy", earlier],
  ]);
  const order = await readAll(ctx, "ZREVRANGE", key);
  ctx.table(compositeTable(rows));
  const [zoe, amy] = rows;
  const gap = amy!.exact - zoe!.exact;
  ctx.note(
    `sent ${amy!.exact} and ${zoe!.exact} (${gap} apart); doubles ` +
      `near ${asDouble(amy!.exact).toExponential(3)} are ${spacing(amy!.exact)} apart, so both round ` +
      `to ${amy!.stored}`,
  );
  ctx.check(
    "beyond 2^53 two different composites collide: Redis stores the same score for both",
    amy!.exact !== zoe!.exact && amy!.stored === zoe!.stored,
    {
      expected: "different integers sent, one double stored",
      actual: `sent ${amy!.exact} / ${zoe!.exact}, stored ${amy!.stored} / ${zoe!.stored}`,
      evidence: () => ({
        commands: commandsOn(ctx.commands(), key),
        values: { "Amy's composite": String(amy!.exact), "Zoe's composite": String(zoe!.exact), gap: String(gap) },
      }),
    },
  );
  ctx.check(
    "…so the tie-break is gone: the order falls back to names, and Zoe leads though Amy was first",
    order[0] === "player:zoe",
    {
      expected: "player:zoe first (name order)",
      actual: order,
      evidence: () => ({ commands: commandsOn(ctx.commands(), key).slice(-1) }),
    },
  );
  ctx.metric("maxExactScore", maxExactScore(SEASON));
  ctx.note(
    `with ${SEASON.bits} time bits the exact range ends at a score of ${thousands(maxExactScore(SEASON))}; ` +
      `seconds instead of milliseconds (22 bits for 48 days) stretch it ` +
      `to ${thousands(maxExactScore({ bits: 22 }))}`,
  );
}

/** The gap between adjacent doubles at the magnitude of `n` (1 up to 2^53, 2 up to 2^54, …). */
function spacing(n: bigint): bigint {
  let gap = 1n;
  for (let limit = 2n ** 53n; n >= limit; limit *= 2n) gap *= 2n;
  return gap;
}

async function bestScore(ctx: Ctx): Promise<void> {
  if (!versionAtLeast(ctx.target.version, 6, 2) || !ctx.server.has("ZADD … GT")) {
    ctx.note(
      `ZADD GT left out: ` +
        `${ctx.server.missing("ZADD … GT") ?? `needs Redis ≥ 6.2; this server is ${ctx.target.version}`} ` +
        `(a Lua script comparing ZSCORE would do the same atomically)`,
    );
    return;
  }
  const gtKey = boardKey(ctx, "best", "gt");
  const plainKey = boardKey(ctx, "best", "plain");
  const player = "player:amy";
  const rows: TableData["rows"] = [];
  let best: number | undefined;
  let lastPlain: number | null = null;
  const wrong: string[] = [];
  for (const score of SUBMISSIONS) {
    const changed = await keepBestScore(ctx.redis, gtKey, player, score);
    await ctx.redis.call("ZADD", plainKey, String(score), player);
    const kept = await playerScore(ctx.redis, gtKey, player);
    const plain = await playerScore(ctx.redis, plainKey, player);
    lastPlain = plain;
    const expectChanged = best === undefined || score > best;
    best = best === undefined ? score : Math.max(best, score);
    if (changed !== expectChanged || kept !== best)
      wrong.push(`after ${score}: reply ${changed ? 1 : 0}, kept ${kept}; model ${expectChanged ? 1 : 0}, ${best}`);
    rows.push([score, changed ? "(integer) 1 — new best" : "(integer) 0 — ignored", kept, plain]);
  }
  ctx.table({ columns: ["submission", "ZADD GT CH reply", "ZSCORE with GT", "ZSCORE with plain ZADD"], rows });
  ctx.check(`ZADD GT kept the best of ${SUBMISSIONS.join(", ")} and said when it changed`, wrong.length === 0, {
    expected: Math.max(...SUBMISSIONS),
    detail: wrong[0],
    actual: wrong.length === 0 ? `${best}, every reply as the model's` : `${wrong.length} wrong: ${wrong.join("; ")}`,
    evidence: () => ({ commands: commandsOn(ctx.commands(), gtKey), values: { submissions: SUBMISSIONS.join(", ") } }),
  });
  ctx.note(`plain ZADD kept the last submission (${lastPlain}), not the best`);
}
