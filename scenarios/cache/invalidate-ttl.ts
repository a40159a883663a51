import { readCacheAside, userName, type UserRow } from "../../src/patterns/cache/index.js";
import { stallWords } from "../../src/runner/stalls.js";
import { commandsNamed, commandsOn, lastSeq } from "../../src/runner/evidence.js";
import { dbEvidence } from "./evidence.js";
import { defineScenario, type ScenarioContext } from "../../src/runner/types.js";
import {
  dbStatements,
  ms,
  openOrigin,
  originState,
  originTitle,
  releaseOrigin,
  sleep,
  type OriginState,
} from "./origin.js";
import { CHAPTER_CACHING, defaultInvalidationParams, type InvalidationParams } from "./params.js";

interface TtlRead {
  round: number;
  id: number;
  /** ms since the database write. */
  at: number;
  hit: boolean;
  version: number;
  stale: boolean;
  /** The trace's last sequence number when the read returned. */
  seq: number;
}

interface TtlState extends OriginState {
  /** The trace's last sequence number when the database writes were done. */
  writeSeq?: number;
  filledAt: Map<number, number>;
  /** When the warm-up began: no entry can expire before this + the TTL (the client's clock, conservatively). */
  warmStartedAt: number;
  ttls: number[];
  writtenAt: number;
  newVersion: number;
  reads: TtlRead[];
  hits: number;
  misses: number;
}

const POLL_MS = 40;

function key(ctx: ScenarioContext<InvalidationParams>, id: number): string {
  return ctx.keys.key("cache", "ttl", "user", id);
}

