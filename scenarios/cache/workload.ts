/**
 * The four strategies on one workload: the same reads and writes over the same skewed users, against a real
 * database, each judged by the same verdict (hits, misses, stale reads, latencies, what the database holds).
 */
import {
  generateWorkload,
  modelStrategy,
  percentile,
  readCacheAside,
  type CacheRead,
  type OriginDb,
  type Strategy,
  type UserRow,
  type WorkloadOp,
} from "../../src/patterns/cache/index.js";
import type { RecordedCommand } from "../../src/redis/recorder.js";
import type { Evidence } from "../../src/check-failure.js";
import {
  defineScenario,
  type ScenarioContext,
  type ScenarioDef,
  type StepDef,
  type TableData,
} from "../../src/runner/types.js";
import { SCRIPTS } from "../../src/runner/support.js";
import { readsEvidence } from "./evidence.js";
import { commandsWhere } from "../../src/runner/evidence.js";
import {
  dbStatements,
  ms,
  openOrigin,
  originState,
  originTitle,
  p50,
  p99,
  ratio,
  releaseOrigin,
  since,
  type OriginState,
} from "./origin.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";
import { round, roundPercent } from "../../src/stats.js";
import { CHAPTER_CACHING, defaultWorkloadParams, type WorkloadParams } from "./params.js";

export interface ReadRecord {
  seq: number;
  id: number;
  hit: boolean;
  version: number;
  /** The database's version at the moment the read returned. */
  dbVersion: number;
  stale: boolean;
  ms: number;
  /** Commands and statements this read sent (round trips: none of them is batched). */
  trips: number;
}

export interface WriteRecord {
  seq: number;
  row: UserRow;
  ms: number;
  /** performance.now() when the write returned (acknowledged to the user). */
  ackAt: number;
}

export interface WorkloadState extends OriginState {
  ops: WorkloadOp[];
  /** The database's version of each user, as the app's writes changed it (updated when a write commits). */
  dbVersions: Map<number, number>;
  /** The newest version acknowledged to a writer, per user. */
  acked: Map<number, number>;
  reads: ReadRecord[];
  writes: WriteRecord[];
  workloadMs: number;
  /** Commands of the workload step. */
  workloadCommands: RecordedCommand[];
  /** Strategy-specific state (write-behind's worker, queue and batches). */
  extra: Record<string, unknown>;
}

/** What differs between strategies: how a read and a write are done, and what else they need. */
export interface StrategyImpl {
  strategy: Strategy;
  title(p: WorkloadParams): string;
  explain: string;
  /** Words for the workload step: what a read and a write send. */
  readsAndWrites: string;
  /** A read; without one, a cache-aside read of the strategy's entry ({@link entryKey}). */
  read?(ctx: ScenarioContext<WorkloadParams>, state: WorkloadState, db: OriginDb, id: number): Promise<CacheRead>;
  /** The strategy's entry for a user, where it is not {@link cacheKey}'s. */
  keyOf?(ctx: ScenarioContext<WorkloadParams>, id: number): string;
  write(ctx: ScenarioContext<WorkloadParams>, state: WorkloadState, db: OriginDb, row: UserRow): Promise<void>;
  /** After the table exists, before the workload (write-behind starts its worker). */
  prepare?(ctx: ScenarioContext<WorkloadParams>, state: WorkloadState, db: OriginDb): Promise<void>;
  /** Extra steps between the workload and the verdict (write-behind's final flush or crash). */
  extraSteps?(p: WorkloadParams): StepDef<WorkloadParams, WorkloadState>[];
  /** Checks and figures of this strategy, after the common ones; `dbRows` is the database's content now. */
  verdict(ctx: ScenarioContext<WorkloadParams>, state: WorkloadState, dbRows: UserRow[]): void;
}

export function cacheKey(ctx: ScenarioContext<WorkloadParams>, strategy: Strategy, id: number): string {
  return ctx.keys.key("cache", strategy, "user", id);
}

/** The entry a strategy caches a user in. */
export function entryKey(ctx: ScenarioContext<WorkloadParams>, impl: StrategyImpl, id: number): string {
  return impl.keyOf ? impl.keyOf(ctx, id) : cacheKey(ctx, impl.strategy, id);
}

