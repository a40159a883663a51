import { tag } from "../../src/redis/keys.js";
import {
  addSamplesToSortedSet,
  bucketStats,
  cpuSamples,
  execPipeline,
  formatValue,
  inspectStream,
  samplesBetween,
  sampleId,
  sampleMember,
  sortedSetSamplesBetween,
  trimBefore,
  trimToCount,
  type BucketStats,
  type Sample,
  type StreamShape,
} from "../../src/patterns/analytics/index.js";
import { copyKey } from "../../src/patterns/shared/copy.js";
import { commandsOn } from "../../src/runner/evidence.js";
import { defineScenario } from "../../src/runner/types.js";
import { CHAPTER_DAY, HOUR_MS, defaultAnalyticsParams, fmtTime, roundTrips, type AnalyticsParams } from "./params.js";
import { ELEMENT_BYTES as B, memoryUsage } from "../../src/redis/memory.js";
import { round } from "../../src/stats.js";

const START = CHAPTER_DAY + 10 * HOUR_MS;
const INTERVAL_MS = 15_000;

interface TimeseriesState {
  stream: string;
  zset: string;
  samples: Sample[];
  end: number;
  /** The window read back, and its samples as the app generated them. */
  window: { from: number; to: number; expected: Sample[] };
  streamBytes: number | null;
  zsetBytes: number | null;
}

const describeMs = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

function sameSamples(a: readonly Sample[], b: readonly Sample[]): boolean {
  return (
    a.length === b.length && a.every((s, i) => s.ts === b[i]!.ts && s.host === b[i]!.host && s.value === b[i]!.value)
  );
}

function sameStats(a: readonly BucketStats[], b: readonly BucketStats[]): boolean {
  return a.length === b.length && a.every((s, i) => JSON.stringify(s) === JSON.stringify(b[i]));
}

function statsRows(stats: readonly BucketStats[]) {
  return stats.map((s) => [
    fmtTime(s.start).slice(0, 5),
    s.host,
    s.count,
    formatValue(s.min),
    formatValue(s.max),
    s.avg.toFixed(2),
  ]);
}

