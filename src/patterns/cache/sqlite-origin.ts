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
import { newCounts, type OriginDb, type OriginDbOptions, type UserRow } from "./origin-db.js";
import { sqliteDriver, type SqliteDriver, type SqliteDriverName, type SqliteHandle } from "./sqlite-driver.js";
import { SqlOrigin, type SqlDialect, type SqlShared } from "./sql-origin.js";

interface Shared extends SqlShared {
  file: string;
  /** Set when the file is ours to remove. */
  tempDir?: string;
  open: Set<SqliteOrigin>;
  driver: SqliteDriver;
  /**
   * The one handle every connection uses, where the engine has no shared memory (WebAssembly) and the file is the
   * run's own: it holds the file's lock for the whole run instead of taking it for every statement.
   */
  handle?: SqliteHandle;
  removeOnExit?: () => void;
}

const sqlite: SqlDialect = {
  param: () => "?",
  seed: (t) =>
    `INSERT INTO ${t} (id, name, version) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE ` +
    `i < ?) SELECT i, 'user ' || i, 1 FROM n`,
  batch: (count) => {
    const rows = Array.from({ length: count }, (_, i) =>
      i === 0 ? "SELECT ? AS id, ? AS name, ? AS version" : "SELECT ?, ?, ?",
    );
    return `(${rows.join(" UNION ALL ")}) AS v`;
  },
};

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

class SqliteOrigin extends SqlOrigin {
  readonly kind = "sqlite" as const;
  readonly driver: SqliteDriverName;
  readonly engine: string;
  private readonly db: SqliteHandle;

  constructor(
    private readonly shared: Shared,
    options: OriginDbOptions,
    client: string,
    private readonly root: boolean,
  ) {
    super(shared, options, client, sqlite);
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

  protected query(sql: string, params: (string | number)[]): UserRow[] {
    return this.db.all(sql, params) as unknown as UserRow[];
  }

  protected execute(sql: string, params: (string | number)[]): number {
    return this.db.run(sql, params);
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
