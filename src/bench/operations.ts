import { getCachedUser, setCachedUser } from "../patterns/cache/entry.js";
import { trackUnique } from "../patterns/hll/unique-count.js";
import { playerRank, recordWin } from "../patterns/leaderboard/board.js";
import { acquireLock, newLockToken, releaseLock, releaseLockScript } from "../patterns/lock/simple.js";
import { acknowledgeEntries, createConsumerGroup, publishMessage, readGroup } from "../patterns/queue/stream.js";
import { fixedWindowArgs, fixedWindowLimit, fixedWindowScript } from "../patterns/ratelimit/fixed-window.js";
import {
  slidingCounterArgs,
  slidingCounterLimit,
  slidingCounterScript,
} from "../patterns/ratelimit/sliding-counter.js";
import { slidingLogArgs, slidingLogLimit, slidingLogScript } from "../patterns/ratelimit/sliding-log.js";
import { tokenBucketArgs, tokenBucketLimit, tokenBucketScript } from "../patterns/ratelimit/token-bucket.js";
import { readSession, saveSession } from "../patterns/session/string-session.js";
import type { LuaScript } from "../redis/script.js";
import { RUN_KEY_TTL_S } from "../redis/ttl-guard.js";
import type { RedisCaller } from "../redis/types.js";

/**
 * The hot operation of each pattern, as `bench` runs it: the pattern's own functions (src/patterns), the keys they
 * touch, and the same commands written out for redis-benchmark. Keys are per "entity" (one per client, like one
 * rate-limited user or one lock each) and named `<prefix>:bench:<slug>:{<12 digits>}:<suffix>`: redis-benchmark's
 * `__rand_int__` expands to exactly those 12 digits with `-r <entities>`, so both tools touch the same keys and the
 * run deletes them all.
 *
 * Every key either gets its TTL from the command that writes it (the rate limiters' scripts, the lock's SET PX), or is
 * created by `setup` on bench's main connection with a TTL of at most RUN_KEY_TTL_S (the run's TTL guard), renewed
 * while bench runs; the operation (and redis-benchmark) then only adds to it (ZINCRBY, XADD, PFADD) or reads it, which
 * keeps its TTL. So no command on the hot path is needed for a killed bench's keys to expire.
 */
export interface HotOperation {
  /** `<pattern>/<kind>`, e.g. "ratelimit/token-bucket". */
  id: string;
  what: string;
  /** One key per client, or one key shared by all (a leaderboard, a HyperLogLog). */
  entities: "per-client" | "shared";
  /** Key suffixes per entity. */
  suffixes: string[];
  scripts: LuaScript[];
  /** Prepare the keys the operation reads (a cached entry, a consumer group). */
  setup?(redis: RedisCaller, keys: string[][]): Promise<void>;
  /** Per-lane state (a lock owner token, a consumer name), made once per lane. */
  lane?(laneIndex: number): LaneState;
  /** One operation. `keys[0]`, not `[key]`: destructuring runs the array iterator per call (≈1 µs in cold code). */
  run(redis: RedisCaller, keys: string[], lane: LaneState, i: number): Promise<unknown>;
  /** The commands redis-benchmark runs for one operation, with `__rand_int__` where the entity id goes. */
  raw(keys: string[]): RawCommand[];
}

export type LaneState = Record<string, string>;

export interface RawCommand {
  argv: string[];
  /** `-r` for redis-benchmark: the range of `__rand_int__`; the entity count when unset. */
  randomRange?: number;
  /** Why this command is only an approximation of what the pattern sends, when it is. */
  note?: string;
}

const RL = { limit: 100, windowMs: 60_000 };
/**
 * The window limiters' options for one call, as a literal: `{ ...RL, now }` costs about 1 µs per operation on Node
 * 20 (V8 11.3 makes a new hidden class for each spread-then-extend object), and every object with its own class
 * turns the pattern's property reads megamorphic (docs/bench.md, "Session 5").
 */
const windowOptions = (now: number) => ({ limit: RL.limit, windowMs: RL.windowMs, now });
const BOARD_PLAYERS = 1_000;
const SESSION = { user: "alice", roles: ["reader"], cart: [1, 2, 3] };

