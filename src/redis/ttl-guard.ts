import { createHash } from "node:crypto";
import { getKeyIndexes, hasFlag } from "@ioredis/commands";
import { Command, type Redis } from "ioredis";
import { isGuardCommand, markGuardCommand } from "./guard-mark.js";
import type { KeySpace } from "./keys.js";
import { argToString } from "./recorder.js";
import { scriptBySha } from "./script.js";

/**
 * The TTL every key a run writes carries unless its pattern gives it one: a run that is killed (SIGKILL), or that
 * loses its server for longer than its cleanup waits, leaves keys that expire on their own within this bound. The
 * guard renews it every third of it while the run lives, as the run's marker is renewed.
 */
export const RUN_KEY_TTL_S = 600;

/**
 * Commands that may create a key but never delete one or drop its TTL: once a key carries a TTL, another of these
 * leaves it carrying one, so the guard need not send EXPIRE again.
 */
const ADDITIVE = new Set(
  (
    "zadd zincrby sadd hset hmset hsetnx hincrby hincrbyfloat rpush lpush rpushx lpushx linsert lset xadd xgroup " +
    "xack xclaim xautoclaim xreadgroup xsetid incr incrby decr decrby incrbyfloat append setrange setbit setnx " +
    "pfadd pfmerge bitfield msetnx geoadd"
  ).split(" "),
);

/** Commands that only remove (elements or the key itself) or drop a TTL on purpose: never create a key. */
const SHRINK = new Set(
  (
    "del unlink getdel persist lpop rpop lrem ltrim zrem zpopmin zpopmax zremrangebyscore zremrangebyrank " +
    "zremrangebylex srem spop hdel xdel xtrim blpop brpop bzpopmin bzpopmax lmpop zmpop blmpop bzmpop"
  ).split(" "),
);

/** Commands that move an element from the first key to the second: the source shrinks, the destination grows. */
const MOVE = new Set("lmove blmove rpoplpush brpoplpush smove".split(" "));

/** PERSIST, or SET/GETEX … PERSIST: a TTL dropped on purpose. */
function dropsTtl(name: string, args: readonly string[]): boolean {
  if (name === "persist") return true;
  return (name === "set" || name === "getex") && args.some((a) => a.toUpperCase() === "PERSIST");
}

/** How a command leaves a key: see `TtlGuard`. */
type Effect = "add" | "shrink" | "ttl" | "other";

/** Script-calling commands: their keys are the script's (see LuaScript.untimedKeys). */
const SCRIPT_CALLS = new Set(["eval", "evalsha", "fcall"]);

function effectOf(name: string, args: readonly string[], position: number, keyCount: number): Effect | undefined {
  if (ADDITIVE.has(name)) return "add";
  if (SHRINK.has(name)) return "shrink";
  if (MOVE.has(name)) return position === 0 && keyCount > 1 ? "shrink" : "add";
  if (name === "expire" || name === "pexpire" || name === "expireat" || name === "pexpireat") {
    // A conditional form (NX, XX, GT, LT) may leave the key without a TTL.
    return args.length > 2 ? "other" : "ttl";
  }
  if (name === "setex" || name === "psetex") return "ttl";
  if (name === "set" || name === "getex") {
    const options = args.slice(name === "set" ? 2 : 1).map((a) => a.toUpperCase());
    if (options.includes("PERSIST")) return "shrink";
    if (options.some((o) => o === "EX" || o === "PX" || o === "EXAT" || o === "PXAT")) return "ttl";
    return name === "getex" ? undefined : "other";
  }
  if (SCRIPT_CALLS.has(name)) {
    const sha =
      name === "eval"
        ? createHash("sha1")
            .update(args[0] ?? "")
            .digest("hex")
        : args[0];
    const script = name === "fcall" ? undefined : scriptBySha(sha ?? "");
    // A key the script gives a TTL, or only reads or deletes: no EXPIRE now, but the next write checks again.
    // A key the script may create without a TTL but only adds to: as ZADD or INCR ("add").
    if (!script?.untimedKeys) return "other";
    return script.untimedKeys.includes(position) ? "add" : "shrink";
  }
  try {
    return hasFlag(name, "write") ? "other" : undefined;
  } catch {
    return "other";
  }
}

interface KeyState {
  /** A guard EXPIRE (or a pattern's TTL) went out after every command that could have created the key without one. */
  covered: boolean;
  /** Commands that may delete the key, sent but not answered, by connection. */
  inflight: Map<object, number>;
  /** The key's TTL is the guard's (its EXPIRE … NX set it): renewed while the run lives, extended by --keep. */
  ours: boolean;
  /**
   * Guard EXPIREs sent after a script and not answered yet. While one is out, `covered` is only a hope: the key may
   * not have existed when it ran (the script failed with NOSCRIPT, or did not write), so a write sent meanwhile gets
   * its own. (After a plain write that succeeded the key exists when its EXPIRE runs.)
   */
  checking: number;
  /** A guard EXPIRE answered 1 (the key exists with the guard's TTL) and nothing since may have deleted it. */
  confirmed: boolean;
}

