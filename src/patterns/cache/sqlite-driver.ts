/**
 * The SQLite engines the embedded origin can run on, none of which compiles anything at install time:
 * - `node:sqlite`, built into Node.js (22.13+ and 23.4+ without a flag; 22.5–22.12 only with --experimental-sqlite);
 * - `wasm`, SQLite compiled to WebAssembly (node-sqlite3-wasm) reading and writing the file through Node's fs: on
 *   Node 20, or wherever the built-in module is missing.
 * Both run the same SQL text on a real SQLite file; a handle is one connection to it.
 */
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import { ConnectError } from "../../errors.js";

export type SqliteDriverName = "node:sqlite" | "wasm";

export type SqliteParam = string | number;
export type SqliteRow = Record<string, unknown>;

/** One connection to a SQLite file. Every call runs one statement to completion, synchronously. */
export interface SqliteHandle {
  readonly isOpen: boolean;
  /** The rows changed. */
  run(sql: string, params?: readonly SqliteParam[]): number;
  get(sql: string, params?: readonly SqliteParam[]): SqliteRow | null;
  all(sql: string, params?: readonly SqliteParam[]): SqliteRow[];
  close(): void;
}

export interface SqliteDriver {
  readonly name: SqliteDriverName;
  /** The engine's own version (`select sqlite_version()` would say the same). */
  readonly version: string;
  /** WAL needs shared memory between connections, which the WebAssembly file system does not offer. */
  readonly wal: boolean;
  open(file: string): SqliteHandle;
}

const require = createRequire(import.meta.url);

/* The two modules' shapes, as far as used here (Node 20's @types have no node:sqlite). */
interface NodeStatement {
  run(...params: SqliteParam[]): { changes: number | bigint };
  get(...params: SqliteParam[]): SqliteRow | undefined;
  all(...params: SqliteParam[]): SqliteRow[];
}
interface NodeDatabase {
  readonly isOpen?: boolean;
  prepare(sql: string): NodeStatement;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (file: string) => NodeDatabase;
}
interface WasmDatabase {
  readonly isOpen: boolean;
  run(sql: string, values?: SqliteParam[]): { changes: number };
  get(sql: string, values?: SqliteParam[]): SqliteRow | null;
  all(sql: string, values?: SqliteParam[]): SqliteRow[];
  close(): void;
}
interface WasmModule {
  Database: new (file: string) => WasmDatabase;
}

/**
 * node:sqlite, or why not. Node 22 prints an ExperimentalWarning when the module loads; that one line is dropped
 * (the user did not ask for an experiment, the tool chose the engine), every other warning passes.
 */
function loadNodeSqlite(): NodeSqliteModule | Error {
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/^SQLite is an experimental feature/.test(text)) return;
    return (emit as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return require("node:sqlite") as NodeSqliteModule;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    process.emitWarning = emit;
  }
}

function nodeDriver(mod: NodeSqliteModule): SqliteDriver {
  const probe = new mod.DatabaseSync(":memory:");
  const version = String(probe.prepare("SELECT sqlite_version() AS v").get()?.v);
  probe.close();
  return {
    name: "node:sqlite",
    version,
    wal: true,
    open(file) {
      const db = new mod.DatabaseSync(file);
      // Statements are prepared once per connection: the same few run many times in a workload.
      const statements = new Map<string, NodeStatement>();
      let open = true;
      const stmt = (sql: string): NodeStatement => {
        let s = statements.get(sql);
        if (!s) statements.set(sql, (s = db.prepare(sql)));
        return s;
      };
      return {
        get isOpen() {
          return open;
        },
        run: (sql, params = []) => Number(stmt(sql).run(...params).changes),
        get: (sql, params = []) => stmt(sql).get(...params) ?? null,
        all: (sql, params = []) => stmt(sql).all(...params),
        close() {
          if (!open) return;
          open = false;
          statements.clear();
          db.close();
        },
      };
    },
  };
}

function wasmDriver(mod: WasmModule): SqliteDriver {
  const probe = new mod.Database(":memory:");
  const version = String(probe.get("SELECT sqlite_version() AS v")?.v);
  probe.close();
  return {
    name: "wasm",
    version,
    wal: false,
    open(file) {
      const db = new mod.Database(file);
      // run/get/all prepare and finalize the statement in one call: WebAssembly memory is not garbage collected.
      return {
        get isOpen() {
          return db.isOpen;
        },
        run: (sql, params = []) => db.run(sql, [...params]).changes,
        get: (sql, params = []) => db.get(sql, [...params]),
        all: (sql, params = []) => db.all(sql, [...params]),
        close() {
          if (db.isOpen) db.close();
        },
      };
    },
  };
}

const loaded = new Map<SqliteDriverName, SqliteDriver | Error>();

function load(name: SqliteDriverName): SqliteDriver | Error {
  let driver = loaded.get(name);
  if (!driver) {
    try {
      if (name === "node:sqlite") {
        const mod = loadNodeSqlite();
        driver = mod instanceof Error ? mod : nodeDriver(mod);
      } else {
        // Baseline-compiled WebAssembly only (Liftoff): with V8's default tiering, hot SQLite functions are recompiled
        // by TurboFan on a background thread, and a process exiting (Ctrl-C) waits for that thread to finish its
        // job: up to a second on a busy 2-core machine (docs/safety.md). The flag applies to modules compiled after
        // it is set: this one, which the tool loads only here.
        setFlagsFromString("--liftoff-only");
        driver = wasmDriver(require("node-sqlite3-wasm") as WasmModule);
      }
    } catch (err) {
      driver = err instanceof Error ? err : new Error(String(err));
    }
    loaded.set(name, driver);
  }
  return driver;
}

/** The engines this Node.js can run, preferred first. */
export function availableSqliteDrivers(): SqliteDriverName[] {
  return (["node:sqlite", "wasm"] as const).filter((name) => !(load(name) instanceof Error));
}

/** The named engine, or the first available: node:sqlite where Node has it, else the WebAssembly build. */
export function sqliteDriver(name?: SqliteDriverName): SqliteDriver {
  const names: SqliteDriverName[] = name ? [name] : ["node:sqlite", "wasm"];
  const reasons: string[] = [];
  for (const n of names) {
    const driver = load(n);
    if (!(driver instanceof Error)) return driver;
    reasons.push(`${n}: ${driver.message.split("\n")[0]}`);
  }
  throw new ConnectError(
    `no embedded SQLite here (${reasons.join("; ")}): reinstall redis-patterns (node-sqlite3-wasm), use ` +
      `Node.js 22.13+, or point the origin at PostgreSQL (postgres://…)`,
  );
}
