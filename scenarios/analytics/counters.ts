import { groupByHashTag, pipelineByKey } from "../../src/redis/batch.js";
import { tag } from "../../src/redis/keys.js";
import {
  countEvent,
  counterTraffic,
  dayBucket,
  hourBucket,
  hoursOfDay,
  readCounters,
  supportsExpireNx,
  type CountMode,
  type CounterEvent,
} from "../../src/patterns/analytics/index.js";
import { commandsOn, commandsWhere } from "../../src/runner/evidence.js";
import { defineScenario, type ScenarioContext, type StepDef } from "../../src/runner/types.js";
import {
  CHAPTER_DAY,
  DAY_MS,
  HOUR_MS,
  bar,
  defaultAnalyticsParams,
  fmtDateTime,
  roundTrips,
  type AnalyticsParams,
} from "./params.js";
import { round } from "../../src/stats.js";

/** Daily page-view counters are kept 30 days, hourly API-call counters 48 hours (after their first event). */
export const DAILY_TTL_SECONDS = 30 * 86_400;
export const HOURLY_TTL_SECONDS = 48 * 3_600;
const PAGE = "homepage";
const USER = "123";

interface KeyRecord {
  key: string;
  kind: CounterEvent["kind"];
  bucket: string;
  ttlSeconds: number;
  count: number;
  /** How many of its events set the expiry (must be exactly one: the first). */
  expirySets: number;
  /** Whether the event that set it was the first (count 1). */
  setOnFirst: boolean;
}

interface CountersState {
  events: CounterEvent[];
  mode: CountMode;
  keys: Map<string, KeyRecord>;
  eventCommands: number;
  eventRoundTrips: number;
}

type Ctx = ScenarioContext<AnalyticsParams>;

function pageviewKey(ctx: Ctx, at: number): string {
  return ctx.keys.key("pageviews", tag(PAGE), dayBucket(at));
}

function apiKey(ctx: Ctx, bucket: string): string {
  return ctx.keys.key("api", "calls", "user", tag(USER), bucket);
}