interface Pending {
  key: string;
  /** Whether the command that wrote it failed, known by the time the guard's EXPIRE is answered. */
  failed: () => boolean;
  /** A script wrote it: it may not have created the key, so an EXPIRE answered 0 proves no TTL is there. */
  script: boolean;
}

/**
 * Gives every key a run writes a TTL the moment it is written, unless the pattern gives it one itself, so a lost
 * run self-cleans within RUN_KEY_TTL_S. Sits on the recorder (`setSendHook`): after a write to one of the run's keys
 * it sends `EXPIRE key 600 NX` on the same connection (after the whole pipeline or EXEC when the write was in one),
 * recorded in the trace like any command. NX leaves a TTL the pattern set untouched (a cache entry's, a lock's), so
 * a scenario shows what its chapter says. Redis before 7.0 has no NX: the same test in a one-line script (EVAL).
 *
 * Not every write needs it: a key that has had one and has since met only commands that cannot delete it (ZADD,
 * HSET, XADD, INCR, …) still carries it. A command that may delete a key (LPOP of the last element, DEL, a script)
 * makes the next write send EXPIRE again. A key the write failed on (WRONGTYPE: someone else's key under the prefix)
 * whose TTL the guard's EXPIRE set gets it removed again (PERSIST), so someone else's key is left as it was.
 */
export class TtlGuard {
  private readonly state = new Map<string, KeyState>();
  private readonly pending = new Map<Redis, Pending[]>();
  /** The last command each pipeline (or MULTI … EXEC) sent so far: its answer comes after all the others. */
  private readonly lastInBatch = new WeakMap<object, Command>();
  private readonly batchOf = new Map<Redis, object>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Commands the guard sent, for the report. */
  sent = 0;

  constructor(
    private readonly keys: KeySpace,
    private readonly redis: () => Redis,
    private readonly nx: boolean,
    readonly ttlSeconds = RUN_KEY_TTL_S,
  ) {}

  /** Renew the guard's TTLs every third of their length while the run lives (the timer does not hold the process). */
  start(): this {
    this.timer = setInterval(() => this.renew(), (this.ttlSeconds * 1000) / 3);
    this.timer.unref();
    return this;
  }

  /** Stop sending: the run's cleanup (or --keep's 24-hour cap) takes over. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Renew these keys' TTLs too while the run lives, as if the guard had set them (`bench`'s cache entries and sessions,
   * written with a TTL of RUN_KEY_TTL_S that must last as long as the run). A key that does not exist is left so.
   */
  adopt(keys: Iterable<string>): void {
    for (const key of keys) this.stateOf(key).ours = true;
  }

  /** Keys whose TTL is the guard's (for --keep, which gives them the kept keys' TTL instead). */
  ours(): Set<string> {
    return new Set([...this.state].filter(([, s]) => s.ours).map(([k]) => k));
  }

  /** The recorder's send hook: called after each command went to the connection (or its offline queue). */
  readonly onSent = (redis: Redis, command: Command, stream: object | undefined): void => {
    if (this.stopped || isGuardCommand(command)) return;
    const name = command.name.toLowerCase();
    const batch = stream !== undefined && "isPipeline" in stream ? stream : undefined;
    if (batch) {
      this.lastInBatch.set(batch, command);
      this.batchOf.set(redis, batch);
    }
    if (name === "multi" || name === "exec" || name === "discard") return;
    const args = command.args.map(argToString);
    let indexes: number[];
    try {
      // XGROUP is a container command: the command table names no key for it, but `XGROUP CREATE <key> … MKSTREAM`
      // creates one (every subcommand's key is its second argument).
      indexes = name === "xgroup" ? [1] : getKeyIndexes(name, args);
    } catch {
      indexes = args.map((_, i) => i);
    }
    const keys = indexes.map((i) => args[i]!);
    if (!keys.some((k) => this.keys.has(k))) return;
    let failed = false;
    const settled = (command as unknown as { promise: Promise<unknown> }).promise;
    settled.then(
      () => undefined,
      () => (failed = true),
    );
    for (const [position, key] of keys.entries()) {
      if (!this.keys.has(key) || this.keys.isForeign(key)) continue;
      const effect = effectOf(name, args, position, keys.length);
      if (effect === undefined) continue;
      const st = this.stateOf(key);
      if (effect !== "add") st.confirmed = false;
      if (effect === "ttl") {
        st.covered = false;
        st.ours = false;
        continue;
      }
      if (effect === "shrink" || effect === "other") {
        st.covered = false;
        // PERSIST on purpose (a scenario's): the renewal must not give the key its TTL back.
        if (effect === "shrink" && dropsTtl(name, args)) st.ours = false;
        // Until it is answered (for a batch: its last command), this command may still delete the key after a
        // guard EXPIRE sent on another connection.
        st.inflight.set(redis, (st.inflight.get(redis) ?? 0) + 1);
        const done = () => {
          const n = (st.inflight.get(redis) ?? 1) - 1;
          if (n > 0) st.inflight.set(redis, n);
          else st.inflight.delete(redis);
          st.covered = false;
        };
        queueMicrotask(() => {
          const last = batch ? (this.lastInBatch.get(batch) ?? command) : command;
          (last as unknown as { promise: Promise<unknown> }).promise.then(done, done);
        });
        if (effect === "shrink") continue;
      } else if (st.covered && st.checking === 0 && !this.busyElsewhere(st, redis)) continue;
      const script = SCRIPT_CALLS.has(name);
      this.enqueue(redis, { key, failed: () => failed || this.keys.isForeign(key), script });
    }
  };

