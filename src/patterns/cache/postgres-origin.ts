/**
 * The origin database in PostgreSQL, through pg. One `pg.Client` per connection; the run's own table only
 * (`CREATE TABLE` fails rather than reuse an existing one; `DROP TABLE` names that table and nothing else).
 */
import type pg from "pg";
import { DependencyError } from "../../errors.js";
import type { ReplyValue } from "../../redis/recorder.js";
import {
  delay,
  latestPerId,
  newCounts,
  redactDbUrl,
  rowReply,
  runStatement,
  type OriginCounts,
  type OriginDb,
  type OriginDbOptions,
  type UserRow,
} from "./origin-db.js";

interface Shared {
  url: string;
  counts: OriginCounts;
  /** Set once this run's CREATE TABLE succeeded: only then may it drop the table. */
  created: boolean;
  open: Set<PostgresOrigin>;
  Client: typeof pg.Client;
}

export async function openPostgresOrigin(options: OriginDbOptions, url: string): Promise<OriginDb> {
  const { default: driver } = await import("pg");
  const shared: Shared = { url, counts: newCounts(), created: false, open: new Set(), Client: driver.Client };
  return PostgresOrigin.open(shared, options, options.client ?? "main", true);
}

class PostgresOrigin implements OriginDb {
  readonly kind = "postgres" as const;
  readonly table: string;
  readonly counts: OriginCounts;

  private constructor(
    private readonly shared: Shared,
    private readonly options: OriginDbOptions,
    private readonly pg: pg.Client,
    readonly client: string,
    private readonly root: boolean,
  ) {
    this.table = options.table;
    this.counts = shared.counts;
    shared.open.add(this);
  }

  static async open(shared: Shared, options: OriginDbOptions, client: string, root: boolean): Promise<PostgresOrigin> {
    const conn = new shared.Client({
      connectionString: shared.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    });
    // A connection that drops later surfaces as a failed query; without a listener pg would crash the process.
    conn.on("error", () => {});
    try {
      await conn.connect();
    } catch (err) {
      await conn.end().catch(() => {});
      const why = err instanceof Error ? err.message : String(err);
      throw new DependencyError(
        `cannot connect to the database at ${redactDbUrl(shared.url)}: ${why || "connection refused"}`,
        { cause: err },
      );
    }
    return new PostgresOrigin(shared, options, conn, client, root);
  }

  private async query<T>(
    sql: string,
    params: (string | number)[],
    map: (result: pg.QueryResult) => T,
    reply: (value: T) => ReplyValue,
  ): Promise<T> {
    const record = this.options.record ?? runStatement;
    const latency = this.options.latencyMs ?? 0;
    return record(
      this.client,
      [sql, ...params.map(String)],
      async () => {
        await delay(latency);
        return map(await this.pg.query(sql, params));
      },
      reply,
    );
  }

  async createTable(users: number): Promise<void> {
    const t = this.table;
    await this.query(
      `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL)`,
      [],
      () => undefined,
      () => "CREATE TABLE",
    );
    this.shared.created = true;
    await this.query(
      `INSERT INTO ${t} (id, name, version) SELECT i, 'user ' || i, 1 FROM generate_series(1, $1::int) AS i`,
      [users],
      (r) => r.rowCount ?? 0,
      (n) => `INSERT ${n}`,
    );
  }

  async readUser(id: number): Promise<UserRow | null> {
    this.counts.reads += 1;
    return this.query(
      `SELECT id, name, version FROM ${this.table} WHERE id = $1`,
      [id],
      (r) => (r.rows[0] as UserRow | undefined) ?? null,
      rowReply,
    );
  }

  async readAllUsers(): Promise<UserRow[]> {
    return this.query(
      `SELECT id, name, version FROM ${this.table} ORDER BY id`,
      [],
      (r) => r.rows as UserRow[],
      (rows) => `${rows.length} rows`,
    );
  }

  async updateUser(row: UserRow): Promise<number> {
    const changed = await this.query(
      `UPDATE ${this.table} SET name = $1, version = $2 WHERE id = $3`,
      [row.name, row.version, row.id],
      (r) => r.rowCount ?? 0,
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
    const values = latest.map((_, i) => `($${3 * i + 1}::int, $${3 * i + 2}::text, $${3 * i + 3}::int)`).join(", ");
    const sql =
      `UPDATE ${t} SET name = v.name, version = v.version FROM (VALUES ${values}) AS v(id, name, version) ` +
      `WHERE ${t}.id = v.id AND ${t}.version < v.version`;
    const changed = await this.query(
      sql,
      latest.flatMap((r) => [r.id, r.name, r.version]),
      (r) => r.rowCount ?? 0,
      (n) => `UPDATE ${n}`,
    );
    this.counts.writes += changed;
    this.counts.writeStatements += 1;
    return changed;
  }

  async renameAllUsers(suffix: string): Promise<number> {
    const changed = await this.query(
      `UPDATE ${this.table} SET name = name || $1, version = version + 1`,
      [suffix],
      (r) => r.rowCount ?? 0,
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
    await this.query(
      `DROP TABLE ${this.table}`,
      [],
      () => undefined,
      () => "DROP TABLE",
    );
  }

  async connect(client: string): Promise<OriginDb> {
    return PostgresOrigin.open(this.shared, this.options, client, false);
  }

  async close(): Promise<void> {
    const others = this.root ? [...this.shared.open].filter((o) => o !== this) : [];
    await Promise.all([...others, this].map((o) => o.end()));
  }

  private async end(): Promise<void> {
    if (!this.shared.open.delete(this)) return;
    await this.pg.end().catch(() => {});
  }
}