export default defineScenario<AnalyticsParams, CountersState>({
  id: "analytics/counters",
  title: (p) => `Time-bucketed counters: page views per day, API calls per hour, ${p.hours} simulated hours`,
  explain:
    "One counter per period, named after it (`pageviews:homepage:2024-01-15`, `api:calls:user:123:2024-01-15-10`), " +
    "incremented per event. Each bucket gets its expiry together with its first increment, in one atomic step, so " +
    "no bucket is ever left without one; a day's hourly series is read back with one MGET.",
  chapter: "4.6 Real-time analytics",
  defaults: defaultAnalyticsParams,
  init: () => ({ events: [], mode: "multi", keys: new Map(), eventCommands: 0, eventRoundTrips: 0 }),
  needs: ["INCR", "MGET", "EXPIRE", "TTL", "MULTI", "EXEC"],
  steps: (p) => {
    const days = Math.ceil(p.hours / 24);
    const steps: StepDef<AnalyticsParams, CountersState>[] = [];
    for (let d = 0; d < days; d++) {
      const from = CHAPTER_DAY + d * DAY_MS;
      const to = Math.min(CHAPTER_DAY + p.hours * HOUR_MS, from + DAY_MS);
      const until = to - from === DAY_MS ? "24:00" : fmtDateTime(to).slice(11);
      steps.push({
        title:
          `${dayBucket(from)}, ${fmtDateTime(from).slice(11)}–${until}: ` +
          "every page view and API call counted as it happens",
        say:
          d === 0
            ? "Time is simulated: the scenario clock walks through the events, each counted in the bucket of its " +
              "moment. On Redis ≥ 7.0 an event is MULTI · INCR · EXPIRE … NX · EXEC (NX: only the first event " +
              "sets the expiry, later ones leave it alone); older servers run the same as one Lua script."
            : undefined,
        run: async (ctx, state) => {
          if (d === 0) {
            state.events = counterTraffic(p.seed, CHAPTER_DAY, p.hours);
            state.mode = supportsExpireNx(ctx.target.version) && ctx.server.has("EXPIRE … NX") ? "multi" : "lua";
            if (state.mode === "lua")
              ctx.fallback(
                `a script (INCR, then EXPIRE on the first event) for EXPIRE … NX (EXPIRE … ` +
                  `NX: ${ctx.server.missing("EXPIRE … NX") ?? "needs Redis ≥ 7.0"})`,
              );
            ctx.note(
              state.mode === "multi"
                ? `Redis ${ctx.target.version}: MULTI/EXEC with EXPIRE … NX (no script needed).`
                : `Redis ${ctx.target.version} has no EXPIRE … NX (7.0+): a Lua script runs INCR and, on the ` +
                    `first event, EXPIRE.`,
            );
          }
          const before = ctx.commands().length;
          const todays = state.events.filter((e) => e.at >= from && e.at < to);
          for (const event of todays) {
            await ctx.clock.waitUntil(event.at, ctx.signal);
            const pageview = event.kind === "pageview";
            const bucket = pageview ? dayBucket(event.at) : hourBucket(event.at);
            const key = pageview ? pageviewKey(ctx, event.at) : apiKey(ctx, bucket);
            const ttl = pageview ? DAILY_TTL_SECONDS : HOURLY_TTL_SECONDS;
            const result = await countEvent(ctx.redis, key, ttl, state.mode);
            const record = state.keys.get(key) ?? {
              key,
              kind: event.kind,
              bucket,
              ttlSeconds: ttl,
              count: 0,
              expirySets: 0,
              setOnFirst: false,
            };
            record.count = result.count;
            if (result.expirySet) {
              record.expirySets += 1;
              record.setOnFirst = result.count === 1;
            }
            state.keys.set(key, record);
          }
          const sent = ctx.commands().slice(before);
          state.eventCommands += sent.length;
          state.eventRoundTrips += roundTrips(sent);
          const views = todays.filter((e) => e.kind === "pageview").length;
          const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
          ctx.note(
            `${plural(views, "page view")} ` +
              `and ${plural(todays.length - views, "API call")}: ${plural(sent.length, "command")} ` +
              `in ${plural(roundTrips(sent), "round trip")}`,
          );
        },
      });
    }
    steps.push({
      title: "What Redis holds: every bucket, its count and its TTL",
      say:
        "TTL on each bucket the run touched (one pipeline): none may be -1, none longer than the bucket's " +
        "retention.",
      run: (ctx, state) => inspectBuckets(ctx, state),
    });
    steps.push({
      title: `Read back ${dayBucket(CHAPTER_DAY)}: 24 hourly buckets in one MGET, and the daily page views`,
      say:
        "The keys are computed from the day, not searched for: MGET returns the 24 hours in one round trip, nil " +
        "for an hour without calls.",
      run: (ctx, state) => readBack(ctx, state),
    });
    return steps;
  },
});

