import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  describeOrigin,
  latestPerId,
  openOriginDb,
  OriginSpecError,
  originTableName,
  parseOriginSpec,
  redactDbUrl,
  type OriginDb,
  type OriginSpec,
} from "../../../src/patterns/cache/index.js";
import type { ReplyValue } from "../../../src/redis/recorder.js";
import { availableSqliteDrivers, sqliteDriver } from "../../../src/patterns/cache/sqlite-driver.js";
import { POSTGRES_URL, openTestOrigin, postgresAnswers, postgresCacheTables } from "./context.js";

describe("--db values", () => {
  it("parses sqlite, sqlite:<path> and postgres URLs", () => {
    expect(parseOriginSpec("sqlite")).toEqual({ kind: "sqlite" });
    expect(parseOriginSpec("sqlite:/tmp/x.db")).toEqual({ kind: "sqlite", path: "/tmp/x.db" });
    expect(parseOriginSpec("postgres://u@h:5432/d")).toEqual({ kind: "postgres", url: "postgres://u@h:5432/d" });
    expect(parseOriginSpec("postgresql://u@h/d").kind).toBe("postgres");
  });

  it("refuses what it cannot use, naming the choices, without echoing a password", () => {
    expect(() => parseOriginSpec("mysql://u:secret@h/d")).toThrow(/use sqlite .*postgres:\/\//);
    expect(() => parseOriginSpec("mysql://u:secret@h/d")).not.toThrow(/secret/);
    expect(() => parseOriginSpec("sqlite::memory:")).toThrow(/second connection/);
    expect(() => parseOriginSpec("sqlite:")).toThrow(/name a file/);
    // The pattern names no flag: the CLI puts --db in front (src/cli/options/cache.ts).
    expect(() => parseOriginSpec("mysql://x/y")).toThrow(OriginSpecError);
    expect(() => parseOriginSpec("sqlite:")).not.toThrow(/--db/);
  });

  it("redacts passwords and describes the database", () => {
    expect(redactDbUrl("postgres://app:s3cret@db:5432/x")).toBe("postgres://app:***@db:5432/x");
    expect(redactDbUrl("postgres://app@db/x")).toBe("postgres://app@db/x");
    expect(describeOrigin({ kind: "postgres", url: "postgres://app:s3cret@db/x" })).toBe(
      "PostgreSQL postgres://app:***@db/x",
    );
    expect(describeOrigin({ kind: "sqlite" })).toBe("SQLite (temporary file)");
  });

  it("makes safe table names and refuses unsafe ones", async () => {
    expect(originTableName("1A2b-3c")).toBe("rp_cache_1a2b_3c");
    await expect(openOriginDb({ spec: { kind: "sqlite" }, table: "users; DROP TABLE x" })).rejects.toThrow(
      /unsafe table name/,
    );
  });

  it("keeps the newest write of each user in a batch", () => {
    const rows = [
      { id: 2, name: "b", version: 3 },
      { id: 1, name: "a", version: 2 },
      { id: 2, name: "c", version: 4 },
      { id: 2, name: "old", version: 2 },
    ];
    expect(latestPerId(rows)).toEqual([
      { id: 1, name: "a", version: 2 },
      { id: 2, name: "c", version: 4 },
    ]);
  });
});

const pgUp = await postgresAnswers();
if (!pgUp) console.warn(`PostgreSQL does not answer at ${POSTGRES_URL}: its origin-database tests are skipped`);

// Every SQLite engine this Node.js has (node:sqlite from 22.13, the WebAssembly build everywhere).
const sqliteDrivers = availableSqliteDrivers();
const backends: [string, OriginSpec, boolean][] = [
  ...sqliteDrivers.map((driver): [string, OriginSpec, boolean] => [
    `SQLite (${driver})`,
    { kind: "sqlite", driver },
    true,
  ]),
  ["PostgreSQL", { kind: "postgres", url: POSTGRES_URL }, pgUp],
];

describe.each(backends)("the origin database on %s", (_name, spec, available) => {
  const open: OriginDb[] = [];
  const tables: string[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) {
      await db.dropTable();
      await db.close();
    }
  });
  const fresh = async (users = 5) => {
    const db = await openTestOrigin(spec, users);
    open.push(db);
    tables.push(db.table);
    return db;
  };

  it.skipIf(!available)("seeds users at version 1, reads, updates, and counts data statements only", async () => {
    const db = await fresh(5);
    expect(await db.readUser(3)).toEqual({ id: 3, name: "user 3", version: 1 });
    expect(await db.readUser(6)).toBeNull();
    expect(await db.updateUser({ id: 3, name: "user 3 · edit 1", version: 2 })).toBe(1);
    expect(await db.updateUser({ id: 9, name: "nobody", version: 2 })).toBe(0);
    expect((await db.readAllUsers()).map((r) => r.version)).toEqual([1, 1, 2, 1, 1]);
    expect(db.counts).toEqual({ reads: 2, writes: 1, writeStatements: 2 });
  });

  it.skipIf(!available)(
    "applies a batch in one statement, each row only if newer: a batch applied twice changes nothing",
    async () => {
      const db = await fresh(4);
      const batch = [
        { id: 1, name: "one v2", version: 2 },
        { id: 1, name: "one v3", version: 3 },
        { id: 4, name: "four v2", version: 2 },
      ];
      expect(await db.applyWrites(batch)).toBe(2);
      expect(await db.applyWrites(batch)).toBe(0);
      expect(await db.applyWrites([{ id: 1, name: "older", version: 2 }])).toBe(0);
      const rows = await db.readAllUsers();
      expect(rows[0]).toEqual({ id: 1, name: "one v3", version: 3 });
      expect(rows[3]).toEqual({ id: 4, name: "four v2", version: 2 });
      expect(db.counts.writeStatements).toBe(3);
    },
  );

  it.skipIf(!available)("a second connection sees the first one's committed writes", async () => {
    const db = await fresh(2);
    const other = await db.connect("worker");
    expect(other.client).toBe("worker");
    await other.applyWrites([{ id: 2, name: "from the worker", version: 2 }]);
    expect(await db.readUser(2)).toEqual({ id: 2, name: "from the worker", version: 2 });
    expect(await db.renameAllUsers(" (migrated)")).toBe(2);
    expect((await other.readAllUsers()).map((r) => [r.name, r.version])).toEqual([
      ["user 1 (migrated)", 2],
      ["from the worker (migrated)", 3],
    ]);
  });

  it.skipIf(!available)(
    "records every statement through the runner, with its client, SQL and parameters, after the latency",
    async () => {
      const seen: { client: string; argv: string[]; reply: ReplyValue; ms: number }[] = [];
      const db = await openOriginDb({
        spec,
        table: originTableName(`r${randomBytes(4).toString("hex")}`),
        latencyMs: 5,
        client: "app",
        record: async (client, argv, run, reply) => {
          const t0 = performance.now();
          const value = await run();
          seen.push({ client, argv, reply: reply ? reply(value) : null, ms: performance.now() - t0 });
          return value;
        },
      });
      open.push(db);
      await db.createTable(2);
      await db.readUser(1);
      expect(seen.map((s) => s.argv[0]!.split(" ")[0])).toEqual(["CREATE", "INSERT", "SELECT"]);
      expect(seen[2]!.argv.slice(1)).toEqual(["1"]);
      expect(seen[2]!.reply).toEqual([1, "user 1", 1]);
      expect(seen.every((s) => s.client === "app")).toBe(true);
      // The modelled latency is inside the recorded call (a timer may fire a little early, never much).
      expect(seen.every((s) => s.ms >= 3)).toBe(true);
    },
  );

  it.skipIf(!available)(
    "never takes over an existing table: CREATE fails, and dropTable then drops nothing",
    async () => {
      // Two runs on one database: a named SQLite file (a temporary one is private to its run), or the PostgreSQL.
      const dir = mkdtempSync(join(tmpdir(), "origin-test-"));
      const shared: OriginSpec = spec.kind === "sqlite" ? { ...spec, path: join(dir, "shared.db") } : spec;
      const mine = await openTestOrigin(shared, 1);
      open.push(mine);
      const intruder = await openOriginDb({ spec: shared, table: mine.table });
      await expect(intruder.createTable(1)).rejects.toThrow(/exists/i);
      await intruder.dropTable();
      await intruder.close();
      expect(await mine.readUser(1)).toEqual({ id: 1, name: "user 1", version: 1 });
      await mine.dropTable();
      open.splice(open.indexOf(mine), 1);
      await mine.close();
      // A file you name is yours: closing removes the run's table, not the file.
      if (spec.kind === "sqlite") expect(existsSync(join(dir, "shared.db"))).toBe(true);
      rmSync(dir, { recursive: true, force: true });
    },
  );

  it.skipIf(!available || spec.kind !== "postgres")("leaves no table behind in PostgreSQL", async () => {
    const db = await fresh(1);
    await db.dropTable();
    expect(await postgresCacheTables(tables)).toEqual([]);
  });
});

describe("the embedded SQLite engines", () => {
  it("runs on WebAssembly everywhere, and on node:sqlite where Node has it without a flag", () => {
    expect(sqliteDrivers).toContain("wasm");
    const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
    const builtIn = major > 23 || (major === 23 && minor >= 4) || (major === 22 && minor >= 13);
    expect(sqliteDrivers.includes("node:sqlite")).toBe(builtIn);
    // The default is the built-in engine where there is one.
    expect(sqliteDriver().name).toBe(builtIn ? "node:sqlite" : "wasm");
  });
});

describe.each(sqliteDrivers)("the temporary SQLite file (%s)", (driver) => {
  it("is removed when the database is closed", async () => {
    const db = await openTestOrigin({ kind: "sqlite", driver }, 1);
    const file = (db as unknown as { shared: { file: string } }).shared.file;
    expect(existsSync(file)).toBe(true);
    await db.dropTable();
    await db.close();
    expect(existsSync(file)).toBe(false);
  });
});
