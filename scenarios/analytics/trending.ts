import { tag } from "../../src/redis/keys.js";
import {
  RISING_ARTICLE,
  VIRAL_ARTICLE,
  allScores,
  decayScores,
  decayScoresClientLoop,
  execPipeline,
  modelTrending,
  topOf,
  topTrending,
  trendingTraffic,
  type ScoredItem,
  type TrendingEvent,
  type TrendingHour,
} from "../../src/patterns/analytics/index.js";
import { copyKey } from "../../src/patterns/shared/copy.js";
import { commandsOn, commandsWhere } from "../../src/runner/evidence.js";
import { defineScenario, type ScenarioContext } from "../../src/runner/types.js";
import {
  CHAPTER_DAY,
  HOUR_MS,
  defaultAnalyticsParams,
  fmtDateTime,
  roundTrips,
  type AnalyticsParams,
} from "./params.js";

/** Simulated hours: the viral hour, then five hours of decay and new views. */
export const TRENDING_HOURS = 6;
const START = CHAPTER_DAY + 8 * HOUR_MS;

interface TrendingState {
  board: string;
  undecayed: string;
  traffic: TrendingHour[];
  /** Everything that happened to the decayed board, in order, for the model. */
  events: TrendingEvent[];
  views: number;
  decays: number;
}

type Ctx = ScenarioContext<AnalyticsParams>;

const fmtScore = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(3));

/** Send one hour's views: ZINCRBY per view on both boards, one pipeline. */
async function sendViews(ctx: Ctx, state: TrendingState, views: readonly string[]): Promise<void> {
  const pipe = ctx.redis.pipeline();
  for (const member of views) {
    pipe.call("ZINCRBY", state.board, 1, member);
    pipe.call("ZINCRBY", state.undecayed, 1, member);
    state.events.push({ kind: "view", member });
  }
  await execPipeline(pipe);
  state.views += views.length;
}

/** Two rankings side by side, row by row: place, then each one's member and score ("–" past its end). */
function sideBySide(left: readonly ScoredItem[], right: readonly ScoredItem[]): (string | number)[][] {
  const cells = (item: ScoredItem | undefined) => [item?.member ?? "–", item ? fmtScore(item.score) : "–"];
  return Array.from({ length: Math.max(left.length, right.length) }, (_, i) => [
    i + 1,
    ...cells(left[i]),
    ...cells(right[i]),
  ]);
}

function topTable(title: string, items: readonly ScoredItem[]) {
  return {
    title,
    columns: ["#", "article", "score"],
    rows: items.map((it, i) => [i + 1, it.member, fmtScore(it.score)]),
  };
}

