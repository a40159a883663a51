import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { encodeUser } from "./entry.js";
import type { OriginDb, UserRow } from "./origin-db.js";

export const writeBehindScript = defineScript(
  "cache-write-behind",
  `
--[[ Write-behind: store the new value in the cache and queue it for the database, in one atomic step.
  KEYS[1]  the cache entry of the user
  KEYS[2]  the queue of writes not yet in the database (a stream; same hash tag as the entry)
  ARGV[1]  the entry (JSON)      ARGV[2]  TTL of the entry, ms
  ARGV[3]  user id               ARGV[4]  version      ARGV[5]  name
  returns  the stream ID of the queued write
  Both or neither: a value in the cache that never reaches the queue would never reach the database. ]]
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('XADD', KEYS[2], '*', 'id', ARGV[3], 'version', ARGV[4], 'name', ARGV[5])
`,
);

/** A write waiting in the queue. */
export interface QueuedWrite {
  /** Stream entry ID: `<server ms>-<seq>`. */
  streamId: string;
  row: UserRow;
}

/**
 * Write-behind (write-back) write: the new value goes into the cache and onto a queue in Redis, and the write
 * returns. A worker applies the queue to the database later, in batches ({@link flushWriteBehind}).
 *
 * Pro: very fast writes (one Redis round trip); many writes become one database statement; hot rows written
 * repeatedly reach the database once per batch.
 * Con: data loss risk: a write acknowledged to the user exists only in Redis until the worker has flushed it. If
 * Redis loses it (crash without persistence, failover before replication) or the queue is dropped, it is gone.
 * The database lags behind the cache (reads from the database see old data).
 */
export async function writeBehind(
  redis: RedisCaller,
  entryKey: string,
  queueKey: string,
  row: UserRow,
  options: { ttlMs: number },
): Promise<string> {
  return String(
    await runScript(
      redis,
      writeBehindScript,
      [entryKey, queueKey],
      [encodeUser(row), options.ttlMs, row.id, row.version, row.name],
    ),
  );
}

/** What one flush did: the queued writes it took, and the rows the database changed. */
export interface FlushResult {
  writes: QueuedWrite[];
  /** Rows the database changed (fewer than writes when a batch held several writes of one user). */
  rowsWritten: number;
}

/**
 * Take up to `batchSize` queued writes (oldest first), apply them to the database in one statement, then remove
 * them from the queue. A worker dying between the statement and the XDEL leaves them queued: the next flush applies
 * them again, which changes nothing (each row is only written if the queued version is newer). At-least-once.
 */
export async function flushWriteBehind(
  redis: RedisCaller,
  db: Pick<OriginDb, "applyWrites">,
  queueKey: string,
  options: {
    batchSize: number;
    /** Checked before the database statement: false stops the flush there (the worker died). */ alive?: () => boolean;
  },
): Promise<FlushResult> {
  const reply = (await redis.call("XRANGE", queueKey, "-", "+", "COUNT", options.batchSize)) as [string, string[]][];
  const writes = reply.map(([streamId, fields]) => ({ streamId, row: queuedRow(fields) }));
  if (writes.length === 0 || options.alive?.() === false) return { writes: [], rowsWritten: 0 };
  const rowsWritten = await db.applyWrites(writes.map((w) => w.row));
  await redis.call("XDEL", queueKey, ...writes.map((w) => w.streamId));
  return { writes, rowsWritten };
}

/** Writes acknowledged but not yet in the database. */
export async function pendingWrites(redis: RedisCaller, queueKey: string): Promise<number> {
  return Number(await redis.call("XLEN", queueKey));
}

function queuedRow(fields: string[]): UserRow {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const id = Number(map.get("id"));
  const version = Number(map.get("version"));
  const name = map.get("name");
  if (!Number.isInteger(id) || !Number.isInteger(version) || name === undefined)
    throw new Error(`malformed queued write: ${fields.join(" ")}`);
  return { id, name, version };
}

export interface WriteBehindWorkerOptions {
  /** The worker's own connections: to Redis and to the database. */
  redis: RedisCaller;
  db: Pick<OriginDb, "applyWrites">;
  queueKey: string;
  batchSize: number;
  /** Pause between flushes, ms. */
  intervalMs: number;
  /** Called after each flush that applied something (after the database statement and the XDEL). */
  onFlush?(result: FlushResult): void;
}

export interface WriteBehindWorker {
  /** Flushes that applied something, in order. */
  readonly flushes: readonly FlushResult[];
  /** Shut down cleanly: finish the queue (flush until it is empty), then stop. */
  stop(): Promise<void>;
  /**
   * Die: no flush runs again, and a flush that has not yet sent its database statement stops before it (one that
   * has, completes). What is still queued stays in Redis only.
   */
  crash(): Promise<void>;
}

/**
 * The asynchronous side of write-behind: every `intervalMs`, flush one batch. Runs on its own connections, alongside
 * the app's requests, until stopped or crashed.
 */
export function startWriteBehindWorker(options: WriteBehindWorkerOptions): WriteBehindWorker {
  const flushes: FlushResult[] = [];
  let state: "running" | "stopping" | "dead" = "running";
  let failure: { err: unknown } | undefined;
  let wake: (() => void) | undefined;
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.intervalMs);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  const flushOnce = async (): Promise<number> => {
    const result = await flushWriteBehind(options.redis, options.db, options.queueKey, {
      batchSize: options.batchSize,
      alive: () => state !== "dead",
    });
    if (result.writes.length > 0) {
      flushes.push(result);
      options.onFlush?.(result);
    }
    return result.writes.length;
  };
  const loop = (async () => {
    while (state === "running") {
      await pause();
      if (state !== "running") break;
      try {
        await flushOnce();
      } catch (err) {
        failure = { err };
        state = "dead";
      }
    }
  })();
  const halt = async (next: "stopping" | "dead") => {
    if (state === "running") state = next;
    wake?.();
    await loop;
    if (failure) throw failure.err;
  };
  return {
    flushes,
    async stop() {
      await halt("stopping");
      if (state === "dead") return;
      while ((await flushOnce()) > 0) {
        // keep draining
      }
      state = "dead";
    },
    crash: () => halt("dead"),
  };
}
