/**
 * The origin database behind the cache: a `users` table in SQLite (embedded: node:sqlite or WebAssembly) or
 * PostgreSQL (pg), behind one small interface, so the caching patterns read and write a real database whichever it is.
 *
 * Every statement goes through a {@link StatementRunner}: the scenarios pass one that records it in the trace (as a
 * database statement next to the Redis commands) and the tests one that just runs it. `latencyMs` sleeps before each
 * statement, inside the recorded call, to model a database one network hop away.
 */
import { UsageError } from "../../errors.js";
import type { ReplyValue } from "../../redis/recorder.js";

/** One row of the origin table; `version` counts the writes to the row (1 when seeded). */
export interface UserRow {
  id: number;
  name: string;
  version: number;
}

/**
 * Run (and record) one statement: `client` names the app connection that sent it ("main", "worker", "instance-2"),
 * `argv` is the SQL text followed by its parameters. Same shape as a scenario context's `external`.
 */
export type StatementRunner = <T>(
  client: string,
  argv: string[],
  run: () => Promise<T>,
  reply?: (value: T) => ReplyValue,
) => Promise<T>;

/** A runner that records nothing: for tests and for library users who bring their own logging. */
export const runStatement: StatementRunner = (_client, _argv, run) => run();

/** What the database was asked to do, for the strategies' tables: data statements only (no DDL, no seeding). */
export interface OriginCounts {
  /** SELECT statements that read users (one per cache miss in the read paths). */
  reads: number;
  /** Rows written (UPDATE … SET). */
  writes: number;
  /** Statements that wrote (one per write, or one per batch for write-behind). */
  writeStatements: number;
}

/** `--db`: the embedded SQLite database (a temporary file, or one you name) or a PostgreSQL URL. */
export type OriginSpec =
  | {
      kind: "sqlite";
      path?: string;
      /** The SQLite engine; by default node:sqlite where Node has it, else the WebAssembly build. */
      driver?: "node:sqlite" | "wasm";
    }
  | { kind: "postgres"; url: string };

/**
 * An origin spec that does not parse: the text (password redacted) and what is wrong with it. The CLI names its
 * flag (`--db`) in front of the message; the pattern knows no flags.
 */
export class OriginSpecError extends UsageError {
  constructor(
    readonly spec: string,
    readonly problem: string,
  ) {
    super(`"${spec}": ${problem}`);
  }
}

/**
 * `sqlite` (a temporary file, removed at the end), `sqlite:<path>` (your file; only the run's own table is created
 * and dropped in it), or `postgres://user@host:5432/db` / `postgresql://…`. Throws an OriginSpecError otherwise.
 */
export function parseOriginSpec(text: string): OriginSpec {
  const t = text.trim();
  if (t === "sqlite") return { kind: "sqlite" };
  if (t.startsWith("sqlite:")) {
    const path = t.slice("sqlite:".length);
    if (!path || path === ":memory:") {
      throw new OriginSpecError(
        t,
        'name a file (sqlite:/tmp/origin.db), or use "sqlite" for a temporary one ' +
          "(the write-behind worker opens a second connection, so an in-memory database will not do)",
      );
    }
    return { kind: "sqlite", path };
  }
  if (/^postgres(ql)?:\/\//.test(t)) {
    try {
      new URL(t);
    } catch {
      throw new OriginSpecError(
        redactDbUrl(t),
        "malformed PostgreSQL URL: expected postgres://user@host:5432/database",
      );
    }
    return { kind: "postgres", url: t };
  }
  throw new OriginSpecError(
    redactDbUrl(t),
    "use sqlite (a temporary file), sqlite:<path>, or postgres://user@host:5432/database",
  );
}

/** A database URL fit to print: the password, if any, replaced by `***`. */
export function redactDbUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@/]*@/i, "$1***@");
}

