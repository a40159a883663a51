import type { Redis } from "ioredis";
import {
  pendingWrites,
  percentile,
  startWriteBehindWorker,
  writeBehind,
  type FlushResult,
  type OriginDb,
  type WriteBehindWorker,
} from "../../src/patterns/cache/index.js";
import { tag } from "../../src/redis/keys.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import { dbStatements, ms, p50 } from "./origin.js";
import { committed, workloadScenario, type StrategyImpl, type WorkloadState } from "./workload.js";
import type { WorkloadParams } from "./params.js";
import { commandsOn } from "../../src/runner/evidence.js";
import type { Evidence } from "../../src/check-failure.js";

/** With --crash-before-flush the worker dies this many writes before the end of the workload. */
const CRASH_BEFORE_LAST = 3;

interface Batch {
  n: number;
  result: FlushResult;
  /** From each write's acknowledgement to the database statement that applied it, ms. */
  lagMs: number[];
}

interface WriteBehindExtra {
  worker: WriteBehindWorker;
  workerRedis: Redis;
  workerDb: OriginDb;
  queueKey: string;
  ackAt: Map<string, number>;
  batches: Batch[];
  flushed: number;
  maxAtRisk: number;
  pendingAtCrash?: number;
  pendingAtEnd?: number;
}

const extra = (state: WorkloadState) => state.extra as unknown as WriteBehindExtra;

/** One hash tag for the entries and the queue: the write script touches both, so they must share a cluster slot. */
const TAG = tag("write-behind");

function entryKey(ctx: ScenarioContext<WorkloadParams>, id: number): string {
  return ctx.keys.key("cache", TAG, "user", id);
}

