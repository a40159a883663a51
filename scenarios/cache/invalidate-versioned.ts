import { bumpNamespaceVersion, ensureNamespaceVersion, readVersioned } from "../../src/patterns/cache/index.js";
import { stallWords } from "../../src/runner/stalls.js";
import { commandsOn, commandsWhere } from "../../src/runner/evidence.js";
import { defineScenario, type ScenarioContext, type TableData } from "../../src/runner/types.js";
import { openOrigin, originState, originTitle, releaseOrigin, sleep, type OriginState } from "./origin.js";
import { CHAPTER_CACHING, defaultInvalidationParams, type InvalidationParams } from "./params.js";

interface VersionedRead {
  phase: "before" | "after";
  id: number;
  key: string;
  hit: boolean;
  version: number;
  stale: boolean;
}

interface VersionedState extends OriginState {
  versionKey: string;
  namespace: number[];
  versions: Map<number, number>;
  reads: VersionedRead[];
  oldKeys: string[];
  oldAfterBump: number;
  /** When the v1 entries began to be cached: none can expire before this + the TTL (the client's clock). */
  cachedFrom: number;
  oldAfterTtl: number;
  /** Commands (Redis) sent by the reads after the bump. */
  readsAfterBump: string[][];
}

function versionedKey(ctx: ScenarioContext<InvalidationParams>, version: number, id: number): string {
  // The chapter's cache:v2:user:123, under the run's prefix.
  return ctx.keys.key("cache", `v${version}`, "user", id);
}

async function readAll(
  ctx: ScenarioContext<InvalidationParams>,
  state: VersionedState,
  phase: VersionedRead["phase"],
): Promise<void> {
  for (let id = 1; id <= ctx.params.keys; id++) {
    const read = await readVersioned(ctx.redis, state.db!, state.versionKey, (v, i) => versionedKey(ctx, v, i), id, {
      ttlMs: ctx.params.ttlMs,
    });
    const version = read.row?.version ?? 0;
    state.reads.push({
      phase,
      id,
      key: read.key,
      hit: read.hit,
      version,
      stale: version < (state.versions.get(id) ?? 1),
    });
  }
}

function readsTable(state: VersionedState, phase: VersionedRead["phase"]): TableData {
  return {
    columns: ["user", "key read", "hit", "version", "database has"],
    rows: state.reads
      .filter((r) => r.phase === phase)
      .map((r) => [`user:${r.id}`, r.key, r.hit, r.version, state.versions.get(r.id) ?? 1]),
  };
}

async function countExisting(ctx: ScenarioContext<InvalidationParams>, keys: string[]): Promise<number> {
  let n = 0;
  for (const key of keys) n += Number(await ctx.redis.call("EXISTS", key));
  return n;
}