  private stateOf(key: string): KeyState {
    let st = this.state.get(key);
    if (!st) {
      st = { covered: false, inflight: new Map(), ours: false, checking: 0, confirmed: false };
      this.state.set(key, st);
    }
    return st;
  }

  private busyElsewhere(st: KeyState, redis: Redis): boolean {
    for (const [conn, n] of st.inflight) if (conn !== redis && n > 0) return true;
    return false;
  }

  private enqueue(redis: Redis, item: Pending): void {
    let list = this.pending.get(redis);
    if (!list) {
      list = [];
      this.pending.set(redis, list);
      // After the code that sent the write (a whole pipeline or MULTI … EXEC is sent in one go) has run.
      process.nextTick(() => this.flush(redis));
    }
    list.push(item);
  }

  private flush(redis: Redis): void {
    const list = this.pending.get(redis) ?? [];
    this.pending.delete(redis);
    const batch = this.batchOf.get(redis);
    this.batchOf.delete(redis);
    const last = batch ? this.lastInBatch.get(batch) : undefined;
    let batchFailed = false;
    if (last !== undefined && last.name.toLowerCase() === "exec") {
      // EXECABORT, or nil (a WATCHed key changed): nothing in the transaction ran.
      (last as unknown as { promise: Promise<unknown> }).promise.then(
        (reply) => (batchFailed = reply === null),
        () => (batchFailed = true),
      );
    }
    const seen = new Set<string>();
    for (const item of list) {
      if (seen.has(item.key)) continue;
      seen.add(item.key);
      const st = this.stateOf(item.key);
      st.covered = !this.busyElsewhere(st, redis);
      if (item.script) st.checking++;
      this.send(redis, this.expireArgv(item.key, "NX")).then(
        (reply) => {
          if (item.script) st.checking--;
          if (Number(reply) !== 1) {
            // 0: the key has a TTL, or does not exist. After a write that failed, or a script (which may not have
            // written it), it may not exist: the next write that may create it must send EXPIRE again.
            if ((item.failed() || item.script) && !st.confirmed) st.covered = false;
            return;
          }
          st.confirmed = true;
          if (item.failed() || batchFailed) {
            // The write did not happen (someone else's key, an aborted transaction): undo the TTL, leave it as it was.
            st.ours = false;
            this.send(redis, ["PERSIST", item.key]).catch(() => undefined);
          } else st.ours = true;
        },
        () => {
          if (item.script) st.checking--;
          st.covered = false;
        },
      );
    }
  }

  /** `EXPIRE key ttl NX|GT`, or on Redis before 7.0 the same condition in a script. */
  private expireArgv(key: string, condition: "NX" | "GT"): string[] {
    const ttl = String(this.ttlSeconds);
    if (this.nx) return ["EXPIRE", key, ttl, condition];
    const test = condition === "NX" ? "t == -1" : `t > 0 and t < tonumber(ARGV[1])`;
    return [
      "EVAL",
      `local t = redis.call('TTL', KEYS[1]) if ${test} then return redis.call('EXPIRE', KEYS[1], ARGV[1]) end return 0`,
      "1",
      key,
      ttl,
    ];
  }

  private send(redis: Redis, argv: string[]): Promise<unknown> {
    const command = new Command(argv[0]!, argv.slice(1));
    markGuardCommand(command);
    this.sent++;
    void redis.sendCommand(command);
    return command.promise;
  }

  /**
   * Extend the guard's TTLs to their full length again (EXPIRE … GT never shortens one). EXPIRE … NX first: a key
   * that expired anyway (the server out of reach for longer than the TTL left) and was then re-created by a write the
   * guard never saw (bench's workers, redis-benchmark) or took for covered has no TTL: it gets the guard's again.
   */
  private renew(): void {
    if (this.stopped) return;
    const redis = this.redis();
    for (const key of this.ours()) {
      this.send(redis, this.expireArgv(key, "NX")).catch(() => undefined);
      this.send(redis, this.expireArgv(key, "GT")).catch(() => undefined);
    }
  }
}