/** Counts per key, computed in JavaScript from the generated events: what Redis must hold. */
function modelCounts(ctx: Ctx, events: readonly CounterEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    const key = e.kind === "pageview" ? pageviewKey(ctx, e.at) : apiKey(ctx, hourBucket(e.at));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function inspectBuckets(ctx: Ctx, state: CountersState): Promise<void> {
  const records = [...state.keys.values()];
  const replies = await pipelineByKey(
    ctx.redis,
    records.map((r) => ["TTL", r.key] as const),
  );
  const ttls = replies.map(([err, v]) => {
    if (err) throw err;
    return Number(v);
  });
  ctx.table({
    columns: ["key", "count", "TTL (s)", "retention (s)"],
    rows: records.map((r, i) => [r.key, r.count, ttls[i]!, r.ttlSeconds]),
  });
  const badTtl = records.filter((r, i) => !(ttls[i]! > 0 && ttls[i]! <= r.ttlSeconds));
  ctx.check("every bucket has a TTL, no longer than its retention", badTtl.length === 0, {
    expected: "0 < TTL ≤ retention",
    actual: badTtl.length === 0 ? "all" : badTtl.map((r) => `${r.key}: ${ttls[records.indexOf(r)]}`).join("; "),
    evidence: () => {
      const bad = new Set(badTtl.map((r) => r.key));
      return { commands: commandsWhere(ctx.commands(), (c) => c.argv[0] === "TTL" && bad.has(c.argv[1] ?? "")) };
    },
  });
  const notOnce = records.filter((r) => r.expirySets !== 1 || !r.setOnFirst);
  ctx.check("each bucket's expiry was set by its first event, and by no later one", notOnce.length === 0, {
    expected: "exactly once, at count 1",
    actual: notOnce.length === 0 ? "all" : notOnce.map((r) => `${r.key}: set ${r.expirySets}×`).join("; "),
    evidence: () => ({
      commands: commandsOn(
        ctx.commands(),
        notOnce.map((r) => r.key),
      ),
    }),
  });
  ctx.metric("buckets", records.length);
}

async function readBack(ctx: Ctx, state: CountersState): Promise<void> {
  const model = modelCounts(ctx, state.events);
  const hourKeys = hoursOfDay(CHAPTER_DAY).map((b) => apiKey(ctx, b));
  const series = await readCounters(ctx.redis, hourKeys);
  const expectedSeries = hourKeys.map((k) => model.get(k) ?? 0);
  ctx.table({
    title: `api:calls:user:${USER}, ${dayBucket(CHAPTER_DAY)}, per hour`,
    columns: ["hour", "calls", ""],
    rows: series.map((n, h) => [`${String(h).padStart(2, "0")}:00`, n, bar(n)]),
  });
  const dayKeys = [...new Set(state.events.filter((e) => e.kind === "pageview").map((e) => pageviewKey(ctx, e.at)))];
  const daily = await readCounters(ctx.redis, dayKeys);
  ctx.table({
    title: `pageviews:${PAGE}, per day`,
    columns: ["key", "views", "expected"],
    rows: dayKeys.map((k, i) => [k, daily[i]!, model.get(k) ?? 0]),
  });
  const seriesOk = series.every((n, i) => n === expectedSeries[i]);
  ctx.check("the hourly series read back equals the calls counted in the app", seriesOk, {
    expected: expectedSeries.join(","),
    actual: series.join(","),
    evidence: () => ({ commands: commandsOn(ctx.commands(), hourKeys).slice(-1) }),
  });
  const all = [...state.keys.values()];
  // One MGET per hash tag: the page's keys and the user's keys are in different slots (on a cluster, nodes).
  const read = new Map<string, number>();
  for (const keys of groupByHashTag(
    all.map((r) => r.key),
    (k) => k,
  )) {
    (await readCounters(ctx.redis, keys)).forEach((n, i) => read.set(keys[i]!, n));
  }
  const counted = all.map((r) => read.get(r.key));
  const wrong = all.filter((r, i) => counted[i] !== (model.get(r.key) ?? 0));
  ctx.check(
    "every bucket equals the count of its events in the model",
    wrong.length === 0 && model.size === all.length,
    {
      expected: `${model.size} buckets as modelled`,
      actual: wrong.length === 0 ? `${all.length} buckets as modelled` : wrong.map((r) => r.key).join(", "),
      evidence: () => ({
        commands: commandsOn(
          ctx.commands(),
          wrong.map((r) => r.key),
        ),
        values: Object.fromEntries(
          wrong.slice(0, 6).map((r) => [r.key, `read ${String(read.get(r.key))}, model ${model.get(r.key) ?? 0}`]),
        ),
      }),
    },
  );
  const events = state.events.length;
  ctx.metric("events", events);
  ctx.metric("pageviews", state.events.filter((e) => e.kind === "pageview").length);
  ctx.metric("apiCalls", state.events.filter((e) => e.kind === "api-call").length);
  ctx.metric("countMode", state.mode);
  ctx.metric("commandsPerEvent", events === 0 ? 0 : round(state.eventCommands / events, 3));
  ctx.metric("roundTripsPerEvent", events === 0 ? 0 : round(state.eventRoundTrips / events, 3));
  ctx.metric("hourlySeriesRoundTrips", 1);
}