export const HOT_OPERATIONS: readonly HotOperation[] = [
  {
    id: "ratelimit/fixed-window",
    what: "one rate-limit check: the fixed-window script (INCR + PEXPIRE in Lua)",
    entities: "per-client",
    suffixes: ["fw"],
    scripts: [fixedWindowScript],
    run: (r, keys) => fixedWindowLimit(r, keys[0]!, windowOptions(Date.now())),
    raw: ([key]) => [{ argv: ["EVALSHA", fixedWindowScript.sha, "1", key!, ...fixedWindowArgs({ ...RL, now: 0 })] }],
  },
  {
    id: "ratelimit/sliding-log",
    what: "one rate-limit check: the sliding-log script (ZREMRANGEBYSCORE, ZCARD, ZADD in Lua)",
    entities: "per-client",
    suffixes: ["log"],
    scripts: [slidingLogScript],
    run: (r, keys, _lane, i) =>
      slidingLogLimit(r, keys[0]!, { limit: RL.limit, windowMs: RL.windowMs, now: Date.now(), requestId: i }),
    raw: ([key]) => [
      {
        argv: [
          "EVALSHA",
          slidingLogScript.sha,
          "1",
          key!,
          ...slidingLogArgs({ ...RL, now: Date.now(), requestId: "__rand_int__" }),
        ],
        note: "a fixed `now`: the log fills to the limit and then rejects, as the pattern's run does within its minute",
      },
    ],
  },
  {
    id: "ratelimit/sliding-counter",
    what: "one rate-limit check: the sliding-counter script (two window counters in Lua)",
    entities: "per-client",
    suffixes: ["cur", "prev"],
    scripts: [slidingCounterScript],
    run: (r, keys) => slidingCounterLimit(r, keys[0]!, keys[1]!, windowOptions(Date.now())),
    raw: ([cur, prev]) => [
      {
        argv: [
          "EVALSHA",
          slidingCounterScript.sha,
          "2",
          cur!,
          prev!,
          ...slidingCounterArgs({ ...RL, now: Date.now() }),
        ],
      },
    ],
  },
  {
    id: "ratelimit/token-bucket",
    what: "one rate-limit check: the token-bucket script (HMGET, refill, HSET, PEXPIRE in Lua)",
    entities: "per-client",
    suffixes: ["tb"],
    scripts: [tokenBucketScript],
    run: (r, keys) => tokenBucketLimit(r, keys[0]!, { ratePerSec: 100, burst: 100, now: Date.now() }),
    raw: ([key]) => [
      {
        argv: [
          "EVALSHA",
          tokenBucketScript.sha,
          "1",
          key!,
          ...tokenBucketArgs({ ratePerSec: 100, burst: 100, now: Date.now() }),
        ],
      },
    ],
  },
  {
    id: "lock/simple",
    what: "a lock acquire + release: SET NX PX, then the compare-and-delete script",
    entities: "per-client",
    suffixes: ["lock"],
    scripts: [releaseLockScript],
    lane: () => ({ token: newLockToken() }),
    run: async (r, keys, lane) => {
      const key = keys[0]!;
      // The release is owner-checked, so with --pipeline > 1 (lanes of one connection share a key) a lane whose
      // acquire was refused sends the same two commands and deletes nothing that is not its own.
      await acquireLock(r, key, { token: lane.token!, ttlMs: 10_000 });
      return releaseLock(r, key, lane.token!);
    },
    raw: ([key]) => {
      const token = newLockToken();
      return [
        { argv: ["SET", key!, token, "NX", "PX", "10000"] },
        { argv: ["EVALSHA", releaseLockScript.sha, "1", key!, token] },
      ];
    },
  },
  {
    id: "cache/read",
    what: "one cache read (cache-aside hit): GET the cached entry and decode it",
    entities: "per-client",
    suffixes: ["user"],
    scripts: [],
    setup: async (r, keys) => {
      for (const [i, [key]] of keys.entries())
        await setCachedUser(r, key!, { id: i, name: `user-${i}`, version: 1 }, RUN_KEY_TTL_S * 1000);
    },
    run: (r, keys) => getCachedUser(r, keys[0]!),
    raw: ([key]) => [{ argv: ["GET", key!] }],
  },
  {
    id: "leaderboard/win-and-rank",
    what: `a leaderboard score update + rank read: ZINCRBY then ZREVRANK, on a board of ${BOARD_PLAYERS} players`,
    entities: "shared",
    suffixes: ["board"],
    scripts: [],
    setup: async (r, [keys]) => {
      const board = keys![0]!;
      const args: string[] = [];
      for (let p = 0; p < BOARD_PLAYERS; p++) args.push(String(p), boardPlayer(p));
      await r.call("ZADD", board, ...args);
    },
    run: async (r, keys, _lane, i) => {
      const board = keys[0]!;
      const player = boardPlayer(i % BOARD_PLAYERS);
      await recordWin(r, board, player, 1);
      return playerRank(r, board, player);
    },
    raw: ([board]) => [
      { argv: ["ZINCRBY", board!, "1", "player-__rand_int__"], randomRange: BOARD_PLAYERS },
      { argv: ["ZREVRANK", board!, "player-__rand_int__"], randomRange: BOARD_PLAYERS },
    ],
  },
  {
    id: "queue/stream",
    what: "a queue produce + consume + ack: XADD, XREADGROUP (COUNT 1) and XACK on a consumer group",
    entities: "per-client",
    suffixes: ["stream"],
    scripts: [],
    setup: async (r, keys) => {
      for (const [key] of keys) await createConsumerGroup(r, key!, "bench", "$");
    },
    lane: (i) => ({ consumer: `consumer-${i}` }),
    run: async (r, keys, lane, i) => {
      const stream = keys[0]!;
      await publishMessage(r, stream, ["n", String(i)]);
      const entries = await readGroup(r, {
        stream,
        group: "bench",
        consumer: lane.consumer!,
        count: 1,
        from: ">",
      });
      return acknowledgeEntries(
        r,
        stream,
        "bench",
        entries.map((e) => e.id),
      );
    },
    raw: ([stream]) => [
      { argv: ["XADD", stream!, "*", "n", "1"] },
      { argv: ["XREADGROUP", "GROUP", "bench", "consumer-1", "COUNT", "1", "STREAMS", stream!, ">"] },
      {
        argv: ["XACK", stream!, "bench", "0-1"],
        note: "redis-benchmark cannot ack the id it just read: XACK of an id that is not pending (a little cheaper)",
      },
    ],
  },
  {
    id: "hll/pfadd",
    what: "one unique-visitor count: PFADD one item into a HyperLogLog",
    entities: "shared",
    suffixes: ["visitors"],
    scripts: [],
    // PFADD with no element creates the empty HyperLogLog (and the TTL guard its TTL) before the workers add to it.
    setup: async (r, [keys]) => void (await r.call("PFADD", keys![0]!)),
    run: (r, keys, _lane, i) => trackUnique(r, keys[0]!, [`v${(i * 2_654_435_761) % 100_000_000}`]),
    raw: ([key]) => [{ argv: ["PFADD", key!, "v__rand_int__"], randomRange: 100_000_000 }],
  },
  {
    id: "session/read",
    what: "one session read: GET the session and parse its JSON",
    entities: "per-client",
    suffixes: ["session"],
    scripts: [],
    setup: async (r, keys) => {
      for (const [key] of keys) await saveSession(r, key!, SESSION, RUN_KEY_TTL_S);
    },
    run: (r, keys) => readSession(r, keys[0]!),
    raw: ([key]) => [{ argv: ["GET", key!] }],
  },
];

