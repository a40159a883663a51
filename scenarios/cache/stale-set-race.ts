import type { Redis } from "ioredis";
import {
  deleteCachedUser,
  fillIfNewer,
  getCachedUser,
  invalidateWithTombstone,
  readCacheAside,
  readFenced,
  setCachedUser,
  userName,
  type CacheRead,
  type OriginDb,
  type UserRow,
} from "../../src/patterns/cache/index.js";
import { defineScenario, type ScenarioContext, type TableData } from "../../src/runner/types.js";
import { SCRIPTS } from "../../src/runner/support.js";
import { openOrigin, originState, originTitle, releaseOrigin, type OriginState } from "./origin.js";
import { CHAPTER_CACHING, defaultRaceParams, type RaceParams } from "./params.js";
import { commandsOn } from "../../src/runner/evidence.js";

interface Actor {
  redis: Redis;
  db: OriginDb;
}

interface RaceState extends OriginState {
  reader?: Actor;
  writer?: Actor;
  versions: Map<number, number>;
  timeline: { run: "without the fix" | "with the fix"; who: string; what: string; result: string }[];
  without: { cached: UserRow | null; stale: number; pttl: number };
  with: { refused: boolean; cached: UserRow | null; stale: number };
  hits: number;
  misses: number;
}

function key(ctx: ScenarioContext<RaceParams>, variant: string, id: number): string {
  return ctx.keys.key("cache", "race", variant, "user", id);
}

const show = (row: UserRow | null): string => (row ? `v${row.version} "${row.name}"` : "(nil)");

function timelineTable(state: RaceState, run: RaceState["timeline"][number]["run"]): TableData {
  return {
    columns: ["#", "who", "does", "result"],
    rows: state.timeline.filter((t) => t.run === run).map((t, i) => [i + 1, t.who, t.what, t.result]),
  };
}

/**
 * The race's first half, the same with and without the fix: the reader's GET misses and its SELECT reads v1, then the
 * writer commits v2, each logged in the run's timeline. What follows (DEL or a tombstone, the reader's fill) differs.
 */
async function readThenUpdate(
  ctx: ScenarioContext<RaceParams>,
  state: RaceState,
  run: RaceState["timeline"][number]["run"],
  variant: string,
  id: number,
) {
  const { reader, writer } = state as Required<RaceState>;
  const k = key(ctx, variant, id);
  const log = (who: string, what: string, result: string) => state.timeline.push({ run, who, what, result });
  log("reader", `GET ${k}`, show(await getCachedUser(reader.redis, k)));
  const old = await reader.db.readUser(id);
  log("reader", `SELECT user ${id}`, show(old));
  await writer.db.updateUser({ id, name: userName(id, 2), version: 2 });
  state.versions.set(id, 2);
  log("writer", `UPDATE user ${id}`, "v2 committed");
  return { reader, writer, k, old: old!, log };
}

/**
 * The later reads of one user, `reads` of them through `read`: each counted as a hit or a miss, judged stale against
 * the database's version (counted in `outcome`), as a table.
 */
async function laterReads(
  ctx: ScenarioContext<RaceParams>,
  state: RaceState,
  id: number,
  outcome: { stale: number },
  read: () => Promise<CacheRead>,
): Promise<TableData> {
  const rows: TableData["rows"] = [];
  for (let i = 0; i < ctx.params.reads; i++) {
    const { hit, row } = await read();
    if (hit) state.hits += 1;
    else state.misses += 1;
    const stale = (row?.version ?? 0) < (state.versions.get(id) ?? 1);
    if (stale) outcome.stale += 1;
    rows.push([i + 1, hit ? "hit" : "miss", show(row), `v${state.versions.get(id)}`, stale ? "✗ stale" : "✓"]);
  }
  return { columns: ["read", "", "returned", "database has", ""], rows };
}

