/**
 * The origin database in SQLite, through better-sqlite3. better-sqlite3 is synchronous: each statement runs inside an
 * async wrapper (after the modelled latency), so the trace records it and other work (a worker, other requests)
 * interleaves between statements as it would with a networked database. A batch is one statement, so it never
 * spans an await.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { ConnectError } from "../../errors.js";
import type { ReplyValue } from "../../redis/recorder.js";
import {
  delay,
  latestPerId,
  newCounts,
  rowReply,
  runStatement,
  type OriginCounts,
  type OriginDb,
  type OriginDbOptions,
  type UserRow,
} from "./origin-db.js";

type Database = BetterSqlite3.Database;

interface Shared {
  file: string;
  /** Set when the file is ours to remove. */
  tempDir?: string;
  counts: OriginCounts;
  /** Set once this run's CREATE TABLE succeeded: only then may it drop the table. */
  created: boolean;
  open: Set<SqliteOrigin>;
  Driver: typeof BetterSqlite3;
  removeOnExit?: () => void;
}

/**
 * better-sqlite3 is an optional dependency: it compiles a native addon when no prebuilt binary can be fetched, and an
 * install may skip it. Then only the SQLite origin is missing, and the message says what to do.
 */
async function loadDriver(): Promise<typeof BetterSqlite3> {
  try {
    return (await import("better-sqlite3")).default;
  } catch (err) {
    throw new ConnectError(
      `the embedded SQLite database (better-sqlite3) is not installed here (${err instanceof Error ? err.message.split("\n")[0] : String(err)}): ` +
        "run npm install better-sqlite3, or use --db postgres://…",
    );
  }
}

export async function openSqliteOrigin(options: OriginDbOptions, path?: string): Promise<OriginDb> {
  const Driver = await loadDriver();
  const tempDir = path ? undefined : mkdtempSync(join(tmpdir(), "redis-patterns-origin-"));
  const file = path ?? join(tempDir!, "origin.db");
  const shared: Shared = {
    file,
    ...(tempDir ? { tempDir } : {}),
    counts: newCounts(),
    created: false,
    open: new Set(),
    Driver,
  };
  if (tempDir) {
    // Closing removes the temporary file; this also covers a process that exits without closing (Ctrl-C twice).
    shared.removeOnExit = () => rmSync(tempDir, { recursive: true, force: true });
    process.once("exit", shared.removeOnExit);
  }
  return new SqliteOrigin(shared, options, options.client ?? "main", true);
}

class SqliteOrigin implements OriginDb {
  readonly kind = "sqlite" as const;
  readonly table: string;
  readonly counts: OriginCounts;
  private readonly db: Database;

  constructor(
    private readonly shared: Shared,
    private readonly options: OriginDbOptions,
    readonly client: string,
    private readonly root: boolean,
  ) {
    this.table = options.table;
    this.counts = shared.counts;
    this.db = new shared.Driver(shared.file);
    // Another connection may hold the write lock for a moment (the worker's batch): wait for it rather than fail.
    this.db.pragma("busy_timeout = 5000");
    // A temporary database runs in WAL mode with NORMAL sync, the usual production setting: a commit does not wait
    // for the disk, yet survives the app crashing. A file you name keeps its own settings (WAL would stick to it).
    if (shared.tempDir) {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
    }
    shared.open.add(this);
  }

  /** Record one statement; the latency sleep and the synchronous call run inside the recorded call. */
  private run<T>(sql: string, params: (string | number)[], exec: () => T, reply: (value: T) => ReplyValue): Promise<T> {
    const record = this.options.record ?? runStatement;
    const latency = this.options.latencyMs ?? 0;
    return record(
      this.client,
      [sql, ...params.map(String)],
      async () => {
        await delay(latency);
        return exec();
      },
      reply,
    );
  }

  async createTable(users: number): Promise<void> {
    const t = this.table;
    const create = `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL)`;
    await this.run(
      create,
      [],
      () => this.db.prepare(create).run(),
      () => "CREATE TABLE",
    );
    this.shared.created = true;
    const seed = `INSERT INTO ${t} (id, name, version) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i, 'user ' || i, 1 FROM n`;
    await this.run(
      seed,
      [users],
      () => this.db.prepare(seed).run(users).changes,
      (n) => `INSERT ${n}`,
    );
  }

  async readUser(id: number): Promise<UserRow | null> {
    const sql = `SELECT id, name, version FROM ${this.table} WHERE id = ?`;
    this.counts.reads += 1;
    return this.run(sql, [id], () => (this.db.prepare(sql).get(id) as UserRow | undefined) ?? null, rowReply);
  }

  async readAllUsers(): Promise<UserRow[]> {
    const sql = `SELECT id, name, version FROM ${this.table} ORDER BY id`;
    return this.run(
      sql,
      [],
      () => this.db.prepare(sql).all() as UserRow[],
      (rows) => `${rows.length} rows`,
    );
  }

  async updateUser(row: UserRow): Promise<number> {
    const sql = `UPDATE ${this.table} SET name = ?, version = ? WHERE id = ?`;
    const changed = await this.run(
      sql,
      [row.name, row.version, row.id],
      () => this.db.prepare(sql).run(row.name, row.version, row.id).changes,
      (n) => `UPDATE ${n}`,
    );
    this.counts.writes += changed;
    this.counts.writeStatements += 1;
    return changed;
  }

  async applyWrites(rows: readonly UserRow[]): Promise<number> {
    const latest = latestPerId(rows);
    if (latest.length === 0) return 0;
    const t = this.table;
    const values = latest
      .map((_, i) => (i === 0 ? "SELECT ? AS id, ? AS name, ? AS version" : "SELECT ?, ?, ?"))
      .join(" UNION ALL ");
    const sql = `UPDATE ${t} SET name = v.name, version = v.version FROM (${values}) AS v WHERE ${t}.id = v.id AND ${t}.version < v.version`;
    const params = latest.flatMap((r) => [r.id, r.name, r.version]);
    const changed = await this.run(
      sql,
      params,
      () => this.db.prepare(sql).run(...params).changes,
      (n) => `UPDATE ${n}`,
    );
    this.counts.writes += changed;
    this.counts.writeStatements += 1;
    return changed;
  }

  async renameAllUsers(suffix: string): Promise<number> {
    const sql = `UPDATE ${this.table} SET name = name || ?, version = version + 1`;
    const changed = await this.run(
      sql,
      [suffix],
      () => this.db.prepare(sql).run(suffix).changes,
      (n) => `UPDATE ${n}`,
    );
    this.counts.writes += changed;
    this.counts.writeStatements += 1;
    return changed;
  }

  async dropTable(): Promise<void> {
    // Only a table this run created: if CREATE TABLE failed, the name belongs to someone else.
    if (!this.shared.created) return;
    this.shared.created = false;
    const sql = `DROP TABLE ${this.table}`;
    await this.run(
      sql,
      [],
      () => this.db.prepare(sql).run(),
      () => "DROP TABLE",
    );
  }

  async connect(client: string): Promise<OriginDb> {
    return new SqliteOrigin(this.shared, this.options, client, false);
  }

  async close(): Promise<void> {
    if (this.root) {
      for (const other of this.shared.open) if (other !== this) other.closeHandle();
    }
    this.closeHandle();
    if (this.root && this.shared.tempDir) {
      rmSync(this.shared.tempDir, { recursive: true, force: true });
      if (this.shared.removeOnExit) process.off("exit", this.shared.removeOnExit);
    }
  }

  private closeHandle(): void {
    if (this.db.open) this.db.close();
    this.shared.open.delete(this);
  }
}