export const writeBehindImpl: StrategyImpl = {
  strategy: "write-behind",
  title: (p) =>
    `Write-behind: a worker flushes batches of up to ${p.batchSize} every ${p.flushIntervalMs} ` +
    `ms${p.crashBeforeFlush ? ", and dies" : ""}`,
  explain:
    "A write goes to the cache at once (the entry, plus the write appended to a queue stream in Redis, in one " +
    "script) and returns; a worker on its own connections applies the queue to the database later, a batch per " +
    "statement. Very fast writes and fewer database statements; but until the worker has flushed them, " +
    "acknowledged writes exist only in Redis: if it crashes (or Redis loses them) they are lost. " +
    "--crash-before-flush kills the worker before its next flush and counts what was lost.",
  readsAndWrites:
    "A read: GET, and on a miss SELECT + SET … PX (the cache is ahead of the database, so it is read first). A " +
    "write: one EVALSHA that SETs the entry and XADDs the write to the queue. The worker (its own connection): " +
    "XRANGE a batch, one UPDATE … FROM for the batch, XDEL.",
  async prepare(ctx, state, db) {
    const p = ctx.params;
    const workerRedis = await ctx.connect("worker");
    const workerDb = await db.connect("worker");
    const x: WriteBehindExtra = {
      workerRedis,
      workerDb,
      queueKey: ctx.keys.key("cache", TAG, "queue"),
      ackAt: new Map(),
      batches: [],
      flushed: 0,
      maxAtRisk: 0,
      worker: undefined as unknown as WriteBehindWorker,
    };
    x.worker = startWriteBehindWorker({
      redis: workerRedis,
      db: workerDb,
      queueKey: x.queueKey,
      batchSize: p.batchSize,
      intervalMs: p.flushIntervalMs,
      onFlush: (result) => {
        const at = performance.now();
        for (const w of result.writes) committed(state, w.row);
        x.flushed += result.writes.length;
        x.batches.push({
          n: x.batches.length + 1,
          result,
          lagMs: result.writes.map((w) => at - (x.ackAt.get(w.streamId) ?? at)),
        });
      },
    });
    state.extra = x as unknown as Record<string, unknown>;
    // If a step fails, the worker must not outlive the scenario.
    state.releases.push(() => x.worker.crash());
    ctx.note(
      `the worker runs on its own Redis connection ("worker") and its own database connection, ` +
        `every ${p.flushIntervalMs} ms`,
    );
  },
  keyOf: entryKey,
  async write(ctx, state, _db, row) {
    const x = extra(state);
    // --crash-before-flush: the worker dies before the last few writes, so they are acknowledged but never flushed,
    // whatever the timing (a worker left running to the end would often have flushed everything by then).
    if (ctx.params.crashBeforeFlush && state.writes.length + CRASH_BEFORE_LAST >= ctx.params.writes)
      await x.worker.crash();
    const streamId = await writeBehind(ctx.redis, entryKey(ctx, row.id), x.queueKey, row, { ttlMs: ctx.params.ttlMs });
    x.ackAt.set(streamId, performance.now());
    x.maxAtRisk = Math.max(x.maxAtRisk, state.writes.length + 1 - x.flushed);
  },
  extraSteps: (p) => [
    p.crashBeforeFlush
      ? {
          title: "The worker died before its next flush (--crash-before-flush)",
          say:
            `The process running the worker was killed before the last ${CRASH_BEFORE_LAST} writes: no flush ran ` +
            `again, and one that had not yet sent its database statement never sent it. The writes it had not ` +
            `flushed were acknowledged to users; they sit in the Redis queue and nowhere else.`,
          run: async (ctx, state) => {
            const x = extra(state);
            await x.worker.crash();
            x.pendingAtCrash = await pendingWrites(x.workerRedis, x.queueKey);
            x.pendingAtEnd = x.pendingAtCrash;
            ctx.note(
              `${x.batches.length} batch${x.batches.length === 1 ? "" : "es"} had been ` +
                `flushed; ${x.pendingAtCrash} acknowledged write${x.pendingAtCrash === 1 ? " was" : "s were"} ` +
                `still queued when it died`,
            );
            ctx.note(
              "if Redis itself goes down now (no persistence, or a failover before the replica got them), " +
                "those writes are gone: that is the data loss the chapter warns of. A restarted worker could " +
                "drain the queue only if Redis kept it.",
            );
            ctx.table(batchTable(x.batches));
          },
        }
      : {
          title: "The worker drains the queue and stops",
          say: "A clean shutdown: the worker keeps flushing until the queue is empty. XLEN proves nothing is left.",
          run: async (ctx, state) => {
            const x = extra(state);
            await x.worker.stop();
            x.pendingAtEnd = await pendingWrites(x.workerRedis, x.queueKey);
            ctx.note(
              `${x.batches.length} batch${x.batches.length === 1 ? "" : "es"} applied ${x.flushed} queued ` +
                `writes with ${x.batches.reduce((n, b) => n + b.result.rowsWritten, 0)} row ` +
                `updates; ${x.pendingAtEnd} left in the queue`,
            );
            ctx.table(batchTable(x.batches));
          },
        },
  ],
  verdict(ctx, state, dbRows) {
    const x = extra(state);
    const p = ctx.params;
    // Lost: acknowledged versions the database never got. Versions count a user's writes, so the gap is a count.
    const lostWrites = dbRows.reduce((n, r) => n + Math.max(0, (state.acked.get(r.id) ?? 1) - r.version), 0);
    const pending = x.pendingAtEnd ?? 0;
    // The queue's lengths read (XLEN) and the database's rows against what was acknowledged.
    const queueEvidence = (): Evidence => ({
      commands: commandsOn(ctx.commands(), x.queueKey).filter((c) => c.argv[0] === "XLEN"),
      values: Object.fromEntries(
        dbRows
          .filter((r) => (state.acked.get(r.id) ?? 1) !== r.version)
          .slice(0, 6)
          .map((r) => [`user:${r.id}`, `acknowledged v${state.acked.get(r.id) ?? 1}, stored v${r.version}`]),
      ),
    });
    if (p.crashBeforeFlush) {
      ctx.check(
        "lostWrites equals the writes that were pending when the worker died",
        lostWrites === x.pendingAtCrash,
        {
          expected: x.pendingAtCrash,
          actual: lostWrites,
          detail:
            "lost counted from the database (acknowledged version − stored version per user), pending from " +
            "Redis (XLEN of the queue)",
          evidence: queueEvidence,
        },
      );
    } else {
      ctx.check(
        "after the worker's last flush the database holds every acknowledged write (nothing lost)",
        lostWrites === 0,
        { expected: 0, actual: lostWrites, evidence: queueEvidence },
      );
    }
    ctx.check(
      "every acknowledged write was queued once: flushed + still queued = writes",
      x.flushed + pending === state.writes.length,
      {
        expected: state.writes.length,
        actual: `${x.flushed} flushed + ${pending} queued`,
        evidence: () => ({
          commands: commandsOn(ctx.commands(), x.queueKey).filter((c) => c.argv[0] === "XLEN"),
          values: { flushed: x.flushed, queued: pending, writes: state.writes.length },
        }),
      },
    );
    const lag = x.batches.flatMap((b) => b.lagMs);
    const sizes = x.batches.map((b) => b.result.writes.length);
    ctx.metric("lostWrites", lostWrites);
    ctx.metric("pendingAtCrash", x.pendingAtCrash ?? null);
    ctx.metric("batches", x.batches.length);
    ctx.metric("batchSizes", sizes.join(","));
    ctx.metric("flushLagP50Ms", p50(lag));
    ctx.metric("flushLagMaxMs", ms(percentile(lag, 100)));
    ctx.metric("maxWritesAtRisk", x.maxAtRisk);

    const updates = dbStatements(ctx.commands())
      .filter((c) => c.client === "worker" && /^UPDATE\b/.test(c.argv[0] ?? ""))
      .map((c) => c.ms);
    const writeP50 = percentile(
      state.writes.map((w) => w.ms),
      50,
    );
    if (writeP50 !== null) {
      const updateP50 = percentile(updates, 50);
      ctx.figure({
        what: "write latency",
        chapter: "very fast writes",
        measured:
          `p50 ${ms(writeP50)} ms per write (one ` +
          `EVALSHA)${updateP50 !== null ? `; the worker's batch UPDATE took p50 ${ms(updateP50)} ms` : ""}`,
        ...(updateP50 !== null ? { agrees: writeP50 < updateP50 } : {}),
      });
    }
    ctx.figure({
      what: "data loss risk",
      chapter: "data loss risk if cache crashes before DB write",
      measured: p.crashBeforeFlush
        ? `${lostWrites} of ${state.writes.length} acknowledged writes never reached the database`
        : `up to ${x.maxAtRisk} acknowledged writes were only in Redis at one moment; 0 lost after the final flush`,
      ...(p.crashBeforeFlush ? { agrees: lostWrites > 0 } : {}),
      note: `flush lag p50 ${p50(lag) ?? "–"} ms, max ${ms(percentile(lag, 100)) ?? "–"} ms`,
    });
  },
};

function batchTable(batches: Batch[]) {
  return {
    title: "Batches the worker applied",
    columns: ["batch", "queued writes", "users", "rows updated", "lag p50 ms", "lag max ms"],
    rows: batches.map((b) => [
      b.n,
      b.result.writes.length,
      new Set(b.result.writes.map((w) => w.row.id)).size,
      b.result.rowsWritten,
      p50(b.lagMs),
      ms(percentile(b.lagMs, 100)),
    ]),
  };
}

export default workloadScenario(writeBehindImpl);