export default defineScenario<RaceParams, RaceState>({
  id: "cache/stale-set-race",
  title: (p) => `The cache-aside stale-set race, reproduced step by step, and a fix · ${originTitle(p)}`,
  explain:
    "Cache-aside's classic race: a reader misses and reads the database; before it stores what it read, a writer " +
    "updates the database and deletes the entry; then the reader SETs the row it read, which is now old. Every read " +
    "serves that old row until the TTL ends. The interleaving is forced here, one command at a time, on two " +
    "connections. The fix shown: the writer leaves a tombstone with the new version instead of deleting, and every " +
    "fill goes through a script that refuses a version older than what the entry holds.",
  chapter: CHAPTER_CACHING,
  defaults: defaultRaceParams,
  init: () => ({
    ...originState(),
    versions: new Map(),
    timeline: [],
    without: { cached: null, stale: 0, pttl: 0 },
    with: { refused: false, cached: null, stale: 0 },
    hits: 0,
    misses: 0,
  }),
  needs: ["GET", "SET … PX", "DEL", "PTTL", ...SCRIPTS],
  steps: (p) => [
    {
      title: "The origin database: users 1 and 2; a reader and a writer, each with its own connections",
      run: async (ctx, state) => {
        const db = await openOrigin(ctx, state, 2);
        state.reader = { redis: await ctx.connect("reader"), db: await db.connect("reader") };
        state.writer = { redis: await ctx.connect("writer"), db: await db.connect("writer") };
      },
    },
    {
      title: "Without the fix (user:1): miss, SELECT … UPDATE, DEL … then the reader's late SET",
      say:
        "The reader's GET misses and its SELECT returns v1. Before it stores v1, the writer commits v2 and " +
        "deletes the entry. The reader's SET then puts v1 back.",
      run: async (ctx, state) => {
        const { reader, writer, k, old, log } = await readThenUpdate(ctx, state, "without the fix", "plain", 1);
        log("writer", `DEL ${k}`, (await deleteCachedUser(writer.redis, k)) ? "deleted" : "(nothing to delete)");
        await setCachedUser(reader.redis, k, old, p.ttlMs);
        log("reader", `SET ${k} v1 PX ${p.ttlMs}`, "OK: the old row is back in the cache");
        ctx.table(timelineTable(state, "without the fix"));
      },
    },
    {
      title: `Without the fix: ${p.reads} later reads of user:1`,
      say: "Plain cache-aside reads: they hit, and return v1 while the database holds v2.",
      run: async (ctx, state) => {
        const k = key(ctx, "plain", 1);
        const reads = await laterReads(ctx, state, 1, state.without, () =>
          readCacheAside(ctx.redis, state.db!, k, 1, { ttlMs: p.ttlMs }),
        );
        state.without.cached = await getCachedUser(ctx.redis, k);
        state.without.pttl = Number(await ctx.redis.call("PTTL", k));
        ctx.table(reads);
        ctx.note(`the stale entry stays for its whole TTL: PTTL ${state.without.pttl} ms`);
        ctx.check(
          "the race reproduces without the fix: the cache holds v1 while the database holds v2, and every read " +
            "is stale",
          state.without.stale === p.reads && state.without.cached?.version === 1,
          {
            expected: `${p.reads} stale reads, cache at v1`,
            actual: `${state.without.stale} stale reads, cache at ${show(state.without.cached)}`,
            evidence: () => ({
              commands: commandsOn(ctx.commands(), k),
              values: { "PTTL of the stale entry (ms)": state.without.pttl ?? null },
            }),
          },
        );
      },
    },
    {
      title: "With the fix (user:2): the same interleaving, with a tombstone and a fill that checks versions",
      say:
        `The writer replaces the entry by a tombstone carrying v2 (PX ${p.tombstoneTtlMs}) instead of deleting ` +
        `it; the reader fills through the fill-if-newer script, which refuses v1.`,
      run: async (ctx, state) => {
        const { reader, writer, k, old, log } = await readThenUpdate(ctx, state, "with the fix", "fenced", 2);
        const tomb = await invalidateWithTombstone(writer.redis, k, 2, 2, p.tombstoneTtlMs);
        log("writer", `tombstone v2 on ${k} (EVALSHA fill-if-newer)`, tomb ? "stored" : "refused");
        const stored = await fillIfNewer(reader.redis, k, old, p.ttlMs);
        state.with.refused = !stored;
        log(
          "reader",
          `fill v1 into ${k} (EVALSHA fill-if-newer)`,
          stored ? "stored: the fix failed" : "refused: the cache knows of v2",
        );
        ctx.table(timelineTable(state, "with the fix"));
      },
    },
    {
      title: `With the fix: ${p.reads} later reads of user:2`,
      say: "The first read finds the tombstone (a miss), loads v2 and fills it; the others hit v2.",
      run: async (ctx, state) => {
        const k = key(ctx, "fenced", 2);
        const reads = await laterReads(ctx, state, 2, state.with, () =>
          readFenced(ctx.redis, state.db!, k, 2, { ttlMs: p.ttlMs }),
        );
        state.with.cached = await getCachedUser(ctx.redis, k);
        ctx.table(reads);
        ctx.check("with the fix the reader's late fill of v1 was refused", state.with.refused, {
          expected: "refused",
          actual: state.with.refused ? "refused" : "stored",
          evidence: () => ({ commands: commandsOn(ctx.commands(), k).filter((c) => c.client !== "main") }),
        });
        ctx.check(
          "with the fix no read is stale, and the cache holds v2",
          state.with.stale === 0 && state.with.cached?.version === 2,
          {
            expected: "0 stale reads, cache at v2",
            actual: `${state.with.stale} stale reads, cache at ${show(state.with.cached)}`,
            evidence: () => ({ commands: commandsOn(ctx.commands(), k) }),
          },
        );
        ctx.metric("hits", state.hits);
        ctx.metric("misses", state.misses);
        ctx.metric("dbReads", state.db!.counts.reads);
        ctx.metric("dbWrites", state.db!.counts.writes);
        ctx.metric("staleReads", state.without.stale + state.with.stale);
        ctx.metric("staleReadsWithoutFix", state.without.stale);
        ctx.metric("staleReadsWithFix", state.with.stale);
        ctx.metric("staleEntryTtlMs", state.without.pttl);
        ctx.figure({
          what: "stale data with cache-aside",
          chapter: "cons: stale data possible",
          measured:
            `one unlucky interleaving: ${state.without.stale} of ${p.reads} reads stale, for up to ${p.ttlMs} ` +
            `ms; with tombstone + fill-if-newer: ${state.with.stale}`,
          agrees: state.without.stale > 0,
        });
      },
    },
  ],
  teardown: (ctx, state) => releaseOrigin(ctx, state),
});