/** A verdict's reads as evidence: the workload's commands on those users' entries, the first read. */
export function strategyReads(
  ctx: ScenarioContext<WorkloadParams>,
  impl: StrategyImpl,
  state: WorkloadState,
  reads: readonly ReadRecord[],
): () => Evidence {
  return readsEvidence(state.workloadCommands, reads, (id) => entryKey(ctx, impl, id));
}

/** The database as a write path sees it: each UPDATE, once committed, entered in the app's view of the database. */
export function committing(state: WorkloadState, db: OriginDb): Pick<OriginDb, "updateUser"> {
  return {
    updateUser: async (row) => {
      const n = await db.updateUser(row);
      committed(state, row);
      return n;
    },
  };
}

export function workloadScenario(impl: StrategyImpl): ScenarioDef<WorkloadParams, WorkloadState> {
  return defineScenario<WorkloadParams, WorkloadState>({
    id: `cache/${impl.strategy}`,
    title: (p) => `${impl.title(p)} · ${originTitle(p)}`,
    explain: impl.explain,
    chapter: CHAPTER_CACHING,
    defaults: defaultWorkloadParams,
    // A cached row (about 200 bytes of JSON) per user read or written, the write-behind stream's entries.
    footprint: (p) => Math.min(p.keys, p.reads + p.writes) * (B.key + 256) + p.writes * B.streamEntry + 64 * 1024,
    needs:
      impl.strategy === "write-behind"
        ? ["GET", "SET … PX", "XADD", "XRANGE", "XLEN", "XDEL", ...SCRIPTS]
        : ["GET", "SET … PX", "DEL"],
    init: (p) => ({
      ...originState(),
      ops: generateWorkload({ reads: p.reads, writes: p.writes, keys: p.keys, seed: p.seed }),
      dbVersions: new Map(),
      acked: new Map(),
      reads: [],
      writes: [],
      workloadMs: 0,
      workloadCommands: [],
      extra: {},
    }),
    steps: (p) => [
      {
        title: `The origin database: ${p.keys} users in a table of the run's own`,
        say:
          "CREATE TABLE with a fresh name (never an existing table) and one INSERT of every user at version 1. " +
          "The database is the source of truth; Redis only holds copies.",
        run: async (ctx, state) => {
          const db = await openOrigin(ctx, state, p.keys);
          await impl.prepare?.(ctx, state, db);
        },
      },
      {
        title:
          `Workload: ${p.reads} reads and ${p.writes} writes over ${p.keys} users (Zipf-skewed, seed ${p.seed}), ` +
          `one at a time`,
        say:
          `${impl.readsAndWrites} A read is stale when it returns an older version than the database holds at ` +
          `that moment.`,
        run: (ctx, state) => runWorkload(ctx, state, impl),
      },
      ...(impl.extraSteps?.(p) ?? []),
      {
        title: "Verdict: the database, the model, cache reads vs database reads",
        say:
          "SELECT every user to see what the database really holds; replay the same workload through a pure " +
          "model of the strategy; compare.",
        run: (ctx, state) => verdict(ctx, state, impl),
      },
    ],
    teardown: (ctx, state) => releaseOrigin(ctx, state),
  });
}

