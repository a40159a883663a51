import { isPermissionDenied, isUnknownCommand, replyCode } from "./classify-error.js";
import { getKeyIndexes } from "@ioredis/commands";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { UsageError } from "../errors.js";
import { scanPrefixOnAll } from "./cleanup.js";
import type { KeySpace } from "./keys.js";
import type { CommandRecorder } from "./recorder.js";
import type { Redis } from "ioredis";
import type { RedisCaller } from "./types.js";

/**
 * Who owns a prefix. A run claims its prefix before its first write by creating one marker key under it with
 * `SET … NX`: of several runs started together on one prefix exactly one succeeds, and the others are refused before
 * they write anything. The marker says which run holds the prefix (run id, host, pid, start time, tool version) and
 * carries a TTL the run renews while it lives, so the marker of a run that vanished expires on its own.
 *
 * A `--keep` run turns its marker into a "kept" marker that lists the keys the run created (its manifest), with
 * the same TTL bound the kept keys get. `cleanup --prefix` deletes only what such a marker vouches for.
 */

/** The marker's key name under the prefix: `<prefix>:rp-run`. */
export const MARKER_NAME = "rp-run";
/** How long a live run's marker lasts without renewal; the run renews it every third of this. */
export const RUN_MARKER_TTL_MS = 10 * 60_000;
/** The longest any key of a --keep run (and its marker) lives: kept keys' TTLs are capped to this at the end. */
export const KEPT_TTL_MS = 24 * 60 * 60_000;

export function markerKey(prefix: string): string {
  return `${prefix}:${MARKER_NAME}`;
}

export interface RunMarker {
  tool: "redis-patterns";
  run: string;
  host: string;
  pid: number;
  started: string;
  version: string;
  state: "running" | "kept";
  /** For state "kept": the keys the run created and left (the manifest cleanup deletes from). */
  keys?: string[];
}

/** Parse a marker's value; undefined when the key holds something that is not one of ours. */
export function parseMarker(value: unknown): RunMarker | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const m = JSON.parse(value) as Partial<RunMarker>;
    if (m && m.tool === "redis-patterns" && typeof m.run === "string" && (m.state === "running" || m.state === "kept"))
      return m as RunMarker;
  } catch {
    // not JSON: someone else's key
  }
  return undefined;
}

/** One line about who holds a marker, for refusals. */
export function describeMarker(m: RunMarker): string {
  return `run ${m.run} (pid ${m.pid} on ${m.host}, started ${m.started}, redis-patterns ${m.version})`;
}

// Compare-and-act scripts: a run only ever renews, rewrites or deletes a marker that still holds its own value. Sent
// with EVAL (they are a few dozen bytes): they are the tool's housekeeping, not one of the scenarios' scripts.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const REPLACE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end\n" +
  "return false";
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Replace (with `next`, for `ttlMs`) or delete (`next` undefined) the marker at `key`, only if it still holds
 * `expected`: a run only ever rewrites or deletes a marker that holds its own value. A script where scripts are
 * allowed; for an ACL user who may not run them, the same with WATCH, GET, MULTI … EXEC.
 */
async function ifMarkerIs(redis: Redis, key: string, expected: string, next?: string, ttlMs = 0): Promise<boolean> {
  try {
    const reply = next
      ? await redis.call("EVAL", REPLACE, 1, key, expected, next, ttlMs)
      : await redis.call("EVAL", RELEASE, 1, key, expected);
    return next ? reply === "OK" : Number(reply) === 1;
  } catch (err) {
    if (!isPermissionDenied(err) && !isUnknownCommand(err)) throw err;
  }
  await redis.watch(key);
  let current: string | null = null;
  try {
    current = await redis.get(key);
  } catch {
    // WRONGTYPE: someone else's key now; not ours to touch
  }
  if (current !== expected) {
    await redis.unwatch();
    return false;
  }
  const multi = next ? redis.multi().set(key, next, "PX", ttlMs) : redis.multi().del(key);
  return (await multi.exec()) !== null;
}