export default defineScenario<AnalyticsParams, TrendingState>({
  id: "analytics/trending",
  title: (p) => `Trending articles: ZINCRBY per view, every score × ${p.decay} each hour`,
  explain:
    "Each view is a ZINCRBY on a sorted set; once an hour every score is multiplied by the decay factor, so a " +
    "view from five hours ago counts for less than one from now. The atomic way to multiply them all is one " +
    "ZUNIONSTORE key 1 key WEIGHTS f; a loop from the client takes N+1 commands and loses views that arrive " +
    "meanwhile. A second board never decays, to show what that does.",
  chapter: "4.6 Real-time analytics",
  defaults: defaultAnalyticsParams,
  init: () => ({ board: "", undecayed: "", traffic: [], events: [], views: 0, decays: 0 }),
  needs: ["ZINCRBY", "ZUNIONSTORE", "ZREVRANGE", "MULTI", "EXEC"],
  steps: (p, server) => [
    {
      title: `${fmtDateTime(START)}: ${VIRAL_ARTICLE} goes viral (one pipeline of ZINCRBYs, on both boards)`,
      say: `trending:articles is decayed every hour; trending:articles:never-decayed gets the same views and no decay.`,
      run: async (ctx, state) => {
        state.board = ctx.keys.key("trending", tag("articles"));
        state.undecayed = ctx.keys.key("trending", tag("articles"), "never-decayed");
        state.traffic = trendingTraffic(p.seed, TRENDING_HOURS);
        await ctx.clock.waitUntil(START, ctx.signal);
        const first = state.traffic[0]!;
        await sendViews(ctx, state, first.views);
        ctx.note(
          `${first.views.length} views, ${first.views.filter((v) => v === VIRAL_ARTICLE).length} of them ` +
            `for ${VIRAL_ARTICLE}`,
        );
        ctx.table(topTable("trending:articles after the first hour", await topTrending(ctx.redis, state.board, 5)));
      },
    },
    {
      title: `Hours 1–${TRENDING_HOURS - 1}: ZUNIONSTORE … WEIGHTS ${p.decay} on the hour, then the hour's views`,
      say:
        `${RISING_ARTICLE} is rising (2, 4, 6, … views an hour); ${VIRAL_ARTICLE} gets no more views. One ` +
        `command decays the whole board.`,
      run: async (ctx, state) => {
        const rows: (string | number)[][] = [];
        for (const hour of state.traffic.slice(1)) {
          await ctx.clock.waitUntil(START + hour.hour * HOUR_MS, ctx.signal);
          await decayScores(ctx.redis, state.board, p.decay);
          state.events.push({ kind: "decay", factor: p.decay });
          state.decays += 1;
          await sendViews(ctx, state, hour.views);
          const top = await topTrending(ctx.redis, state.board, 1);
          rows.push([
            fmtDateTime(START + hour.hour * HOUR_MS).slice(11),
            hour.views.length,
            hour.views.filter((v) => v === RISING_ARTICLE).length,
            top[0] ? `${top[0].member} (${fmtScore(top[0].score)})` : "–",
          ]);
        }
        ctx.table({ columns: ["hour", "views", `of which ${RISING_ARTICLE}`, "top of the decayed board"], rows });
      },
    },
    {
      title: "Top 10 before and after one more decay: the order does not change",
      say:
        "ZREVRANGE trending:articles 0 9 WITHSCORES, the decay, and again. Multiplying every score by the same " +
        "factor keeps the order; it only makes the next views weigh more.",
      run: async (ctx, state) => {
        const before = await topTrending(ctx.redis, state.board, 10);
        await decayScores(ctx.redis, state.board, p.decay);
        state.events.push({ kind: "decay", factor: p.decay });
        state.decays += 1;
        const after = await topTrending(ctx.redis, state.board, 10);
        ctx.table({
          columns: ["#", "before", "score", "after", "score"],
          rows: sideBySide(before, after),
        });
        const sameOrder = before.length === after.length && before.every((b, i) => b.member === after[i]!.member);
        ctx.check("one decay keeps the top 10's order", sameOrder, {
          expected: before.map((b) => b.member).join(","),
          actual: after.map((a) => a.member).join(","),
          evidence: () => ({ commands: commandsOn(ctx.commands(), state.board).slice(-3) }),
        });
        const model = modelTrending(state.events);
        const redis = await allScores(ctx.redis, state.board);
        const differing = redis.filter((r) => model.get(r.member) !== r.score);
        ctx.check(
          "every decayed score equals the model's, bit for bit (same additions and multiplications in doubles)",
          differing.length === 0 && redis.length === model.size,
          {
            expected: `${model.size} members as modelled`,
            actual:
              differing.length === 0
                ? `${redis.length} members as modelled`
                : differing.map((d) => `${d.member}: ${d.score} vs ${model.get(d.member)}`).join("; "),
            evidence: () => ({
              commands: commandsOn(ctx.commands(), state.board).slice(-1),
              values: Object.fromEntries(
                differing.slice(0, 6).map((d) => [d.member, `${d.score} vs model ${model.get(d.member)}`]),
              ),
            }),
          },
        );
        const expectedTop = topOf(model, 10).map((t) => t.member);
        ctx.check("the top 10 equals the model's", after.map((a) => a.member).join(",") === expectedTop.join(","), {
          expected: expectedTop.join(","),
          actual: after.map((a) => a.member).join(","),
          evidence: () => ({ commands: commandsOn(ctx.commands(), state.board).slice(-2, -1) }),
        });
      },
    },
    {
      title: "Never decayed: yesterday's hit stays on top",
      say:
        "The same views on trending:articles:never-decayed. Without decay a score only grows, so whatever was " +
        "big once outranks what is big now.",
      run: async (ctx, state) => {
        const decayed = await topTrending(ctx.redis, state.board, 10);
        const never = await topTrending(ctx.redis, state.undecayed, 10);
        ctx.table({
          columns: ["#", `decayed (× ${p.decay} per hour)`, "score", "never decayed", "views"],
          rows: sideBySide(decayed, never),
        });
        const viewCounts = modelTrending(state.events.filter((e) => e.kind === "view"));
        const neverScores = await allScores(ctx.redis, state.undecayed);
        const wrong = neverScores.filter((s) => viewCounts.get(s.member) !== s.score);
        ctx.check(
          "the never-decayed board holds the plain view counts",
          wrong.length === 0 && neverScores.length === viewCounts.size,
          {
            expected: `${viewCounts.size} members = views`,
            actual:
              wrong.length === 0 ? `${neverScores.length} members = views` : wrong.map((w) => w.member).join(", "),
            evidence: () => ({
              commands: commandsOn(ctx.commands(), state.undecayed).slice(-1),
              values: Object.fromEntries(
                wrong.slice(0, 6).map((w) => [w.member, `${w.score} vs ${String(viewCounts.get(w.member))} views`]),
              ),
            }),
          },
        );
        const viralRankNever = never.findIndex((t) => t.member === VIRAL_ARTICLE) + 1;
        const viralRankDecayed = decayed.findIndex((t) => t.member === VIRAL_ARTICLE) + 1;
        ctx.note(
          `${VIRAL_ARTICLE} had no view for ${TRENDING_HOURS - 1} hours: #${viralRankNever || ">10"} without ` +
            `decay, #${viralRankDecayed || ">10"} with it; ${never[0]?.member ?? "–"} leads the never-decayed ` +
            `board, ${decayed[0]?.member ?? "–"} the decayed one.`,
        );
        ctx.metric("views", state.views);
        ctx.metric("decays", state.decays);
        ctx.metric("topDecayed", decayed[0]?.member ?? null);
        ctx.metric("topNeverDecayed", never[0]?.member ?? null);
      },
    },
    {
      title: "Decaying from the client, member by member, while another instance counts a view",
      say:
        `Two copies of the board ` +
        `(${server.has("COPY") ? "COPY" : "a DUMP/RESTORE script: this server has no COPY"}). On one, the naive ` +
        `loop: ZRANGE … WITHSCORES, then one ZADD XX per member; instance web-2 counts a view ` +
        `of ${RISING_ARTICLE} after the read and before the writes. On the other, the one-command decay, with ` +
        `web-2's view sent at the same moment.`,
      run: async (ctx, state) => {
        const web2 = await ctx.connect("web-2");
        const naiveKey = ctx.keys.key("trending", tag("articles"), "naive-copy");
        const atomicKey = ctx.keys.key("trending", tag("articles"), "atomic-copy");
        const method = ctx.server.has("COPY") ? "COPY" : "script";
        if (method === "script") ctx.fallback(`COPY by a DUMP/RESTORE script (COPY: ${ctx.server.missing("COPY")})`);
        await copyKey(ctx.redis, state.board, naiveKey, method);
        await copyKey(ctx.redis, state.board, atomicKey, method);
        const s = Number(await ctx.redis.call("ZSCORE", state.board, RISING_ARTICLE));
        // The two outcomes a correct (serialisable) decay can have: the view before the decay, or after it.
        const viewFirst = (s + 1) * p.decay;
        const decayFirst = s * p.decay + 1;

        let mark = ctx.commands().length;
        const loop = await decayScoresClientLoop(ctx.redis, naiveKey, p.decay, async () => {
          await web2.call("ZINCRBY", naiveKey, 1, RISING_ARTICLE);
        });
        const naiveCommands = ctx
          .commands()
          .slice(mark)
          .filter((c) => c.client === "main");
        const naiveScore = Number(await ctx.redis.call("ZSCORE", naiveKey, RISING_ARTICLE));

        mark = ctx.commands().length;
        await Promise.all([
          decayScores(ctx.redis, atomicKey, p.decay),
          web2.call("ZINCRBY", atomicKey, 1, RISING_ARTICLE),
        ]);
        const atomicCommands = ctx
          .commands()
          .slice(mark)
          .filter((c) => c.client === "main");
        const atomicScore = Number(await ctx.redis.call("ZSCORE", atomicKey, RISING_ARTICLE));

        const lost = naiveScore !== viewFirst && naiveScore !== decayFirst;
        ctx.table({
          columns: ["decay", "commands", "round trips", `${RISING_ARTICLE} after`, "a correct result", "web-2's view"],
          rows: [
            [
              "client loop (ZRANGE + ZADD per member)",
              naiveCommands.length,
              roundTrips(naiveCommands),
              fmtScore(naiveScore),
              `${fmtScore(viewFirst)} or ${fmtScore(decayFirst)}`,
              lost ? "lost" : "kept",
            ],
            [
              `ZUNIONSTORE … WEIGHTS ${p.decay}`,
              atomicCommands.length,
              roundTrips(atomicCommands),
              fmtScore(atomicScore),
              `${fmtScore(viewFirst)} or ${fmtScore(decayFirst)}`,
              atomicScore === viewFirst || atomicScore === decayFirst ? "kept" : "lost",
            ],
          ],
        });
        ctx.note(
          `The loop read ${fmtScore(s)}, web-2 made it ${fmtScore(s + 1)}, then the loop wrote ${fmtScore(s)} ` +
            `× ${p.decay} = ${fmtScore(s * p.decay)} over it. With ${loop.members} members that ` +
            `is ${loop.commands} commands; on a board of 100,000 articles, 100,001 — and a window as long as the ` +
            `loop for every member.`,
        );
        ctx.check(
          "the client loop loses the view that arrived between its read and its write",
          lost && naiveScore === s * p.decay,
          {
            expected: `${fmtScore(s * p.decay)} (the view overwritten)`,
            actual: fmtScore(naiveScore),
            evidence: () => ({
              commands: commandsWhere(
                ctx.commands(),
                (c) => c.argv.includes(naiveKey) && (c.argv[0] === "ZRANGE" || c.argv.includes(RISING_ARTICLE)),
              ),
              values: { "ZSCORE before": s, decay: p.decay },
            }),
          },
        );
        ctx.check(
          "the one-command decay keeps it: the result is one of the two serial orders",
          atomicScore === viewFirst || atomicScore === decayFirst,
          {
            expected: `${viewFirst} or ${decayFirst}`,
            actual: atomicScore,
            detail:
              atomicScore === decayFirst
                ? "Redis ran the decay first"
                : atomicScore === viewFirst
                  ? "Redis ran the view first"
                  : undefined,
            evidence: () => ({
              commands: commandsOn(ctx.commands(), atomicKey),
              values: { "ZSCORE before": s, decay: p.decay },
            }),
          },
        );
        ctx.check(
          `the client loop takes 1 + N commands (N = ${loop.members}), the atomic decay 1`,
          naiveCommands.length === 1 + loop.members && atomicCommands.length === 1,
          {
            expected: `${1 + loop.members} and 1`,
            actual: `${naiveCommands.length} and ${atomicCommands.length}`,
            evidence: {
              values: {
                "client loop's commands (first, last seq)":
                  `${naiveCommands[0]?.seq ?? "–"}, ` + `${naiveCommands.at(-1)?.seq ?? "–"}`,
                "atomic decay's commands (seq)": atomicCommands.map((c) => c.seq).join(", "),
                members: loop.members,
              },
            },
          },
        );
        ctx.metric("naiveDecayCommands", naiveCommands.length);
        ctx.metric("atomicDecayCommands", atomicCommands.length);
        ctx.metric("viewsLostByNaiveDecay", lost ? 1 : 0);
      },
    },
  ],
});