export default defineScenario<InvalidationParams, TtlState>({
  id: "cache/invalidate-ttl",
  title: (p) => `TTL invalidation: entries expire after ${p.ttlMs} ms, in real time · ${originTitle(p)}`,
  explain:
    "The simplest invalidation: every entry is written with a TTL and nobody deletes it. After a database " +
    "write the cache keeps serving the old row until Redis expires the entry on its own; the next read misses " +
    "and loads the new row. Stale for at most the TTL: short TTLs mean fresher data and more misses.",
  chapter: CHAPTER_CACHING,
  defaults: defaultInvalidationParams,
  init: () => ({
    ...originState(),
    filledAt: new Map(),
    ttls: [],
    writtenAt: 0,
    warmStartedAt: 0,
    newVersion: 2,
    reads: [],
    hits: 0,
    misses: 0,
  }),
  needs: ["GET", "SET … PX", "PTTL"],
  steps: (p) => [
    {
      title: `The origin database: ${p.keys} users`,
      run: async (ctx, state) => {
        await openOrigin(ctx, state, p.keys);
      },
    },
    {
      title: `Warm the cache: read users 1…${p.keys} (miss → SELECT → SET … PX ${p.ttlMs}), then PTTL`,
      say: "Each entry gets its TTL in the same command that stores it (SET … PX), so no entry can live forever.",
      run: async (ctx, state) => {
        state.warmStartedAt = performance.now();
        for (let id = 1; id <= p.keys; id++) {
          const read = await readCacheAside(ctx.redis, state.db!, key(ctx, id), id, { ttlMs: p.ttlMs });
          if (read.hit) state.hits += 1;
          else state.misses += 1;
          state.filledAt.set(id, performance.now());
          state.ttls.push(Number(await ctx.redis.call("PTTL", key(ctx, id))));
        }
        const ok = state.ttls.every((t) => t > 0 && t <= p.ttlMs);
        ctx.check(`every entry was stored with its TTL (0 < PTTL ≤ ${p.ttlMs} ms)`, ok, {
          expected: `1…${p.ttlMs}`,
          actual: state.ttls,
          evidence: () => ({ commands: commandsNamed(ctx.commands(), ["PTTL"]) }),
        });
      },
    },
    {
      title: "The database changes: every user gets a new name (UPDATE), and the cache is not told",
      say: "TTL-only invalidation: writes do not touch the cache. What the cache holds is now older than the database.",
      run: async (ctx, state) => {
        for (let id = 1; id <= p.keys; id++) {
          const row: UserRow = { id, name: userName(id, state.newVersion), version: state.newVersion };
          await state.db!.updateUser(row);
        }
        state.writtenAt = performance.now();
        state.writeSeq = lastSeq(ctx.commands());
      },
    },
    {
      title: `Read every ${POLL_MS} ms until the cache serves the new rows (real waiting: Redis expires the entries)`,
      say:
        "Each round reads every user. A hit returns the old row (stale); once Redis has dropped the entry, the " +
        "read misses, loads the new row and caches it.",
      run: async (ctx, state) => {
        const deadline = state.writtenAt + 3 * p.ttlMs + 1_000;
        const fresh = new Set<number>();
        for (let round = 1; fresh.size < p.keys && performance.now() < deadline; round++) {
          if (round > 1) await sleep(POLL_MS, ctx.signal);
          for (let id = 1; id <= p.keys; id++) {
            if (fresh.has(id)) continue;
            const read = await readCacheAside(ctx.redis, state.db!, key(ctx, id), id, { ttlMs: p.ttlMs });
            if (read.hit) state.hits += 1;
            else state.misses += 1;
            const version = read.row?.version ?? 0;
            const stale = version < state.newVersion;
            const at = performance.now() - state.writtenAt;
            state.reads.push({ round, id, at, hit: read.hit, version, stale, seq: lastSeq(ctx.commands()) });
            if (!stale) fresh.add(id);
          }
        }
        const rounds = [...new Set(state.reads.map((r) => r.round))];
        ctx.table({
          columns: ["round", "ms after the write", "stale (old row from the cache)", "fresh"],
          rows: rounds.map((round) => {
            const mine = state.reads.filter((r) => r.round === round);
            return [round, ms(mine[0]!.at), mine.filter((r) => r.stale).length, mine.filter((r) => !r.stale).length];
          }),
        });
      },
    },
    {
      title: "Verdict",
      run: async (ctx, state) => {
        // The evidence: the commands on the entries after the database write, up to the given read; each read.
        const keys = Array.from({ length: p.keys }, (_, i) => key(ctx, i + 1));
        const readsEvidence = (reads: TtlRead[]) => () => ({
          commands: commandsOn(ctx.commands(), keys, {
            after: state.writeSeq,
            upTo: Math.max(0, ...reads.map((r) => r.seq)),
          }),
          values: Object.fromEntries(
            reads
              .slice(0, 8)
              .map((r) => [`round ${r.round}, user:${r.id}`, `${r.hit ? "hit" : "miss"}, v${r.version}`]),
          ),
        });
        const stale = state.reads.filter((r) => r.stale);
        const firstRound = state.reads.filter((r) => r.round === 1);
        // A fresh read in round 1 is only wrong if its entry could not have expired yet: read before warm-up + TTL.
        // Later than that, Redis may rightly have dropped it: this machine was too slow to show the stale window.
        const expiresNotBefore = state.warmStartedAt + p.ttlMs;
        const freshInTime = firstRound.filter((r) => !r.stale && state.writtenAt + r.at < expiresNotBefore);
        const freshLate = firstRound.filter((r) => !r.stale && state.writtenAt + r.at >= expiresNotBefore);
        if (firstRound.length > 0 && freshInTime.length === 0 && freshLate.length > 0) {
          const stalled = stallWords(ctx.stalls.longest(state.warmStartedAt));
          ctx.inconclusive(
            `the first read after the write ` +
              `came ${Math.round(state.writtenAt + Math.max(...freshLate.map((r) => r.at)) - state.warmStartedAt)} ` +
              `ms after the entries were cached, past their ${p.ttlMs} ms TTL: this machine was too slow to show ` +
              `the stale window` +
              (stalled ? ` (${stalled})` : ""),
          );
        } else {
          ctx.check(
            "right after the write the cache serves the old rows (TTL-only invalidation is stale until expiry)",
            firstRound.length > 0 && firstRound.every((r) => r.stale),
            {
              expected: `${p.keys} stale in round 1`,
              actual: `${firstRound.filter((r) => r.stale).length} stale in round 1`,
              evidence: readsEvidence(firstRound),
            },
          );
        }
        const recovered = [];
        for (let id = 1; id <= p.keys; id++) {
          const firstFresh = state.reads.find((r) => r.id === id && !r.stale);
          if (firstFresh && !firstFresh.hit && firstFresh.version === state.newVersion) recovered.push(id);
        }
        ctx.check(
          "once its TTL ran out, Redis had dropped each entry by itself and the next read loaded the new row",
          recovered.length === p.keys,
          {
            expected: p.keys,
            actual: recovered.length,
            evidence: readsEvidence(
              Array.from(
                { length: p.keys },
                (_, i) =>
                  state.reads.find((r) => r.id === i + 1 && !r.stale) ??
                  state.reads.filter((r) => r.id === i + 1).at(-1),
              ).filter((r) => r !== undefined),
            ),
          },
        );
        const selects = dbStatements(ctx.commands()).filter((c) => /^SELECT\b/.test(c.argv[0] ?? "")).length;
        ctx.check("the database was read only on misses", selects === state.misses, {
          expected: state.misses,
          actual: selects,
          evidence: dbEvidence(ctx.commands, { misses: state.misses }),
        });
        // How long each user was served stale: from the write to its first fresh read.
        const windows = [];
        for (let id = 1; id <= p.keys; id++) {
          const firstFresh = state.reads.find((r) => r.id === id && !r.stale);
          if (firstFresh) windows.push(firstFresh.at);
        }
        const worst = windows.length > 0 ? Math.max(...windows) : null;
        ctx.metric("hits", state.hits);
        ctx.metric("misses", state.misses);
        ctx.metric("dbReads", state.db!.counts.reads);
        ctx.metric("dbWrites", state.db!.counts.writes);
        ctx.metric("staleReads", stale.length);
        ctx.metric("ttlMs", p.ttlMs);
        ctx.metric("staleWindowMaxMs", ms(worst));
        ctx.figure({
          what: "how long a write stays invisible",
          chapter: "TTL: auto-expire after N seconds",
          measured:
            worst === null
              ? "never became fresh"
              : `stale for up to ${Math.round(worst)} ms after the write (TTL ${p.ttlMs} ms, reads ` +
                `every ${POLL_MS} ms)`,
          agrees: worst !== null && worst <= p.ttlMs + 2 * POLL_MS,
          note: "bounded by the TTL left when the write happened, plus the read interval",
        });
      },
    },
  ],
  teardown: (ctx, state) => releaseOrigin(ctx, state),
});