export default defineScenario<AnalyticsParams, TimeseriesState>({
  id: "analytics/timeseries",
  title: (p) => `CPU time series on a stream: ${p.minutes} simulated minutes, two hosts, a sample every 15 s`,
  explain:
    "XADD metrics:cpu <ms>-<seq> value 45.2 host server1: the entry ID is the sample's time, so XRANGE by ID is a " +
    "query by time. Aggregates (min/max/avg per bucket) are computed from the range in the app. The same samples " +
    "in a sorted set (score = time) show the other shape, its memory and its query; trimming shows what `~` keeps.",
  chapter: "4.6 Real-time analytics",
  defaults: defaultAnalyticsParams,
  // Two hosts, a sample every 15 s: in the stream, the sorted set to compare, and up to four trimmed copies.
  footprint: (p) => p.minutes * 8 * (5 * B.streamEntry + B.zsetMember),
  init: () => ({
    stream: "",
    zset: "",
    samples: [],
    end: 0,
    window: { from: 0, to: 0, expected: [] },
    streamBytes: null,
    zsetBytes: null,
  }),
  needs: ["XADD … MAXLEN ~", "XRANGE", "XLEN", "XTRIM … MAXLEN ~", "ZADD"],
  steps: (p, server) => [
    {
      title:
        `XADD a sample per host every 15 s for ${p.minutes} minutes, IDs from the scenario clock (a pipeline per ` +
        `minute)`,
      say:
        "An explicit ID <ms>-<seq> instead of * : the sample's own time, with seq 0 and 1 for the two hosts " +
        "taken in the same millisecond. Each minute's samples also go into a sorted set, with one ZADD.",
      run: async (ctx, state) => {
        state.stream = ctx.keys.key("metrics", tag("cpu"));
        state.zset = ctx.keys.key("metrics", tag("cpu"), "zset");
        state.samples = cpuSamples(p.seed, START, p.minutes, INTERVAL_MS);
        state.end = START + p.minutes * 60_000;
        const before = ctx.commands().length;
        for (let m = 0; m < p.minutes; m++) {
          const from = START + m * 60_000;
          const minute = state.samples.filter((s) => s.ts >= from && s.ts < from + 60_000);
          if (minute.length === 0) continue;
          await ctx.clock.waitUntil(minute[minute.length - 1]!.ts, ctx.signal);
          const pipe = ctx.redis.pipeline();
          for (const s of minute)
            pipe.call(
              "XADD",
              state.stream,
              sampleId(s.ts, s.host === "server1" ? 0 : 1),
              "value",
              formatValue(s.value),
              "host",
              s.host,
            );
          pipe.call("ZADD", state.zset, ...minute.flatMap((s) => [s.ts, sampleMember(s)]));
          await execPipeline(pipe);
        }
        await ctx.clock.waitUntil(state.end, ctx.signal);
        const sent = ctx.commands().slice(before);
        const shape = await inspectStream(ctx.redis, state.stream);
        ctx.note(`${state.samples.length} samples in ${sent.length} commands, ${roundTrips(sent)} round trips`);
        ctx.table({
          columns: ["XLEN", "macro nodes (radix-tree-keys)", "first entry", "last entry"],
          rows: [[shape.length, shape.nodes, shape.firstId, shape.lastId]],
        });
        ctx.check("the stream holds one entry per sample", shape.length === state.samples.length, {
          expected: state.samples.length,
          actual: shape.length,
          evidence: () => ({
            commands: commandsOn(ctx.commands(), state.stream).slice(-2),
            values: { "XADDs sent": sent.filter((c) => c.argv[0] === "XADD").length },
          }),
        });
        ctx.metric("samples", state.samples.length);
      },
    },
    {
      title: `The last ${describeMs(p.lastMs)}: XRANGE by ID, then min/max/avg per ${describeMs(p.bucketMs)}`,
      say:
        "XRANGE metrics:cpu <now − window> + (the chapter's {5min-ago} +): an ID of just the milliseconds means " +
        "<ms>-0, the first entry at that moment.",
      run: async (ctx, state) => {
        const from = state.end - p.lastMs;
        state.window = {
          from,
          to: state.end,
          expected: state.samples.filter((s) => s.ts >= from && s.ts <= state.end),
        };
        const got = await samplesBetween(ctx.redis, state.stream, from, "+");
        const stats = bucketStats(got, p.bucketMs);
        const expectedStats = bucketStats(state.window.expected, p.bucketMs);
        ctx.table({ columns: ["bucket", "host", "samples", "min", "max", "avg"], rows: statsRows(stats) });
        ctx.check(
          `XRANGE returns exactly the samples of the last ${describeMs(p.lastMs)}`,
          sameSamples(got, state.window.expected),
          {
            expected: `${state.window.expected.length} samples from ${fmtTime(from)}`,
            actual: `${got.length} samples${got[0] ? ` from ${fmtTime(got[0].ts)}` : ""}`,
            evidence: () => ({ commands: commandsOn(ctx.commands(), state.stream).slice(-1) }),
          },
        );
        ctx.check(
          "the per-bucket min/max/avg equal the ones computed from the generated samples",
          sameStats(stats, expectedStats),
          {
            expected: `${expectedStats.length} buckets`,
            actual: `${stats.length} buckets`,
            evidence: () => ({
              commands: commandsOn(ctx.commands(), state.stream).slice(-1),
              values: { "bucket (ms)": p.bucketMs },
            }),
          },
        );
        ctx.metric("windowSamples", got.length);
        ctx.metric("buckets", stats.length);
      },
    },
    {
      title:
        `The same window from the sorted set ` +
        `(${server.has("ZRANGE … BYSCORE") ? "ZRANGE … BYSCORE" : "ZRANGEBYSCORE"}), and what each form costs`,
      say:
        'The sorted set\'s member has to carry the value and be unique ("ts:host:value"); the stream keeps ' +
        "fields. MEMORY USAGE … SAMPLES 0 " +
        "measures every entry of both.",
      run: async (ctx, state) => {
        const { from, to, expected } = state.window;
        const range = ctx.server.has("ZRANGE … BYSCORE") ? "ZRANGE … BYSCORE" : "ZRANGEBYSCORE";
        if (range === "ZRANGEBYSCORE")
          ctx.fallback(
            `ZRANGEBYSCORE for ZRANGE … BYSCORE (ZRANGE … BYSCORE: ${ctx.server.missing("ZRANGE … BYSCORE")})`,
          );
        const got = await sortedSetSamplesBetween(ctx.redis, state.zset, from, to, range);
        // ZRANGE orders equal scores by member; the stream by ID (server1 = seq 0 first). Same samples either way.
        const order = (a: Sample, b: Sample) => a.ts - b.ts || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);
        ctx.check(
          `${range} returns the same samples as XRANGE`,
          sameSamples([...got].sort(order), [...expected].sort(order)),
          {
            expected: expected.length,
            actual: got.length,
            evidence: () => ({ commands: commandsOn(ctx.commands(), state.zset).slice(-1) }),
          },
        );
        ctx.check(
          "and the same per-bucket min/max/avg",
          sameStats(bucketStats(got, p.bucketMs), bucketStats(expected, p.bucketMs)),
          {
            expected: `${bucketStats(expected, p.bucketMs).length} buckets, as from the generated samples`,
            actual: `${bucketStats(got, p.bucketMs).length} buckets`,
            evidence: () => ({ commands: commandsOn(ctx.commands(), state.zset).slice(-1) }),
          },
        );
        state.streamBytes = await memoryUsage(ctx.redis, state.stream);
        state.zsetBytes = await memoryUsage(ctx.redis, state.zset);
        const n = state.samples.length;
        const per = (b: number | null) => (b === null ? "refused" : (b / n).toFixed(1));
        ctx.table({
          columns: ["", "stream", "sorted set"],
          rows: [
            ["bytes (MEMORY USAGE)", state.streamBytes ?? "refused", state.zsetBytes ?? "refused"],
            ["bytes per sample", per(state.streamBytes), per(state.zsetBytes)],
            [
              "range query",
              "XRANGE key <from> <to>",
              range === "ZRANGEBYSCORE" ? "ZRANGEBYSCORE key <from> <to>" : "ZRANGE key <from> <to> BYSCORE",
            ],
            [
              "an entry",
              "ID 1705312800000-0, fields value, host",
              'score 1705312800000, member "1705312800000:server1:45.2"',
            ],
            ["a late sample (older than the newest)", "refused (IDs only grow)", "accepted anywhere"],
            ["consumer groups, blocking reads", "yes (XREADGROUP)", "no"],
          ],
        });
        // A sample that arrives late: one millisecond after the first, long after newer ones were added.
        const late: Sample = { ts: START + 1, host: "server3", value: 50 };
        let refused = "";
        try {
          await ctx.redis.call(
            "XADD",
            state.stream,
            sampleId(late.ts, 0),
            "value",
            formatValue(late.value),
            "host",
            late.host,
          );
        } catch (err) {
          refused = err instanceof Error ? err.message : String(err);
        }
        const added = await addSamplesToSortedSet(ctx.redis, state.zset, [late]);
        ctx.note(
          `A late sample from ${fmtTime(late.ts)}: the stream says "${refused || "accepted?!"}"; the sorted ` +
            `set took it (${added} added).`,
        );
        ctx.check(
          "the stream refuses an ID older than its newest entry; the sorted set accepts it",
          refused !== "" && added === 1,
          {
            expected: "refused / 1",
            actual: `${refused ? "refused" : "accepted"} / ${added}`,
            evidence: () => ({ commands: commandsOn(ctx.commands(), [state.stream, state.zset]).slice(-2) }),
          },
        );
        ctx.metric("streamBytes", state.streamBytes);
        ctx.metric("zsetBytes", state.zsetBytes);
        ctx.metric("streamBytesPerSample", state.streamBytes === null ? null : round(state.streamBytes / n, 1));
        ctx.metric("zsetBytesPerSample", state.zsetBytes === null ? null : round(state.zsetBytes / n, 1));
      },
    },
    {
      title:
        `Trimming: MAXLEN ~ against ` +
        `MAXLEN${server.has("XTRIM … MINID ~") ? ", MINID ~ against MINID" : " (MINID needs Redis 6.2)"}, each on ` +
        `a copy (${server.has("COPY") ? "COPY" : "a DUMP/RESTORE script"})`,
      say:
        "With ~ Redis removes only whole macro nodes (listpacks of up to stream-node-max-entries, 100 by " +
        "default) and never cuts into one, so it may keep more than asked — it is cheap. Without ~ it trims " +
        "exactly. XADD takes the same options inline.",
      run: async (ctx, state) => {
        const cutoff = START + Math.floor(((p.minutes * 2) / 3) * 60_000);
        const keep = state.samples.filter((s) => s.ts >= cutoff).length;
        const minid = ctx.server.has("XTRIM … MINID ~");
        const copyMethod = ctx.server.has("COPY") ? "COPY" : "script";
        if (copyMethod === "script")
          ctx.fallback(`COPY by a DUMP/RESTORE script (COPY: ${ctx.server.missing("COPY")})`);
        if (!minid)
          ctx.fallback(
            `the XTRIM … MINID comparison left out (XTRIM … MINID: ${ctx.server.missing("XTRIM … MINID ~")})`,
          );
        const copies = {
          maxlenApprox: ctx.keys.key("metrics", tag("cpu"), "trim-maxlen-approx"),
          maxlenExact: ctx.keys.key("metrics", tag("cpu"), "trim-maxlen-exact"),
          ...(minid
            ? {
                minidApprox: ctx.keys.key("metrics", tag("cpu"), "trim-minid-approx"),
                minidExact: ctx.keys.key("metrics", tag("cpu"), "trim-minid-exact"),
              }
            : {}),
        };
        for (const key of Object.values(copies)) await copyKey(ctx.redis, state.stream, key, copyMethod);
        const before: StreamShape = await inspectStream(ctx.redis, copies.maxlenApprox);
        const removed = {
          maxlenApprox: await trimToCount(ctx.redis, copies.maxlenApprox, keep, "approximate"),
          maxlenExact: await trimToCount(ctx.redis, copies.maxlenExact, keep, "exact"),
          minidApprox: copies.minidApprox ? await trimBefore(ctx.redis, copies.minidApprox, cutoff, "approximate") : 0,
          minidExact: copies.minidExact ? await trimBefore(ctx.redis, copies.minidExact, cutoff, "exact") : 0,
        };
        const after = {
          maxlenApprox: await inspectStream(ctx.redis, copies.maxlenApprox),
          maxlenExact: await inspectStream(ctx.redis, copies.maxlenExact),
          minidApprox: copies.minidApprox ? await inspectStream(ctx.redis, copies.minidApprox) : undefined,
          minidExact: copies.minidExact ? await inspectStream(ctx.redis, copies.minidExact) : undefined,
        };
        const firstKept = state.samples.find((s) => s.ts >= cutoff);
        const firstKeptId = firstKept ? sampleId(firstKept.ts, firstKept.host === "server1" ? 0 : 1) : null;
        const row = (trim: string, asked: string | number, removedCount: number, shape: StreamShape) => [
          trim,
          asked,
          removedCount,
          shape.length,
          shape.nodes,
          shape.firstId,
        ];
        const { minidApprox, minidExact } = after;
        ctx.table({
          title: `${before.length} entries in ${before.nodes} macro nodes before trimming`,
          columns: ["XTRIM", "asked to keep", "removed", "length after", "macro nodes after", "first entry"],
          rows: [
            row(`MAXLEN ~ ${keep}`, keep, removed.maxlenApprox, after.maxlenApprox),
            row(`MAXLEN ${keep}`, keep, removed.maxlenExact, after.maxlenExact),
            ...(minidApprox && minidExact
              ? [
                  row(`MINID ~ ${cutoff}`, `from ${fmtTime(cutoff)} (${keep})`, removed.minidApprox, minidApprox),
                  row(`MINID ${cutoff}`, `from ${fmtTime(cutoff)} (${keep})`, removed.minidExact, minidExact),
                ]
              : []),
          ],
        });
        ctx.note(
          `The approximate trims ` +
            `kept ${[after.maxlenApprox, ...(minidApprox ? [minidApprox] : [])].map((a) => a.length).join(" and ")} ` +
            `entries for ${keep} asked: ` +
            "whole nodes went, the node holding the cut stayed. Exact trims cut inside that node.",
        );
        ctx.check(`MAXLEN ~ ${keep} leaves at least ${keep} entries`, after.maxlenApprox.length >= keep, {
          expected: `≥ ${keep}`,
          actual: after.maxlenApprox.length,
          evidence: () => ({
            commands: commandsOn(ctx.commands(), copies.maxlenApprox),
            values: { removed: removed.maxlenApprox },
          }),
        });
        ctx.check(`MAXLEN ${keep} leaves exactly ${keep}`, after.maxlenExact.length === keep, {
          expected: keep,
          actual: after.maxlenExact.length,
          evidence: () => ({
            commands: commandsOn(ctx.commands(), copies.maxlenExact),
            values: { removed: removed.maxlenExact },
          }),
        });
        if (minidApprox && minidExact) {
          ctx.check(
            `MINID ~ keeps every entry from ${fmtTime(cutoff)} on`,
            minidApprox.length >= keep && (minidApprox.firstId ?? "") <= (firstKeptId ?? ""),
            {
              expected: `≥ ${keep}, first ≤ ${firstKeptId}`,
              actual: `${minidApprox.length}, first ${minidApprox.firstId}`,
              evidence: () => ({
                commands: commandsOn(ctx.commands(), copies.minidApprox ?? ""),
                values: { removed: removed.minidApprox },
              }),
            },
          );
          ctx.check(
            `MINID (exact) leaves exactly the ${keep} entries from ${fmtTime(cutoff)} on`,
            minidExact.length === keep && minidExact.firstId === firstKeptId,
            {
              expected: `${keep}, first ${firstKeptId}`,
              actual: `${minidExact.length}, first ${minidExact.firstId}`,
              evidence: () => ({
                commands: commandsOn(ctx.commands(), copies.minidExact ?? ""),
                values: { removed: removed.minidExact },
              }),
            },
          );
        }
        ctx.metric("trimKeep", keep);
        ctx.metric("approxMaxlenLeft", after.maxlenApprox.length);
        ctx.metric("exactMaxlenLeft", after.maxlenExact.length);
        ctx.metric("approxMinidLeft", minidApprox?.length ?? null);
        ctx.metric("exactMinidLeft", minidExact?.length ?? null);
      },
    },
  ],
});