/** How the spec reads in a title: `SQLite (temporary file)`, `PostgreSQL postgres://postgres@127.0.0.1:5432/test`. */
export function describeOrigin(spec: OriginSpec): string {
  if (spec.kind === "postgres") return `PostgreSQL ${redactDbUrl(spec.url)}`;
  return spec.path ? `SQLite ${spec.path}` : "SQLite (temporary file)";
}

/** A safe, unique table name for one run: `rp_cache_<hex>` (lower case letters, digits and `_` only). */
export function originTableName(unique: string): string {
  const suffix = unique
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 40);
  if (!suffix) throw new Error("originTableName needs a non-empty unique part");
  return `rp_cache_${suffix}`;
}

export interface OriginDbOptions {
  spec: OriginSpec;
  /** The table this run creates and drops; never an existing one (`CREATE TABLE` fails if it exists). */
  table: string;
  /** Sleep this long before each statement, inside the recorded call (a remote database's round trip). */
  latencyMs?: number;
  record?: StatementRunner;
  /** The app connection the statements are labelled with. */
  client?: string;
  /** PostgreSQL connect timeout. */
  connectTimeoutMs?: number;
}

/**
 * One connection to the origin database. Statements are recorded with this connection's `client` label; `connect`
 * opens another connection to the same database (the write-behind worker's own), sharing the counts.
 */
export interface OriginDb {
  readonly kind: OriginSpec["kind"];
  readonly table: string;
  readonly client: string;
  /** The engine, where the driver tells it: `SQLite 3.53.4 on WebAssembly`, `SQLite 3.54.1 on node:sqlite`. */
  readonly engine?: string;
  /** Shared by every connection of one database. */
  readonly counts: OriginCounts;
  /** `CREATE TABLE` (failing if it exists) and one `INSERT` of users 1…n, each at version 1. */
  createTable(users: number): Promise<void>;
  /** One user by id, or null. */
  readUser(id: number): Promise<UserRow | null>;
  /** Every user, by id (to compare the database with what the app believes). */
  readAllUsers(): Promise<UserRow[]>;
  /** Overwrite one user's name and version; returns rows changed (0 when the id does not exist). */
  updateUser(row: UserRow): Promise<number>;
  /**
   * Apply a batch of writes in one statement, each only if it is newer than the row (`version < new`), so a batch
   * delivered twice changes nothing the second time. Returns rows changed.
   */
  applyWrites(rows: readonly UserRow[]): Promise<number>;
  /** Rename every user (a bulk change, as a migration would make) and bump each version; returns rows changed. */
  renameAllUsers(suffix: string): Promise<number>;
  /** `DROP TABLE` (only the run's own table). */
  dropTable(): Promise<void>;
  connect(client: string): Promise<OriginDb>;
  /** Close this connection; the first connection also closes the others and removes a temporary SQLite file. */
  close(): Promise<void>;
}

export function assertTableName(table: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table))
    throw new Error(`unsafe table name "${table}": lower-case letters, digits and _ only`);
}

/** The name a write gives a user: `user 17 · edit 2` for version 3. */
export function userName(id: number, version: number): string {
  return version <= 1 ? `user ${id}` : `user ${id} · edit ${version - 1}`;
}

/** The reply shown in the trace for a row: `1) 17 2) "user 17" 3) 1`, or nil. */
export function rowReply(row: UserRow | null): ReplyValue {
  return row ? [row.id, row.name, row.version] : null;
}

/** Wait `ms` (the modelled network round trip). */
export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export function newCounts(): OriginCounts {
  return { reads: 0, writes: 0, writeStatements: 0 };
}

/** One write per id, the newest: a batch that names a row twice is applied as its last write. */
export function latestPerId(rows: readonly UserRow[]): UserRow[] {
  const latest = new Map<number, UserRow>();
  for (const row of rows) {
    const seen = latest.get(row.id);
    if (!seen || row.version > seen.version) latest.set(row.id, row);
  }
  return [...latest.values()].sort((a, b) => a.id - b.id);
}