function boardPlayer(p: number): string {
  return `player-${String(p).padStart(12, "0")}`;
}

/** `bench <pattern>` with `--algo`/`--kind`: the operation, or undefined. */
export function findOperation(pattern: string, kind?: string): HotOperation | undefined {
  const candidates = HOT_OPERATIONS.filter((op) => op.id.split("/")[0] === pattern);
  if (kind === undefined) return candidates.find((op) => op.id === DEFAULT_KIND[pattern]) ?? candidates[0];
  return candidates.find((op) => op.id === `${pattern}/${kind}`);
}

const DEFAULT_KIND: Record<string, string> = { ratelimit: "ratelimit/token-bucket" };

export const BENCH_PATTERNS = [...new Set(HOT_OPERATIONS.map((op) => op.id.split("/")[0]!))];

/** The 12-digit entity id redis-benchmark's `__rand_int__` produces. */
export function entityId(n: number): string {
  return String(n).padStart(12, "0");
}

/** The key parts of one entity's keys, for KeySpace.key(...parts) (joined with ":" under the run's prefix). */
export function entityKeyParts(op: HotOperation, id: string): string[][] {
  const slug = op.id.replace("/", "-");
  return op.suffixes.map((suffix) => ["bench", slug, `{${id}}`, suffix]);
}

export function entityKeys(prefix: string, op: HotOperation, id: string): string[] {
  return entityKeyParts(op, id).map((parts) => [prefix, ...parts].join(":"));
}
