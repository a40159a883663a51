/**
 * Stampede protection, three ways on the same timeline: a hot entry primed with a short TTL, then waves of concurrent
 * requests (each on its own connection) spanning 1.5 × the TTL, so the entry expires once while under load.
 */
import {
  fetchUnprotected,
  fetchWithEarlyExpiry,
  fetchWithLock,
  percentile,
  seededRandom,
  type StampedeFetch,
} from "../../src/patterns/cache/index.js";
import { defineScenario, type ScenarioContext, type ScenarioDef } from "../../src/runner/types.js";
import { SCRIPTS } from "../../src/runner/support.js";
import { ms, openOrigin, originState, originTitle, p50, releaseOrigin, sleep } from "./origin.js";
import type { Client, StampedeState } from "./stampede-state.js";
import { foundMissing, verdict } from "./stampede-verdict.js";
import {
  BETA,
  CHAPTER_CACHING,
  defaultStampedeParams,
  lockTtlOf,
  type Protection,
  type StampedeParams,
} from "./params.js";

export { explainLoads } from "./stampede-verdict.js";

const POLL_MS = 10;

const short = (protect: Protection) => (protect === "early-expiry" ? "xfetch" : protect);

function waveInterval(p: StampedeParams): number {
  return Math.max(1, Math.round((1.5 * p.ttlMs) / Math.max(1, p.waves - 1)));
}

async function fetchOnce(
  ctx: ScenarioContext<StampedeParams>,
  protect: Protection,
  client: Client,
  token: string,
): Promise<StampedeFetch> {
  const p = ctx.params;
  const key = ctx.keys.key("cache", `stampede-${protect}`, "user", 1);
  const load = () => {
    // Where a test stalls this process on purpose: a holder slower than its lock's TTL.
    ctx.stalls.point("stampede-load");
    return client.db.readUser(1);
  };
  if (protect === "none") return fetchUnprotected(client.redis, key, load, { ttlMs: p.ttlMs });
  if (protect === "lock") {
    const lockKey = ctx.keys.key("cache", `stampede-${protect}`, "user", 1, "lock");
    return fetchWithLock(client.redis, key, lockKey, load, {
      ttlMs: p.ttlMs,
      lockTtlMs: lockTtlOf(p),
      pollMs: POLL_MS,
      maxWaitMs: 5_000,
      token,
    });
  }
  return fetchWithEarlyExpiry(client.redis, key, load, { ttlMs: p.ttlMs, beta: BETA, random: client.random });
}

const WORDS: Record<Protection, { title: string; explain: string; requests: string }> = {
  none: {
    title: "no protection",
    explain:
      "A hot entry expires while requests keep coming. Without protection each request that finds it missing runs " +
      "the expensive query itself, until the first one has stored the result: N concurrent requests, N database " +
      "loads (or more, if the next wave arrives before the first load is done).",
    requests: "Each request: GET; on a miss SELECT (the slow query) and SET … PX.",
  },
  lock: {
    title: "a lock (SET NX PX): one request recomputes, the others wait",
    explain:
      "Single flight: a request that finds the entry missing tries SET lock NX PX; the one that gets it runs the " +
      "query and stores the entry, then releases the lock (a script deletes it only if it still holds it). The " +
      "others poll the entry until it appears. One database load per expiry, paid for by the waiters' latency.",
    requests:
      "Each request: GET; on a miss SET …:lock <token> NX PX; the holder SELECTs, SETs, releases (EVALSHA); the " +
      `others GET every ${POLL_MS} ms.`,
  },
  "early-expiry": {
    title: "probabilistic early expiry (XFetch)",
    explain:
      "Each request reads the entry and its PTTL in one round trip and recomputes early if −delta·β·ln(random) ≥ " +
      "PTTL, where delta is how long the last recompute took (stored with the entry). The closer the expiry, the " +
      "likelier: usually one or a few requests refresh the entry shortly before it expires, and no request ever " +
      "finds it missing.",
    requests:
      "Each request: a pipeline of GET and PTTL; a request that draws 'recompute' SELECTs and SETs the entry with a " +
      "new TTL.",
  },
};