export default defineScenario<InvalidationParams, VersionedState>({
  id: "cache/invalidate-versioned",
  title: (p) => `Versioned keys: bump the version, old entries age out by TTL (${p.ttlMs} ms) · ${originTitle(p)}`,
  explain:
    "Every entry lives under a namespace version (cache:v1:user:17). Readers GET the current version first, then the " +
    "entry under it. After a change to many rows (a migration, a new format), one INCR moves every reader to " +
    "cache:v2:… — they miss and load the new rows. Nothing is deleted: the v1 entries are unreachable and leave when " +
    "their TTL ends. One command invalidates any number of entries, at the cost of an extra GET per read and memory " +
    "held until the old TTLs run out.",
  chapter: CHAPTER_CACHING,
  defaults: { ...defaultInvalidationParams, ttlMs: 300 },
  init: () => ({
    ...originState(),
    versionKey: "",
    namespace: [],
    versions: new Map(),
    reads: [],
    oldKeys: [],
    oldAfterBump: 0,
    cachedFrom: 0,
    oldAfterTtl: 0,
    readsAfterBump: [],
  }),
  needs: ["GET", "SET … PX", "INCR", "EXISTS", "PTTL"],
  steps: (p) => [
    {
      title: `The origin database: ${p.keys} users`,
      run: async (ctx, state) => {
        await openOrigin(ctx, state, p.keys);
      },
    },
    {
      title: `Read users 1…${p.keys} under namespace v1 (twice: misses, then hits)`,
      say:
        "SET version 1 NX starts the namespace. Each read: GET the version, then GET cache:v<version>:user:<id>; " +
        "a miss loads the row and SETs it with the TTL.",
      run: async (ctx, state) => {
        state.versionKey = ctx.keys.key("cache", "user", "version");
        state.namespace.push(await ensureNamespaceVersion(ctx.redis, state.versionKey));
        state.cachedFrom = performance.now();
        await readAll(ctx, state, "before");
        await readAll(ctx, state, "before");
        state.oldKeys = [...new Set(state.reads.map((r) => r.key))];
        ctx.table(readsTable(state, "before"));
      },
    },
    {
      title: "A bulk change: every user renamed in one UPDATE, then INCR the namespace version",
      say:
        "One INCR invalidates every entry of the namespace: no SCAN for the keys, no DEL of thousands of " +
        "entries, no reader racing a delete.",
      run: async (ctx, state) => {
        const changed = await state.db!.renameAllUsers(" (migrated)");
        for (let id = 1; id <= p.keys; id++) state.versions.set(id, 2);
        state.namespace.push(await bumpNamespaceVersion(ctx.redis, state.versionKey));
        ctx.note(`${changed} rows changed; the namespace is now v${state.namespace[state.namespace.length - 1]}`);
      },
    },
    {
      title:
        "Read again: the new version's keys miss and load the new rows; the v1 entries are still there, unreachable",
      say: "EXISTS on the old keys shows they have not been deleted; no read asked for them.",
      run: async (ctx, state) => {
        const before = ctx.commands().length;
        await readAll(ctx, state, "after");
        state.readsAfterBump = ctx
          .commands()
          .slice(before)
          .filter((c) => c.source !== "db")
          .map((c) => c.argv);
        ctx.table(readsTable(state, "after"));
        state.oldAfterBump = await countExisting(ctx, state.oldKeys);
        const stale = state.reads.filter((r) => r.phase === "after" && r.stale).length;
        ctx.check("after the bump no read returns an old row", stale === 0, {
          expected: 0,
          actual: stale,
          evidence: () => {
            const stale = state.reads.filter((r) => r.phase === "after" && r.stale);
            return {
              commands: commandsOn(ctx.commands(), [state.versionKey, ...stale.map((r) => r.key)]).slice(-12),
              values: Object.fromEntries(
                stale.slice(0, 6).map((r) => [r.key, `v${r.version}${r.hit ? ", a hit" : ""}`]),
              ),
            };
          },
        });
        const touchedOld = state.readsAfterBump.filter((argv) => argv.some((a) => state.oldKeys.includes(a)));
        ctx.check("no read after the bump touched a v1 entry (they are unreachable)", touchedOld.length === 0, {
          expected: 0,
          actual: touchedOld.length,
          evidence: () => ({
            commands: commandsOn(ctx.commands().slice(before), state.oldKeys).filter((c) => c.argv[0] !== "EXISTS"),
          }),
        });
        const elapsed = performance.now() - state.cachedFrom;
        if (state.oldAfterBump < state.oldKeys.length && elapsed >= p.ttlMs) {
          // Missing, but their TTL may have run out: this machine took too long to show they outlive the bump.
          const stalled = stallWords(ctx.stalls.longest(state.cachedFrom));
          ctx.inconclusive(
            `${state.oldKeys.length - state.oldAfterBump} v1 entries were gone ${Math.round(elapsed)} ms after ` +
              `they were cached, past their ${p.ttlMs} ms TTL: this machine was too slow to show them still there ` +
              `after the bump` +
              (stalled ? ` (${stalled})` : ""),
          );
        } else {
          ctx.check(
            "the v1 entries were not deleted: they are still in Redis right after the bump",
            state.oldAfterBump === state.oldKeys.length,
            {
              expected: state.oldKeys.length,
              actual: state.oldAfterBump,
              evidence: () => ({
                commands: commandsOn(ctx.commands(), state.oldKeys).filter((c) => c.argv[0] === "EXISTS"),
              }),
            },
          );
        }
      },
    },
    {
      title: `Wait for the old entries' TTL (real time, up to ${p.ttlMs} ms): they age out on their own`,
      run: async (ctx, state) => {
        let longest = 0;
        for (const key of state.oldKeys) longest = Math.max(longest, Number(await ctx.redis.call("PTTL", key)));
        ctx.note(`the longest-lived v1 entry had ${longest} ms left`);
        await sleep(longest + 20, ctx.signal);
        state.oldAfterTtl = await countExisting(ctx, state.oldKeys);
        ctx.check(
          "the v1 entries aged out by their TTL: none left, and no DEL was ever sent for them",
          state.oldAfterTtl === 0 && !ctx.commands().some((c) => c.argv[0] === "DEL"),
          {
            expected: 0,
            actual: state.oldAfterTtl,
            evidence: () => ({
              commands: commandsWhere(
                ctx.commands(),
                (c) => (c.argv[0] === "EXISTS" && state.oldKeys.includes(c.argv[1] ?? "")) || c.argv[0] === "DEL",
              ).slice(-state.oldKeys.length - 1),
            }),
          },
        );
        const reads = state.reads;
        const hits = reads.filter((r) => r.hit).length;
        ctx.metric("hits", hits);
        ctx.metric("misses", reads.length - hits);
        ctx.metric("dbReads", state.db!.counts.reads);
        ctx.metric("dbWrites", state.db!.counts.writes);
        ctx.metric("staleReads", reads.filter((r) => r.stale).length);
        ctx.metric("namespaceVersionBefore", state.namespace[0] ?? null);
        ctx.metric("namespaceVersionAfter", state.namespace[1] ?? null);
        ctx.metric("oldEntriesAfterBump", state.oldAfterBump);
        ctx.metric("oldEntriesAfterTtl", state.oldAfterTtl);
        ctx.metric("tripsPerRead", 2);
        ctx.figure({
          what: "invalidating every user",
          chapter: "versioned keys: cache:v2:user:123 (new version = new key)",
          measured:
            `1 INCR made ${state.oldKeys.length} entries unreachable; they left by TTL within ${p.ttlMs} ms; ` +
            `each read costs 2 GETs (version, entry)`,
        });
      },
    },
  ],
  teardown: (ctx, state) => releaseOrigin(ctx, state),
});
