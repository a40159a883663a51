import { tag } from "../../src/redis/keys.js";
import {
  HLL_STANDARD_ERROR,
  chunk,
  countUnique,
  dailyVisitors,
  execPipeline,
  mergeUnique,
  relativeError,
  worstOfRunsSigmas,
} from "../../src/patterns/hll/index.js";
import { commandsNamed, commandsOn, commandsWhere } from "../../src/runner/evidence.js";
import { defineScenario } from "../../src/runner/types.js";
import {
  DAILY_VISIT_CHANCE,
  DAY_MS,
  FIRST_DAY,
  dayLabel,
  defaultHllParams,
  num,
  pct,
  type HllParams,
} from "./params.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";
import { roundPercent } from "../../src/stats.js";

interface Day {
  label: string;
  key: string;
  visitors: string[];
  estimate: number;
}

interface WeeklyState {
  days: Day[];
}

export default defineScenario<HllParams, WeeklyState>({
  id: "hll/weekly-merge",
  title: (p) => `Unique visitors per day, and for all ${p.days} days at once with PFMERGE`,
  explain:
    "One HLL per day (`uv:homepage:2024-01-15`, …). Visitors come back on several days, so adding the daily counts " +
    "overcounts the period. PFMERGE takes the register-wise maximum of the days, which is exactly the HLL of all the " +
    "period's visitors: the weekly unique count, from the daily counters alone.",
  chapter: "4.6 Real-time analytics",
  defaults: defaultHllParams,
  // One HLL per day and the merged one.
  footprint: (p) => (p.days + 1) * B.hll,
  init: () => ({ days: [] }),
  needs: ["PFADD", "PFCOUNT", "PFMERGE"],
  steps: (p) => {
    const lastDay = dayLabel(FIRST_DAY + (p.days - 1) * DAY_MS);
    return [
      {
        title: `${p.days} days of homepage visitors, each day into its own HLL`,
        say:
          `A pool of ${num(p.visitors)} users; each comes on a given day with a ${pct(DAILY_VISIT_CHANCE, 0)} ` +
          `chance (seeded), so ` +
          "many come on more than one day. One pipeline per day: PFADD in batches, then PFCOUNT.",
        run: async (ctx, state) => {
          const visitors = dailyVisitors(p.seed, p.visitors, p.days, DAILY_VISIT_CHANCE);
          for (const [d, list] of visitors.entries()) {
            if (ctx.signal.aborted) break;
            const t = FIRST_DAY + d * DAY_MS;
            await ctx.clock.waitUntil(t, ctx.signal);
            const label = dayLabel(t);
            const key = ctx.keys.key("uv", tag("homepage"), label);
            const pipe = ctx.redis.pipeline();
            for (const batch of chunk(list, p.batch)) pipe.call("PFADD", key, ...batch);
            pipe.call("PFCOUNT", key);
            const replies = await execPipeline(pipe);
            state.days.push({ label, key, visitors: list, estimate: Number(replies[replies.length - 1]) });
            ctx.progress(d + 1, p.days, "days");
          }
          ctx.table({
            columns: ["day", "key", "visitors (exact)", "PFCOUNT", "error"],
            rows: state.days.map((day) => [
              day.label,
              day.key,
              num(day.visitors.length),
              num(day.estimate),
              pct(relativeError(day.estimate, day.visitors.length), 3, true),
            ]),
          });
        },
      },
      {
        title:
          `The period ${dayLabel(FIRST_DAY)} … ${lastDay}: PFMERGE into one HLL, and PFCOUNT over all ` +
          `the day keys`,
        say:
          "PFMERGE stores the union; PFCOUNT with several keys computes the same union on the fly without " +
          "storing it. The exact answer comes from a set of the visitors in this process, and the daily counts " +
          "added up show the mistake merging avoids.",
        run: async (ctx, state) => {
          const dayKeys = state.days.map((d) => d.key);
          const mergedKey = ctx.keys.key("uv", tag("homepage"), `${dayLabel(FIRST_DAY)}..${lastDay}`);
          await mergeUnique(ctx.redis, mergedKey, dayKeys);
          const merged = await countUnique(ctx.redis, [mergedKey]);
          const onTheFly = await countUnique(ctx.redis, dayKeys);
          const exact = new Set(state.days.flatMap((d) => d.visitors)).size;
          const dailySum = state.days.reduce((n, d) => n + d.visitors.length, 0);
          const error = relativeError(merged, exact);
          ctx.table({
            columns: ["", "unique visitors", "vs exact"],
            rows: [
              [
                `daily counts added up (${state.days.length} days)`,
                num(dailySum),
                pct(relativeError(dailySum, exact), 1, true),
              ],
              ["exact (a set of all visitors, in the app)", num(exact), "–"],
              [`PFMERGE ${state.days.length} days → PFCOUNT`, num(merged), pct(error, 3, true)],
              [
                `PFCOUNT over ${state.days.length} keys at once`,
                num(onTheFly),
                pct(relativeError(onTheFly, exact), 3, true),
              ],
            ],
          });
          ctx.note(
            `Adding the days counts a visitor once per day they ` +
              `came: ${pct(relativeError(dailySum, exact), 0)} too many. The merged HLL is still one ~12 KB ` +
              `counter; keeping the period's visitors exactly would take a SET of ${num(exact)} members.`,
          );
          // One tolerance for all the estimates of this scenario (each day and the union), so the bound holds for all
          // at once.
          const sigmas = worstOfRunsSigmas(state.days.length + 1);
          const tolerance = (n: number) => Math.max(4, Math.ceil(sigmas * HLL_STANDARD_ERROR * n));
          const offDays = state.days.filter(
            (d) => Math.abs(d.estimate - d.visitors.length) > tolerance(d.visitors.length),
          );
          ctx.check(
            `every day's PFCOUNT is within ${sigmas.toFixed(1)} standard errors of its exact count`,
            offDays.length === 0,
            {
              expected: "0 days outside",
              actual:
                offDays.map((d) => `${d.label}: ${d.estimate} vs ${d.visitors.length}`).join("; ") || "0 days outside",
              evidence: () => {
                const off = new Set(offDays.map((d) => d.key));
                return {
                  commands: commandsWhere(ctx.commands(), (c) => c.argv[0] === "PFCOUNT" && off.has(c.argv[1] ?? "")),
                };
              },
            },
          );
          ctx.check(
            `the merged count is within ${sigmas.toFixed(1)} standard errors of the exact period count ` +
              `(±${num(tolerance(exact))})`,
            Math.abs(merged - exact) <= tolerance(exact),
            {
              expected: `${num(exact - tolerance(exact))}…${num(exact + tolerance(exact))}`,
              actual: merged,
              detail: `error ${pct(error, 3, true)}`,
              evidence: () => ({
                commands: commandsOn(ctx.commands(), mergedKey),
                values: { "exact (distinct visitors)": exact },
              }),
            },
          );
          ctx.check(
            "PFMERGE then PFCOUNT equals PFCOUNT over the day keys (both are the union of the registers)",
            merged === onTheFly,
            {
              expected: onTheFly,
              actual: merged,
              evidence: () => ({ commands: commandsNamed(ctx.commands(), ["PFMERGE", "PFCOUNT"]).slice(-3) }),
            },
          );
          ctx.metric("days", state.days.length);
          ctx.metric("dailySum", dailySum);
          ctx.metric("weeklyExact", exact);
          ctx.metric("weeklyEstimate", merged);
          ctx.metric("weeklyErrorPct", roundPercent(error, 4));
        },
      },
    ];
  },
});
