/**
 * The stampede scenarios' verdict: how many requests went to the database per expiry, why each load happened, and
 * what the chosen protection promised.
 */
import { percentile, type StampedeFetch } from "../../src/patterns/cache/index.js";
import type { Evidence } from "../../src/check-failure.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import { stallWords } from "../../src/runner/stalls.js";
import { dbStatements, ms, p50, p99 } from "./origin.js";
import type { StampedeState } from "./stampede-state.js";
import { round, roundPercent } from "../../src/stats.js";
import { BETA, lockTtlOf, type Protection, type StampedeParams } from "./params.js";

/** The request's first GET found no entry. */
export function foundMissing(f: StampedeFetch): boolean {
  return (f.loaded && !f.early) || f.waited || f.rechecked === true;
}

/**
 * Why each database load after the first happened, from its timing (this machine's clock; the server's TTLs run from
 * no earlier than the commands' sending): the entry's TTL may have run out since the previous load stored it (a new
 * expiry: a load is due), or the previous holder's lock may have expired while it still loaded (it was slower than
 * the lock's TTL: this machine was too slow), or neither: two loads for one expiry, single flight broken.
 */
export function explainLoads(
  loads: readonly { timing: NonNullable<StampedeFetch["timing"]>; label: string }[],
  ttlMs: number,
  lockTtlMs: number,
): { expiries: number; lockExpired: string[]; unexplained: string[] } {
  const sorted = [...loads].sort((a, b) => a.timing.lockRepliedAt - b.timing.lockRepliedAt);
  const out = { expiries: 0, lockExpired: [] as string[], unexplained: [] as string[] };
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    const sinceStore = b.timing.recheckRepliedAt - a.timing.storeSentAt;
    const sinceLock = b.timing.lockRepliedAt - a.timing.lockSentAt;
    if (sinceStore >= ttlMs) out.expiries += 1;
    else if (sinceLock >= lockTtlMs)
      out.lockExpired.push(`${b.label} took the lock ${Math.round(sinceLock)} ms after ${a.label} had`);
    else
      out.unexplained.push(
        `${b.label} loaded ${Math.round(sinceLock)} ms after ${a.label} took the lock and ` +
          `${Math.round(sinceStore)} ms after it stored the entry`,
      );
  }
  return out;
}

