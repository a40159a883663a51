/**
 * The origin database in SQLite: Node's built-in node:sqlite where it has one, else SQLite compiled to WebAssembly
 * (see sqlite-driver.ts); nothing is compiled at install. Both are synchronous: each statement runs inside an async
 * wrapper (after the modelled latency), so the trace records it and other work (a worker, other requests)
 * interleaves between statements as it would with a networked database. A batch is one statement, so it never
 * spans an await.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeWithParent } from "../../redis/kill-with-parent.js";
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
import { sqliteDriver, type SqliteDriver, type SqliteDriverName, type SqliteHandle } from "./sqlite-driver.js";

interface Shared {
  file: string;
  /** Set when the file is ours to remove. */
  tempDir?: string;
  counts: OriginCounts;
  /** Set once this run's CREATE TABLE succeeded: only then may it drop the table. */
  created: boolean;
  open: Set<SqliteOrigin>;
  driver: SqliteDriver;
  /**
   * The one handle every connection uses, where the engine has no shared memory (WebAssembly) and the file is the
   * run's own: it holds the file's lock for the whole run instead of taking it for every statement.
   */
  handle?: SqliteHandle;
  removeOnExit?: () => void;
}

export async function openSqliteOrigin(
  options: OriginDbOptions,
  path?: string,
  driverName?: SqliteDriverName,
): Promise<OriginDb> {
  const driver = sqliteDriver(driverName);
  const tempDir = path ? undefined : mkdtempSync(join(tmpdir(), "redis-patterns-origin-"));
  const file = path ?? join(tempDir!, "origin.db");
  const shared: Shared = {
    file,
    ...(tempDir ? { tempDir } : {}),
    counts: newCounts(),
    created: false,
    open: new Set(),
    driver,
  };
  if (tempDir) {
    // Closing removes the temporary file; this also covers a process that exits without closing (Ctrl-C twice).
    // A SIGKILL runs no handler: a watcher process removes it then.
    const unwatch = removeWithParent(tempDir);
    shared.removeOnExit = () => {
      rmSync(tempDir, { recursive: true, force: true });
      unwatch();
    };
    process.once("exit", shared.removeOnExit);
  }
  return new SqliteOrigin(shared, options, options.client ?? "main", true);
}

class SqliteOrigin implements OriginDb {
  readonly kind = "sqlite" as const;
  readonly table: string;
  readonly counts: OriginCounts;
  readonly driver: SqliteDriverName;
  readonly engine: string;
  private readonly db: SqliteHandle;

  constructor(
    private readonly shared: Shared,
    private readonly options: OriginDbOptions,
    readonly client: string,
    private readonly root: boolean,
  ) {
    this.table = options.table;
    this.counts = shared.counts;
    this.driver = shared.driver.name;
    this.engine = `SQLite ${shared.driver.version} on ${shared.driver.name === "wasm" ? "WebAssembly" : "node:sqlite"}`;
    this.db = shared.handle ?? this.openHandle();
    shared.open.add(this);
  }

  private openHandle(): SqliteHandle {
    const { driver, file, tempDir } = this.shared;
    const db = driver.open(file);
    // Another connection may hold the write lock for a moment (the worker's batch): wait for it rather than fail.
    db.get("PRAGMA busy_timeout = 5000");
    // A file you name keeps its own settings (WAL would stick to it). A temporary one is set so that a commit does
    // not wait for the disk, yet survives the app crashing, the usual production setting: WAL with NORMAL sync where
    // the engine can share memory between connections (node:sqlite); else (WebAssembly) a rollback journal without
    // sync, and one handle locking the file for the run, shared by the run's connections: each statement runs to
    // its end before the next starts, so they see each other's commits as separate connections would.
    if (tempDir) {
      if (driver.wal) {
        db.get("PRAGMA journal_mode = WAL");
        db.get("PRAGMA synchronous = NORMAL");
      } else {
        db.get("PRAGMA locking_mode = EXCLUSIVE");
        db.get("PRAGMA journal_mode = TRUNCATE");
        db.get("PRAGMA synchronous = OFF");
        this.shared.handle = db;
      }
    }
    return db;
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
      () => this.db.run(create),
      () => "CREATE TABLE",
    );
    this.shared.created = true;
    const seed =
      `INSERT INTO ${t} (id, name, version) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE ` +
      `i < ?) SELECT i, 'user ' || i, 1 FROM n`;
    await this.run(
      seed,
      [users],
      () => this.db.run(seed, [users]),
      (n) => `INSERT ${n}`,
    );
  }

  async readUser(id: number): Promise<UserRow | null> {
    const sql = `SELECT id, name, version FROM ${this.table} WHERE id = ?`;
    this.counts.reads += 1;
    return this.run(sql, [id], () => this.db.get(sql, [id]) as UserRow | null, rowReply);
  }

  async readAllUsers(): Promise<UserRow[]> {
    const sql = `SELECT id, name, version FROM ${this.table} ORDER BY id`;
    return this.run(
      sql,
      [],
      () => this.db.all(sql) as unknown as UserRow[],
      (rows) => `${rows.length} rows`,
    );
  }

  async updateUser(row: UserRow): Promise<number> {
    const sql = `UPDATE ${this.table} SET name = ?, version = ? WHERE id = ?`;
    const changed = await this.run(
      sql,
      [row.name, row.version, row.id],
      () => this.db.run(sql, [row.name, row.version, row.id]),
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
    const sql =
      `UPDATE ${t} SET name = v.name, version = v.version FROM (${values}) AS v WHERE ${t}.id = v.id ` +
      `AND ${t}.version < v.version`;
    const params = latest.flatMap((r) => [r.id, r.name, r.version]);
    const changed = await this.run(
      sql,
      params,
      () => this.db.run(sql, params),
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
      () => this.db.run(sql, [suffix]),
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
      () => this.db.run(sql),
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
    const remove = this.root ? this.shared.removeOnExit : undefined;
    if (remove) {
      process.off("exit", remove);
      remove();
    }
  }

  private closeHandle(): void {
    // The shared handle closes with the first connection, after the others.
    if (this.db !== this.shared.handle || this.root) this.db.close();
    this.shared.open.delete(this);
  }
}
