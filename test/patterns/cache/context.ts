import { randomBytes } from "node:crypto";
import pg from "pg";
import { openOriginDb, originTableName, type OriginDb, type OriginSpec } from "../../../src/patterns/cache/index.js";

/** The PostgreSQL the tests use (trust auth on this machine); override with TEST_POSTGRES_URL. */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Whether PostgreSQL answers at POSTGRES_URL (tests against it are skipped, with a message, when it does not). */
export async function postgresAnswers(url = POSTGRES_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Tables named like the run's own (rp_cache_…) that exist in PostgreSQL now, to prove none is left behind. */
export async function postgresCacheTables(names: string[], url = POSTGRES_URL): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query("SELECT table_name FROM information_schema.tables WHERE table_name = ANY($1)", [
      names,
    ]);
    return r.rows.map((row: { table_name: string }) => row.table_name);
  } finally {
    await client.end();
  }
}

/** A fresh origin database for one test: its own table name, no latency, statements not recorded. */
export async function openTestOrigin(spec: OriginSpec = { kind: "sqlite" }, users = 5): Promise<OriginDb> {
  const db = await openOriginDb({ spec, table: originTableName(`t${randomBytes(4).toString("hex")}`) });
  await db.createTable(users);
  return db;
}