async function runWorkload(
  ctx: ScenarioContext<WorkloadParams>,
  state: WorkloadState,
  impl: StrategyImpl,
): Promise<void> {
  const db = state.db!;
  const mark = ctx.commands().length;
  const started = performance.now();
  for (const op of state.ops) {
    if (ctx.signal.aborted) break;
    const before = ctx.commands().length;
    const t0 = performance.now();
    if (op.kind === "read") {
      const read = impl.read
        ? await impl.read(ctx, state, db, op.id)
        : await readCacheAside(ctx.redis, db, entryKey(ctx, impl, op.id), op.id, {
            ttlMs: ctx.params.ttlMs,
          });
      const took = since(t0);
      if (!read.row) throw new Error(`user ${op.id} is missing from the database`);
      const dbVersion = state.dbVersions.get(op.id) ?? 1;
      state.reads.push({
        seq: op.seq,
        id: op.id,
        hit: read.hit,
        version: read.row.version,
        dbVersion,
        stale: read.row.version < dbVersion,
        ms: took,
        trips: ctx.commands().length - before,
      });
    } else {
      await impl.write(ctx, state, db, op.row);
      const ackAt = performance.now();
      state.writes.push({ seq: op.seq, row: op.row, ms: ackAt - t0, ackAt });
      state.acked.set(op.row.id, op.row.version);
    }
  }
  state.workloadMs = since(started);
  state.workloadCommands = ctx.commands().slice(mark);
  const hits = state.reads.filter((r) => r.hit).length;
  const stale = state.reads.filter((r) => r.stale).length;
  ctx.note(
    `${hits} hits, ${state.reads.length - hits} misses (hit ratio ${pct(hits, state.reads.length)}), ${stale} ` +
      `stale read${stale === 1 ? "" : "s"}, in ${Math.round(state.workloadMs)} ms`,
  );
  ctx.table(hotUsersTable(state));
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "–" : `${roundPercent(part / whole, 1)}%`;
}

/** The busiest users: the skew at work (hot users hit, cold ones miss), and where stale reads fell. */
function hotUsersTable(state: WorkloadState): TableData {
  const rows = new Map<number, { reads: number; hits: number; writes: number; stale: number }>();
  const row = (id: number) => rows.get(id) ?? rows.set(id, { reads: 0, hits: 0, writes: 0, stale: 0 }).get(id)!;
  for (const r of state.reads) {
    const x = row(r.id);
    x.reads += 1;
    if (r.hit) x.hits += 1;
    if (r.stale) x.stale += 1;
  }
  for (const w of state.writes) row(w.row.id).writes += 1;
  const top = [...rows.entries()]
    .sort((a, b) => b[1].reads + b[1].writes - (a[1].reads + a[1].writes) || a[0] - b[0])
    .slice(0, 8);
  return {
    title: `The ${top.length} busiest of ${rows.size} users touched`,
    columns: ["user", "reads", "hits", "misses", "writes", "stale reads"],
    rows: top.map(([id, x]) => [`user:${id}`, x.reads, x.hits, x.reads - x.hits, x.writes, x.stale]),
  };
}