export function verdict(ctx: ScenarioContext<StampedeParams>, state: StampedeState, protect: Protection): void {
  const p = ctx.params;
  const reqs = state.requests;
  const dbLoads = reqs.filter((r) => r.fetch.loaded).length;
  const missing = reqs.filter((r) => foundMissing(r.fetch)).length;
  const waiters = reqs.filter((r) => r.fetch.waited).length;
  const early = reqs.filter((r) => r.fetch.early).length;
  const lat = reqs.map((r) => r.ms);
  // Priming was one SELECT; every other SELECT in the trace is a load during the waves.
  const loads = dbStatements(ctx.commands())
    .filter((c) => /^SELECT\b/.test(c.argv[0] ?? ""))
    .slice(1);
  const selects = loads.length;
  // A failed check's evidence: the database loads of the waves, as the trace has them, and the counts judged.
  const evidence = (values: Evidence["values"]) => ({ commands: loads, values: { dbLoads, missing, ...values } });

  const served = reqs.filter((r) => r.fetch.row?.id === 1).length;
  ctx.check("every request got user:1", served === reqs.length, {
    expected: reqs.length,
    actual: served,
    evidence: evidence({ requests: reqs.length, served }),
  });
  ctx.check("database loads counted by the requests = SELECTs in the trace", dbLoads === selects, {
    expected: selects,
    actual: dbLoads,
    evidence: evidence({}),
  });

  if (protect === "none") {
    ctx.check(
      "without protection every request that found the entry missing queried the database",
      dbLoads === missing,
      { expected: missing, actual: dbLoads, evidence: evidence({}) },
    );
    // Usually a whole wave (p.concurrency) loads at once; on a slow machine the requests of a wave can straggle so
    // that late ones already see the reloaded entry. Several loads for one expiry is the stampede either way.
    const first = reqs.filter((r) => r.fetch.loaded && r.fetch.looked).sort((a, b) => a.at - b.at)[0];
    const gap = first?.fetch.looked;
    // Requests that asked while user:1 was certainly missing: sent after the first reload's GET found it gone,
    // answered before that reload's SET was sent. Each of them must have missed and loaded too.
    const inGap =
      gap?.storeSentAt === undefined
        ? []
        : reqs.filter(
            (r) =>
              r !== first &&
              r.fetch.looked &&
              r.fetch.looked.sentAt >= gap.repliedAt &&
              r.fetch.looked.repliedAt <= gap.storeSentAt!,
          );
    if (dbLoads < 2 && inGap.length === 0 && gap?.storeSentAt !== undefined) {
      const stalled = stallWords(ctx.stalls.longest(state.primedAt));
      ctx.inconclusive(
        `only ${dbLoads} request loaded, and no other asked while user:1 was missing (the ` +
          `${Math.round(gap.storeSentAt - gap.repliedAt)} ms ` +
          `from the reload's GET to its SET)${stalled ? `; ${stalled}` : ""}: this machine ran the wave's requests ` +
          "too far apart to show the stampede",
      );
    } else {
      ctx.check("the stampede: one expiry cost several database loads at once", dbLoads >= 2, {
        expected: `≥ 2 (up to ${p.concurrency}, one wave)`,
        actual: dbLoads,
        evidence: evidence({ "requests that asked while the entry was missing": inGap.length }),
        ...(inGap.length > 0 && dbLoads < 2
          ? { detail: `${inGap.length} requests asked while the entry was missing, yet did not load` }
          : {}),
      });
    }
  } else if (protect === "lock") {
    const lockTtl = lockTtlOf(p);
    const timed = [
      ...(state.prime?.timing ? [{ timing: state.prime.timing, label: "the priming request" }] : []),
      ...reqs.flatMap((r) =>
        r.fetch.timing ? [{ timing: r.fetch.timing, label: `${r.client} (wave ${r.wave})` }] : [],
      ),
    ];
    const why = explainLoads(timed, p.ttlMs, lockTtl);
    // A lock that lives shorter than a recompute (3 × the query's configured latency) is misconfigured, not a slow
    // machine's doing: its expiries under a loading holder count as broken single flight. (Not the measured priming
    // load: on a busy machine that is slow too, and would excuse nothing or everything.)
    const lockFits = lockTtl >= 3 * Math.max(1, p.dbLatencyMs);
    const broken = [...why.unexplained, ...(lockFits ? [] : why.lockExpired)];
    // The priming load is the first of `timed`: each expiry during the waves explains one load after it.
    if (why.expiries > 1)
      ctx.note(
        `the entry expired ${why.expiries} times during the waves (the last wave started ` +
          `${Math.round(Math.max(...reqs.map((r) => r.at)))} ms after priming): one load each is single flight`,
      );
    if (broken.length === 0 && why.lockExpired.length > 0) {
      const stalled = stallWords(ctx.stalls.longest(state.primedAt));
      ctx.inconclusive(
        `the recompute lock (${lockTtl} ms TTL) expired under a request still loading: ${why.lockExpired.join("; ")}` +
          `${stalled ? ` (${stalled})` : ""}: this machine was too slow to show single flight`,
      );
    } else {
      ctx.check(
        "single flight: one database load per expiry of the entry, none without an expiry to explain it",
        broken.length === 0 && dbLoads === why.expiries && dbLoads >= 1,
        {
          expected:
            `${Math.max(1, why.expiries)} ` +
            `(${why.expiries <= 1 ? "the one expiry" : `${why.expiries} expiries: the waves ran late`})`,
          actual: dbLoads,
          evidence: evidence({ "expiries of the entry": why.expiries, "loads no expiry explains": broken.length }),
          ...(broken.length > 0 ? { detail: broken.slice(0, 3).join("; ") } : {}),
        },
      );
    }
  } else {
    // How likely it was, given when the requests really ran, that none of those that saw the primed entry would
    // refresh it: only when that is negligible is "no request found it missing" a fair check.
    let pNone = 1;
    for (const r of reqs) {
      const { remainingMs, deltaMs } = r.fetch;
      if (r.at >= p.ttlMs || remainingMs === undefined || deltaMs === undefined || remainingMs <= 0) continue;
      pNone *= 1 - Math.exp(-remainingMs / (deltaMs * BETA));
    }
    if (pNone < 1e-3) {
      ctx.check(
        "early expiry refreshed the entry before it expired: no request found it missing",
        missing === 0 && early >= 1,
        {
          expected: "0 missing, ≥ 1 early refresh",
          actual: `${missing} missing, ${early} early refreshes`,
          evidence: evidence({ "early refreshes": early }),
          detail: `chance that no request refreshes in time with these settings: ${pNone.toExponential(1)}`,
        },
      );
    } else {
      ctx.note(
        "with these settings the chance that no request refreshes before the expiry is " +
          `${roundPercent(pNone, 1)}%, so a miss is possible and not checked (${missing} requests found the ` +
          "entry missing)",
      );
    }
  }

  ctx.metric("requests", reqs.length);
  ctx.metric("concurrency", p.concurrency);
  ctx.metric("dbLoads", dbLoads);
  ctx.metric("waiters", waiters);
  ctx.metric("earlyRefreshes", early);
  ctx.metric("hits", reqs.filter((r) => r.fetch.hit).length);
  ctx.metric("misses", missing);
  ctx.metric("dbReads", state.db!.counts.reads);
  ctx.metric("dbWrites", state.db!.counts.writes);
  ctx.metric("staleReads", 0);
  ctx.metric("latencyP50Ms", p50(lat));
  ctx.metric("latencyP99Ms", p99(lat));
  ctx.metric("latencyMaxMs", ms(percentile(lat, 100)));
  ctx.metric("recomputeMs", ms(state.primeDeltaMs));
  ctx.metric("commandsPerRequest", round(state.waveCommands / Math.max(1, reqs.length), 2));
  ctx.note(
    `${dbLoads} database load${dbLoads === 1 ? "" : "s"} for ${reqs.length} requests; ${missing} found the entry ` +
      `missing, ${waiters} waited; latency p50 ${p50(lat)} ms, p99 ${p99(lat)} ms`,
  );
}
