/**
 * The origin database in PostgreSQL, through pg. One `pg.Client` per connection; the run's own table only
 * (`CREATE TABLE` fails rather than reuse an existing one; `DROP TABLE` names that table and nothing else). The
 * statements are sql-origin.ts's, in PostgreSQL's dialect.
 */
import type pg from "pg";
import { DependencyError } from "../../errors.js";
import { newCounts, redactDbUrl, type OriginDb, type OriginDbOptions, type UserRow } from "./origin-db.js";
import { SqlOrigin, type SqlDialect, type SqlShared } from "./sql-origin.js";

interface Shared extends SqlShared {
  url: string;
  open: Set<PostgresOrigin>;
  Client: typeof pg.Client;
}

const postgres: SqlDialect = {
  param: (n) => `$${n}`,
  seed: (t) => `INSERT INTO ${t} (id, name, version) SELECT i, 'user ' || i, 1 FROM generate_series(1, $1::int) AS i`,
  batch: (count) => {
    const rows = Array.from(
      { length: count },
      (_, i) => `($${3 * i + 1}::int, $${3 * i + 2}::text, $${3 * i + 3}::int)`,
    );
    return `(VALUES ${rows.join(", ")}) AS v(id, name, version)`;
  },
};

export async function openPostgresOrigin(options: OriginDbOptions, url: string): Promise<OriginDb> {
  const { default: driver } = await import("pg");
  const shared: Shared = { url, counts: newCounts(), created: false, open: new Set(), Client: driver.Client };
  return PostgresOrigin.open(shared, options, options.client ?? "main", true);
}

class PostgresOrigin extends SqlOrigin {
  readonly kind = "postgres" as const;

  private constructor(
    private readonly shared: Shared,
    options: OriginDbOptions,
    private readonly pg: pg.Client,
    client: string,
    private readonly root: boolean,
  ) {
    super(shared, options, client, postgres);
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

  protected async query(sql: string, params: (string | number)[]): Promise<UserRow[]> {
    return (await this.pg.query(sql, params)).rows as UserRow[];
  }

  protected async execute(sql: string, params: (string | number)[]): Promise<number> {
    return (await this.pg.query(sql, params)).rowCount ?? 0;
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