export interface ClaimOptions {
  prefix: string;
  /** The tool's version, written into the marker. */
  version: string;
  /**
   * Refuse when anything else lives under the prefix (a user-chosen prefix could be an application's own). A fresh
   * random prefix skips this walk of the keyspace: the marker alone settles it.
   */
  requireEmpty: boolean;
  /** Renew the marker on a timer (off in tests that look at the trace). */
  renew?: boolean;
}

/** A prefix this run holds. `release` or `keep` when the run ends. */
export class PrefixClaim {
  private timer: NodeJS.Timeout | undefined;
  /** Set when a renewal found the marker gone or replaced: the run no longer provably owns the prefix. */
  lost = false;

  private constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    readonly marker: RunMarker,
    private value: string,
    /** False when the server refused the marker for lack of memory (see `claim`): nothing to renew or give back. */
    readonly held = true,
  ) {}

  get key(): string {
    return markerKey(this.prefix);
  }

  /**
   * Claim `prefix`: `SET <prefix>:rp-run <marker> NX PX <ttl>`, then (for a user-chosen prefix) make sure nothing
   * else lives under it. Throws UsageError (exit 2) naming the holder when the prefix is taken.
   */
  static async claim(redis: Redis, masters: readonly RedisCaller[], opts: ClaimOptions): Promise<PrefixClaim> {
    const marker: RunMarker = {
      tool: "redis-patterns",
      run: randomBytes(6).toString("hex"),
      host: hostname(),
      pid: process.pid,
      started: new Date().toISOString(),
      version: opts.version,
      state: "running",
    };
    const key = markerKey(opts.prefix);
    const value = JSON.stringify(marker);
    let set: unknown;
    try {
      set = await redis.call("SET", key, value, "NX", "PX", RUN_MARKER_TTL_MS);
    } catch (err) {
      // A server that refuses every write (OOM under noeviction) cannot take the run's keys either: the run goes on
      // unclaimed, and each scenario fails on its first write, naming OOM. Any other refusal ends the run here.
      if (replyCode(err) !== "OOM") throw err;
      return new PrefixClaim(redis, opts.prefix, marker, value, false);
    }
    if (set !== "OK") {
      const held = parseMarker(await redis.call("GET", key).catch(() => undefined));
      const cleanup = `redis-patterns cleanup --prefix ${opts.prefix}`;
      if (held?.state === "running")
        throw new UsageError(`--prefix ${opts.prefix} is in use by another redis-patterns ${describeMarker(held)}`);
      if (held?.state === "kept")
        throw new UsageError(
          `--prefix ${opts.prefix} holds the keys of a --keep ${describeMarker(held)}: remove them ` +
            `with: ${cleanup}, or choose another prefix`,
        );
      throw new UsageError(`--prefix ${opts.prefix} already holds keys (${key}): choose another prefix`);
    }
    const claim = new PrefixClaim(redis, opts.prefix, marker, value);
    if (opts.requireEmpty) {
      const existing = (await scanPrefixOnAll(masters, opts.prefix, 6)).filter((k) => k !== key);
      if (existing.length > 0) {
        await claim.release();
        throw new UsageError(
          `--prefix ${opts.prefix} already holds keys ` +
            `(${existing.slice(0, 3).join(", ")}${existing.length > 3 ? ", …" : ""}): ` +
            `choose another prefix (a run writes only under a prefix nothing else uses)`,
        );
      }
    }
    if (opts.renew !== false) claim.startRenewing();
    return claim;
  }

  private startRenewing(): void {
    this.timer = setInterval(() => {
      void this.renew().catch(() => {
        // A renewal that fails (connection lost) is retried at the next tick; the end of the run reports the rest.
      });
    }, RUN_MARKER_TTL_MS / 3);
    this.timer.unref();
  }

  /** Extend the marker's TTL, if it is still ours. */
  async renew(): Promise<boolean> {
    if (!this.held) return false;
    const renewed = Number(await this.redis.call("EVAL", RENEW, 1, this.key, this.value, RUN_MARKER_TTL_MS)) === 1;
    if (!renewed) this.lost = true;
    return renewed;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Delete the marker if it is still ours (the run's keys are gone). */
  async release(redis: Redis = this.redis): Promise<boolean> {
    this.stop();
    if (!this.held) return false;
    return releaseMarker(redis, this.prefix, this.value);
  }

  /**
   * For `--keep`: turn the marker into a kept marker listing `keys`, with the kept-keys TTL bound, so `cleanup`
   * later deletes exactly these. Returns false when the marker was no longer ours.
   */
  async keep(keys: readonly string[], redis: Redis = this.redis): Promise<boolean> {
    this.stop();
    if (!this.held) return false;
    const kept: RunMarker = { ...this.marker, state: "kept", keys: [...keys] };
    const value = JSON.stringify(kept);
    const ok = await ifMarkerIs(redis, this.key, this.value, value, KEPT_TTL_MS);
    if (ok) this.value = value;
    return ok;
  }
}

/** Delete the marker at `prefix` if it still holds exactly `value` (what `cleanup` read before deleting the keys). */
export async function releaseMarker(redis: Redis, prefix: string, value: string): Promise<boolean> {
  const key = markerKey(prefix);
  return ifMarkerIs(redis, key, value);
}

/** Whether the marker's run is a live process on this machine (false when it runs elsewhere or is gone). */
export function markerRunIsAlive(m: RunMarker): boolean | "unknown" {
  if (m.host !== hostname()) return "unknown";
  try {
    process.kill(m.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Cap the TTL of each key to `ttlMs` (a key without one gets it; a longer one is shortened; a shorter one stays),
 * with PTTL then PEXPIRE (any server version); a key in `guarded` (its TTL is the TTL guard's) gets `ttlMs`. For the
 * keys a --keep run leaves. Returns the keys that exist (a run names some keys it never writes).
 */
export async function capTtl(
  redis: RedisCaller,
  keys: readonly string[],
  ttlMs: number,
  guarded: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const existing: string[] = [];
  for (const key of keys) {
    const pttl = Number(await redis.call("PTTL", key));
    if (pttl === -2) continue;
    existing.push(key);
    // A TTL the run's guard gave (ttl-guard.ts) only stood for "no TTL of its own": the kept key gets the full cap.
    if (pttl === -1 || pttl > ttlMs || guarded.has(key)) await redis.call("PEXPIRE", key, ttlMs);
  }
  return existing;
}

/**
 * Watch the run's commands: a key a command failed on with WRONGTYPE held something before this run wrote it (the
 * run never writes two types under one name), so it is not the run's and the end-of-run cleanup must leave it.
 * Returns the function that stops watching.
 */
export function watchForeignKeys(recorder: CommandRecorder, keys: KeySpace): () => void {
  // Inside MULTI a command replies QUEUED and its WRONGTYPE comes back in EXEC's reply, at the same position.
  const queued = new Map<number, string[][]>();
  return recorder.onCommand((cmd, event) => {
    if (event !== "replied") return;
    if (cmd.batch?.kind === "multi") {
      const verb = cmd.argv[0]?.toLowerCase();
      if (cmd.reply === "QUEUED") {
        const list = queued.get(cmd.batch.id) ?? [];
        list.push(cmd.argv);
        queued.set(cmd.batch.id, list);
      } else if (verb === "exec" || verb === "discard") {
        const list = queued.get(cmd.batch.id) ?? [];
        queued.delete(cmd.batch.id);
        if (Array.isArray(cmd.reply))
          cmd.reply.forEach((reply, i) => {
            const error = (reply as { error?: unknown } | null)?.error;
            if (replyCode(error) === "WRONGTYPE" && list[i]) markForeignArgs(list[i], keys);
          });
      }
    }
    if (replyCode(cmd.error) !== "WRONGTYPE") return;
    markForeignArgs(cmd.argv, keys);
  });
}

/** Mark the run's keys among a failed command's key arguments as foreign. */
function markForeignArgs(argv: readonly string[], keys: KeySpace): void {
  const [name, ...args] = argv;
  if (!name) return;
  let indexes: number[];
  try {
    indexes = getKeyIndexes(name.toLowerCase(), args);
  } catch {
    // An unknown command: every argument that is one of the run's key names counts.
    indexes = args.map((_, i) => i);
  }
  for (const i of indexes) {
    const key = args[i];
    if (key !== undefined && keys.has(key)) keys.markForeign(key);
  }
}
