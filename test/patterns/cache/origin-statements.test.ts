/**
 * Every statement each origin engine sends, to the letter, with the reply the trace shows and the counts it keeps:
 * the SQL the scenarios' traces print. Both engines share one home for the statements (sql-origin.ts) and differ
 * only in their dialect; this pins what each dialect sends.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openOriginDb, originTableName, type OriginDb, type OriginSpec } from "../../../src/patterns/cache/index.js";
import { availableSqliteDrivers } from "../../../src/patterns/cache/sqlite-driver.js";
import { POSTGRES_URL, postgresAnswers } from "./context.js";

const pgUp = await postgresAnswers();
if (!pgUp) console.warn(`PostgreSQL does not answer at ${POSTGRES_URL}: its statement test is skipped`);

const T = "T";

const SQLITE = [
  ["main", `CREATE TABLE ${T} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL)`, "CREATE TABLE"],
  [
    "main",
    `INSERT INTO ${T} (id, name, version) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE ` +
      `i < ?) SELECT i, 'user ' || i, 1 FROM n | 3`,
    "INSERT 3",
  ],
  ["main", `SELECT id, name, version FROM ${T} WHERE id = ? | 2`, [2, "user 2", 1]],
  ["main", `SELECT id, name, version FROM ${T} WHERE id = ? | 9`, null],
  ["main", `UPDATE ${T} SET name = ?, version = ? WHERE id = ? | two | 2 | 2`, "UPDATE 1"],
  [
    "worker",
    `UPDATE ${T} SET name = v.name, version = v.version FROM (SELECT ? AS id, ? AS name, ? AS version UNION ALL ` +
      `SELECT ?, ?, ?) AS v WHERE ${T}.id = v.id AND ${T}.version < v.version | 1 | one | 3 | 3 | three | 2`,
    "UPDATE 2",
  ],
  ["main", `UPDATE ${T} SET name = name || ?, version = version + 1 | !`, "UPDATE 3"],
  ["main", `SELECT id, name, version FROM ${T} ORDER BY id`, "3 rows"],
  ["main", `DROP TABLE ${T}`, "DROP TABLE"],
];

const POSTGRES = [
  ["main", `CREATE TABLE ${T} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL)`, "CREATE TABLE"],
  [
    "main",
    `INSERT INTO ${T} (id, name, version) SELECT i, 'user ' || i, 1 FROM generate_series(1, $1::int) AS i | 3`,
    "INSERT 3",
  ],
  ["main", `SELECT id, name, version FROM ${T} WHERE id = $1 | 2`, [2, "user 2", 1]],
  ["main", `SELECT id, name, version FROM ${T} WHERE id = $1 | 9`, null],
  ["main", `UPDATE ${T} SET name = $1, version = $2 WHERE id = $3 | two | 2 | 2`, "UPDATE 1"],
  [
    "worker",
    `UPDATE ${T} SET name = v.name, version = v.version FROM (VALUES ($1::int, $2::text, $3::int), ($4::int, ` +
      `$5::text, $6::int)) AS v(id, name, version) WHERE ${T}.id = v.id AND ${T}.version < v.version ` +
      `| 1 | one | 3 | 3 | three | 2`,
    "UPDATE 2",
  ],
  ["main", `UPDATE ${T} SET name = name || $1, version = version + 1 | !`, "UPDATE 3"],
  ["main", `SELECT id, name, version FROM ${T} ORDER BY id`, "3 rows"],
  ["main", `DROP TABLE ${T}`, "DROP TABLE"],
];

const engines: [string, OriginSpec, unknown[][], boolean][] = [
  ...availableSqliteDrivers().map((driver): [string, OriginSpec, unknown[][], boolean] => [
    `SQLite (${driver})`,
    { kind: "sqlite", driver },
    SQLITE,
    true,
  ]),
  ["PostgreSQL", { kind: "postgres", url: POSTGRES_URL }, POSTGRES, pgUp],
];

describe.each(engines)("the statements %s sends", (_name, spec, expected, available) => {
  const open: OriginDb[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) {
      await db.dropTable();
      await db.close();
    }
  });

  it.skipIf(!available)("are these, to the letter, with these replies and counts", async () => {
    const table = originTableName(`s${randomBytes(4).toString("hex")}`);
    const seen: unknown[][] = [];
    const db = await openOriginDb({
      spec,
      table,
      record: async (client, argv, run, reply) => {
        const value = await run();
        seen.push([client, argv.join(" | ").replaceAll(table, T), reply ? reply(value) : "(no reply)"]);
        return value;
      },
    });
    open.push(db);
    await db.createTable(3);
    expect(await db.readUser(2)).toEqual({ id: 2, name: "user 2", version: 1 });
    expect(await db.readUser(9)).toBeNull();
    expect(await db.updateUser({ id: 2, name: "two", version: 2 })).toBe(1);
    const worker = await db.connect("worker");
    const batch = [
      { id: 3, name: "three", version: 2 },
      { id: 1, name: "one", version: 3 },
    ];
    expect(await worker.applyWrites(batch)).toBe(2);
    expect(await worker.applyWrites([])).toBe(0);
    expect(await db.renameAllUsers("!")).toBe(3);
    expect(await db.readAllUsers()).toEqual([
      { id: 1, name: "one!", version: 4 },
      { id: 2, name: "two!", version: 3 },
      { id: 3, name: "three!", version: 3 },
    ]);
    expect(db.counts).toEqual({ reads: 2, writes: 6, writeStatements: 3 });
    expect(worker.counts).toBe(db.counts);
    await db.dropTable();
    await db.dropTable();
    expect(seen).toEqual(expected);
  });
});