async function verdict(ctx: ScenarioContext<WorkloadParams>, state: WorkloadState, impl: StrategyImpl): Promise<void> {
  const p = ctx.params;
  const db = state.db!;
  const dbRows = await db.readAllUsers();
  const reads = state.reads;
  const hits = reads.filter((r) => r.hit);
  const misses = reads.filter((r) => !r.hit);
  const staleReads = reads.filter((r) => r.stale).length;

  // 1. The model: the same workload through a pure model of the strategy (valid while no entry expired).
  const model = modelStrategy(impl.strategy, state.ops);
  if (state.workloadMs < p.ttlMs) {
    const diff = reads.findIndex((r, i) => {
      const m = model.reads[i];
      return !m || m.hit !== r.hit || m.version !== r.version || m.stale !== r.stale;
    });
    const first = diff >= 0 ? reads[diff] : undefined;
    ctx.check(
      `hits, misses and stale reads equal a model of ${impl.strategy} fed the same workload`,
      diff < 0 && model.reads.length === reads.length,
      {
        expected: { hits: model.hits, misses: model.misses, staleReads: model.staleReads },
        actual: { hits: hits.length, misses: misses.length, staleReads },
        detail: first
          ? `first difference at request #${first.seq} (user:${first.id}): ` +
            `redis ${JSON.stringify({ hit: first.hit, version: first.version })}, ` +
            `model ${JSON.stringify({ hit: model.reads[diff]?.hit, version: model.reads[diff]?.version })}`
          : undefined,
        evidence: strategyReads(ctx, impl, state, first ? [first] : []),
      },
    );
  } else {
    ctx.note(
      `the workload took ${Math.round(state.workloadMs)} ms, longer than the ${p.ttlMs} ms TTL: entries ` +
        `expired during the run, so the no-expiry model does not apply`,
    );
  }

  // 2. The trace: every miss read the database once, no hit did.
  const selects = dbStatements(state.workloadCommands).filter(
    (c) => /^SELECT\b/i.test(c.argv[0] ?? "") && c.client === db.client,
  );
  ctx.check(
    "every miss read the database once, no hit did (SELECTs in the trace = misses)",
    selects.length === misses.length,
    {
      expected: misses.length,
      actual: selects.length,
      evidence: { commands: selects, values: { misses: misses.length } },
    },
  );

  // 3. The database holds what the app's writes (as committed) say it should.
  const wrong = dbRows.filter((r) => r.version !== (state.dbVersions.get(r.id) ?? 1));
  ctx.check(
    "the database holds every committed write, and nothing else",
    wrong.length === 0 && dbRows.length === p.keys,
    {
      expected: `${p.keys} users at their committed versions`,
      actual:
        wrong.length === 0
          ? `${dbRows.length} users, all as committed`
          : `${wrong.length} differ, first user:${wrong[0]!.id} at v${wrong[0]!.version}`,
      evidence: () => ({ commands: commandsWhere(ctx.commands(), (c) => c.source === "db").slice(-1) }),
    },
  );

  const hitMs = hits.map((r) => r.ms);
  const missMs = misses.map((r) => r.ms);
  const writeMs = state.writes.map((w) => w.ms);
  const selectMs = selects.map((c) => c.ms);
  ctx.table({
    title: "Latency, measured in the app (ms)",
    columns: ["", "requests", "p50", "p99", "max"],
    rows: [
      ["cache read (hit)", hits.length, p50(hitMs), p99(hitMs), ms(percentile(hitMs, 100))],
      [
        "database read (miss: GET + SELECT + SET)",
        misses.length,
        p50(missMs),
        p99(missMs),
        ms(percentile(missMs, 100)),
      ],
      ["  of which the SELECT alone", selects.length, p50(selectMs), p99(selectMs), ms(percentile(selectMs, 100))],
      ["write", state.writes.length, p50(writeMs), p99(writeMs), ms(percentile(writeMs, 100))],
    ],
  });
  if (p50(hitMs) !== null && p50(missMs) !== null) {
    ctx.note(`a miss took ${round(p50(missMs)! / Math.max(p50(hitMs)!, 0.001), 1)}× as long as a hit (p50)`);
  }

  ctx.metric("reads", reads.length);
  ctx.metric("writes", state.writes.length);
  ctx.metric("hits", hits.length);
  ctx.metric("misses", misses.length);
  ctx.metric("hitRatio", ratio(hits.length, reads.length));
  ctx.metric("staleReads", staleReads);
  ctx.metric("dbReads", db.counts.reads);
  ctx.metric("dbWrites", db.counts.writes);
  ctx.metric("dbWriteStatements", db.counts.writeStatements);
  ctx.metric("readHitP50Ms", p50(hitMs));
  ctx.metric("readHitP99Ms", p99(hitMs));
  ctx.metric("readMissP50Ms", p50(missMs));
  ctx.metric("readMissP99Ms", p99(missMs));
  ctx.metric("dbSelectP50Ms", p50(selectMs));
  ctx.metric("writeP50Ms", p50(writeMs));
  ctx.metric("writeP99Ms", p99(writeMs));
  ctx.metric("workloadMs", ms(state.workloadMs));
  ctx.metric("dbLatencyMs", p.dbLatencyMs);

  // The chapter's "cache miss penalty (3 trips)": count what a miss sent.
  if (misses.length > 0 && impl.strategy !== "write-behind") {
    const trips = misses.reduce((n, r) => n + r.trips, 0) / misses.length;
    ctx.metric("tripsPerMiss", round(trips, 2));
    ctx.figure({
      what: "trips per cache miss",
      chapter: "cache miss penalty (3 trips)",
      measured:
        `${round(trips, 2)} (GET, SELECT, SET), p50 ${p50(missMs)} ms against ${p50(hitMs) ?? "–"} ` + `ms for a hit`,
      agrees: Math.abs(trips - 3) < 1e-9,
    });
  }
  impl.verdict(ctx, state, dbRows);
}

/** Record a committed database write in the app's view of the database (for stale-read detection). */
export function committed(state: WorkloadState, row: UserRow): void {
  if (row.version > (state.dbVersions.get(row.id) ?? 1)) state.dbVersions.set(row.id, row.version);
}