export function stampedeScenario(protect: Protection): ScenarioDef<StampedeParams, StampedeState> {
  const words = WORDS[protect];
  return defineScenario<StampedeParams, StampedeState>({
    id: `cache/stampede-${protect}`,
    title: (p) =>
      `Stampede, ${words.title}: ${p.concurrency} concurrent requests per wave, entry TTL ${p.ttlMs} ms · ` +
      `${originTitle(p)}`,
    explain: words.explain,
    chapter: CHAPTER_CACHING,
    defaults: defaultStampedeParams,
    needs: [
      "GET",
      "SET … PX",
      ...(protect === "lock" ? (["SET … NX PX", ...SCRIPTS] as const) : []),
      ...(protect === "early-expiry" ? (["PTTL"] as const) : []),
    ],
    init: () => ({
      ...originState(),
      clients: [],
      primedAt: 0,
      primeDeltaMs: 0,
      requests: [],
      waveMs: 0,
      waveCommands: 0,
    }),
    steps: (p) => [
      {
        title: "The origin database: the hot user",
        run: async (ctx, state) => {
          await openOrigin(ctx, state, 1);
        },
      },
      {
        title: `${p.concurrency} clients, each with its own Redis and database connection`,
        run: async (ctx, state) => {
          for (let i = 1; i <= p.concurrency; i++) {
            const label = `${short(protect)}-${i}`;
            state.clients.push({
              label,
              redis: await ctx.connect(label),
              db: await state.db!.connect(label),
              random: seededRandom(p.seed * 1_000 + i),
            });
          }
        },
      },
      {
        title: `Prime: one request loads user:1 and caches it for ${p.ttlMs} ms`,
        run: async (ctx, state) => {
          const started = performance.now();
          const first = await fetchOnce(ctx, protect, state.clients[0]!, "prime");
          state.prime = first;
          state.primeDeltaMs = performance.now() - started;
          state.primedAt = performance.now();
          if (!first.loaded) throw new Error("the hot entry existed before priming");
        },
      },
      {
        title:
          `${p.waves} waves of ${p.concurrency} concurrent requests, every ${waveInterval(p)} ms, across the expiry ` +
          `at ~${p.ttlMs} ms`,
        say: `${words.requests} The waves span 1.5 × the TTL, so the entry expires once while requests keep coming.`,
        run: async (ctx, state) => {
          const interval = waveInterval(p);
          const before = ctx.commands().length;
          const started = performance.now();
          for (let w = 0; w < p.waves; w++) {
            await sleep(state.primedAt + w * interval - performance.now(), ctx.signal);
            const at = performance.now() - state.primedAt;
            const results = await Promise.all(
              state.clients.map(async (client) => {
                const t0 = performance.now();
                const fetch = await fetchOnce(ctx, protect, client, `${client.label}:${w + 1}`);
                return { wave: w + 1, client: client.label, at, ms: performance.now() - t0, fetch };
              }),
            );
            state.requests.push(...results);
          }
          state.waveMs = performance.now() - started;
          state.waveCommands = ctx.commands().length - before;
          ctx.table({
            columns: [
              "wave",
              "ms after priming",
              "hits",
              "found it missing",
              "database loads",
              "waited",
              "early refreshes",
              "p50 ms",
              "max ms",
            ],
            rows: Array.from({ length: p.waves }, (_, i) => {
              const mine = state.requests.filter((r) => r.wave === i + 1);
              const lat = mine.map((r) => r.ms);
              return [
                i + 1,
                ms(mine[0]?.at),
                mine.filter((r) => r.fetch.hit).length,
                mine.filter((r) => foundMissing(r.fetch)).length,
                mine.filter((r) => r.fetch.loaded).length,
                mine.filter((r) => r.fetch.waited).length,
                mine.filter((r) => r.fetch.early).length,
                p50(lat),
                ms(percentile(lat, 100)),
              ];
            }),
          });
        },
      },
      {
        title: "Verdict: database loads, waiters, latency",
        run: async (ctx, state) => verdict(ctx, state, protect),
      },
    ],
    teardown: (ctx, state) => releaseOrigin(ctx, state),
  });
}
