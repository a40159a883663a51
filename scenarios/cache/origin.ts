import { randomBytes } from "node:crypto";
import {
  describeOrigin,
  openOriginDb,
  originTableName,
  parseOriginSpec,
  percentile,
  type OriginDb,
} from "../../src/patterns/cache/index.js";
import type { RecordedCommand } from "../../src/redis/recorder.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import { round, roundOrNull } from "../../src/stats.js";
import type { OriginParams } from "./params.js";

/** What every cache scenario keeps outside Redis, released by the teardown. */
export interface OriginState {
  db?: OriginDb;
  /** Other resources to release first (a worker to stop, subscriber listeners), newest last. */
  releases: (() => Promise<void>)[];
}

export function originState(): OriginState {
  return { releases: [] };
}

/**
 * Open the origin database, create the run's own table (a fresh name, so no existing table is ever touched) and seed
 * users 1…n at version 1. Every statement is recorded in the trace as a database statement from `client`.
 */
export async function openOrigin(
  ctx: ScenarioContext<OriginParams>,
  state: OriginState,
  users: number,
  client = "main",
): Promise<OriginDb> {
  const spec = parseOriginSpec(ctx.params.db);
  const db = await openOriginDb({
    spec,
    table: originTableName(randomBytes(4).toString("hex")),
    latencyMs: ctx.params.dbLatencyMs,
    client,
    record: (who, argv, run, reply) => ctx.external(who, argv, run, reply),
  });
  state.db = db;
  await db.createTable(users);
  ctx.note(
    `${db.engine ? describeOrigin(spec).replace(/^SQLite/, db.engine) : describeOrigin(spec)}: ` +
      `table ${db.table} with users 1…${users}, each at version 1` +
      (ctx.params.dbLatencyMs > 0
        ? `; every statement waits ${ctx.params.dbLatencyMs} ms first (a database one network hop away)`
        : ""),
  );
  return db;
}

/** The teardown every cache scenario shares: stop what runs, drop the run's table, close the database. */
export async function releaseOrigin(ctx: ScenarioContext<OriginParams>, state: OriginState): Promise<void> {
  const errors: unknown[] = [];
  for (const release of state.releases.reverse()) {
    try {
      await release();
    } catch (err) {
      errors.push(err);
    }
  }
  state.releases = [];
  const db = state.db;
  if (db) {
    state.db = undefined;
    try {
      await db.dropTable();
      const file =
        db.kind === "sqlite" && !ctx.params.db.includes(":") ? " and removed the temporary database file" : "";
      ctx.note(`dropped the run's table ${db.table}${file}`);
    } catch (err) {
      errors.push(err);
    } finally {
      await db.close();
    }
  }
  if (errors.length > 0) throw errors[0];
}

export function originTitle(p: OriginParams): string {
  return describeOrigin(parseOriginSpec(p.db)).replace(/^SQLite \(temporary file\)$/, "SQLite");
}

/** Milliseconds, rounded for tables (3 decimals). */
export function ms(n: number | null | undefined): number | null {
  return roundOrNull(n ?? null, 3);
}

export function p50(samples: readonly number[]): number | null {
  return ms(percentile(samples, 50));
}

export function p99(samples: readonly number[]): number | null {
  return ms(percentile(samples, 99));
}

export function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : round(part / whole, 3);
}

/** Database statements in a slice of the trace. */
export function dbStatements(commands: readonly RecordedCommand[]): RecordedCommand[] {
  return commands.filter((c) => c.source === "db");
}

/** The time elapsed since `start` (performance.now()), ms. */
export function since(start: number): number {
  return performance.now() - start;
}

export { sleep } from "../../src/runner/clock.js";
