/**
 * What the two origin engines share: the statements of {@link OriginDb} (one SQL text each, in the engine's dialect),
 * each recorded with the modelled latency inside the recorded call, the counts they keep, and the rule that only a
 * table this run created is dropped. An engine (sqlite-origin.ts, postgres-origin.ts) gives its dialect and runs a
 * statement; connecting, connections and closing stay its own.
 */
import type { ReplyValue } from "../../redis/recorder.js";
import {
  delay,
  latestPerId,
  rowReply,
  runStatement,
  type OriginCounts,
  type OriginDb,
  type OriginDbOptions,
  type OriginSpec,
  type UserRow,
} from "./origin-db.js";

/** The SQL that differs between engines. */
export interface SqlDialect {
  /** The n-th parameter (from 1): `$1` in PostgreSQL, `?` in SQLite. */
  param(n: number): string;
  /** One INSERT of users 1…n, each at version 1; n is the one parameter. */
  seed(table: string): string;
  /** The rows of a batch of `count` writes, as a source named `v` with columns id, name, version. */
  batch(count: number): string;
}

/** What every connection of one database shares. */
export interface SqlShared {
  counts: OriginCounts;
  /** Set once this run's CREATE TABLE succeeded: only then may it drop the table. */
  created: boolean;
}

export abstract class SqlOrigin implements OriginDb {
  abstract readonly kind: OriginSpec["kind"];
  readonly table: string;
  readonly counts: OriginCounts;

  protected constructor(
    private readonly sql: SqlShared,
    protected readonly options: OriginDbOptions,
    readonly client: string,
    private readonly dialect: SqlDialect,
  ) {
    this.table = options.table;
    this.counts = sql.counts;
  }

  /** The rows a statement returns. */
  protected abstract query(sql: string, params: (string | number)[]): Promise<UserRow[]> | UserRow[];
  /** Run a statement; the rows it changed. */
  protected abstract execute(sql: string, params: (string | number)[]): Promise<number> | number;
  abstract connect(client: string): Promise<OriginDb>;
  abstract close(): Promise<void>;

  /** Record one statement; the latency sleep and the engine's call run inside the recorded call. */
  private record<T>(
    sql: string,
    params: (string | number)[],
    run: () => Promise<T> | T,
    reply: (value: T) => ReplyValue,
  ): Promise<T> {
    const record = this.options.record ?? runStatement;
    const latency = this.options.latencyMs ?? 0;
    return record(
      this.client,
      [sql, ...params.map(String)],
      async () => {
        await delay(latency);
        return run();
      },
      reply,
    );
  }

  private rows(sql: string, params: (string | number)[], reply: (rows: UserRow[]) => ReplyValue): Promise<UserRow[]> {
    return this.record(sql, params, () => this.query(sql, params), reply);
  }

  private run(sql: string, params: (string | number)[], reply: (changed: number) => ReplyValue): Promise<number> {
    return this.record(sql, params, () => this.execute(sql, params), reply);
  }

  /** A data write: the rows it changed count as writes, the statement as one write statement. */
  private async write(sql: string, params: (string | number)[]): Promise<number> {
    const changed = await this.run(sql, params, (n) => `UPDATE ${n}`);
    this.counts.writes += changed;
    this.counts.writeStatements += 1;
    return changed;
  }

  async createTable(users: number): Promise<void> {
    const t = this.table;
    await this.run(
      `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL)`,
      [],
      () => "CREATE TABLE",
    );
    this.sql.created = true;
    await this.run(this.dialect.seed(t), [users], (n) => `INSERT ${n}`);
  }

  async readUser(id: number): Promise<UserRow | null> {
    this.counts.reads += 1;
    const sql = `SELECT id, name, version FROM ${this.table} WHERE id = ${this.dialect.param(1)}`;
    const rows = await this.rows(sql, [id], (found) => rowReply(found[0] ?? null));
    return rows[0] ?? null;
  }

  readAllUsers(): Promise<UserRow[]> {
    return this.rows(`SELECT id, name, version FROM ${this.table} ORDER BY id`, [], (rows) => `${rows.length} rows`);
  }

  updateUser(row: UserRow): Promise<number> {
    const $ = (n: number) => this.dialect.param(n);
    return this.write(`UPDATE ${this.table} SET name = ${$(1)}, version = ${$(2)} WHERE id = ${$(3)}`, [
      row.name,
      row.version,
      row.id,
    ]);
  }

  async applyWrites(rows: readonly UserRow[]): Promise<number> {
    const latest = latestPerId(rows);
    if (latest.length === 0) return 0;
    const t = this.table;
    const sql =
      `UPDATE ${t} SET name = v.name, version = v.version FROM ${this.dialect.batch(latest.length)} ` +
      `WHERE ${t}.id = v.id AND ${t}.version < v.version`;
    return this.write(
      sql,
      latest.flatMap((r) => [r.id, r.name, r.version]),
    );
  }

  renameAllUsers(suffix: string): Promise<number> {
    const sql = `UPDATE ${this.table} SET name = name || ${this.dialect.param(1)}, version = version + 1`;
    return this.write(sql, [suffix]);
  }

  async dropTable(): Promise<void> {
    // Only a table this run created: if CREATE TABLE failed, the name belongs to someone else.
    if (!this.sql.created) return;
    this.sql.created = false;
    await this.run(`DROP TABLE ${this.table}`, [], () => "DROP TABLE");
  }
}
