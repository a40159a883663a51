/**
 * The chapter's four "Redis as primary database" use cases, as data that lives only in Redis. Each write is one
 * atomic command (or script, or MULTI/EXEC), and each leaves a count behind that says how many writes the data
 * holds, so after a crash the writes that survived can be counted: cart units, flag revision, game moves, session
 * requests. A connection's writes are applied in order and persistence keeps a prefix of them, so
 * `acknowledged - recovered` is exactly what was lost.
 */
import type { Redis } from "ioredis";
import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";

export const USE_CASES = ["cart", "flags", "game", "sessions"] as const;
export type UseCase = (typeof USE_CASES)[number];

export const USE_CASE_TITLES: Record<UseCase, string> = {
  cart: "shopping cart (a hash per user)",
  flags: "feature flags (one hash, read on every request)",
  game: "real-time game state (a hash per match, Lua)",
  sessions: "session store (a hash per session, MULTI)",
};

/** Where one run's data lives: `prefix` is the run's prefix plus the pattern's name. */
export interface PrimaryKeys {
  cart(user: string): string;
  flags(): string;
  flagsChannel(): string;
  match(id: string): string;
  session(id: string): string;
}

export function primaryKeys(prefix: string): PrimaryKeys {
  return {
    cart: (user) => `${prefix}:cart:{${user}}`,
    flags: () => `${prefix}:flags`,
    flagsChannel: () => `${prefix}:flags:changed`,
    match: (id) => `${prefix}:match:{${id}}`,
    session: (id) => `${prefix}:session:{${id}}`,
  };
}

// --- shopping cart -------------------------------------------------------------------------------------------------

/** One item added: HINCRBY cart sku 1. The cart's units (sum of quantities) count the writes it holds. */
export async function addToCart(redis: RedisCaller, key: string, sku: string, qty = 1): Promise<number> {
  return Number(await redis.call("HINCRBY", key, sku, qty));
}

export async function cartUnits(redis: RedisCaller, key: string): Promise<number> {
  const values = (await redis.call("HVALS", key)) as string[];
  return values.reduce((n, v) => n + Number(v), 0);
}

// --- feature flags -------------------------------------------------------------------------------------------------

/** A flag flipped, with the hash's revision in the same HSET (atomic), then announced so local copies reload. */
export async function setFlag(
  redis: RedisCaller,
  keys: PrimaryKeys,
  flag: string,
  on: boolean,
  rev: number,
): Promise<void> {
  await redis.call("HSET", keys.flags(), flag, on ? "on" : "off", "rev", rev);
  await redis.call("PUBLISH", keys.flagsChannel(), String(rev));
}

export async function flagsRevision(redis: RedisCaller, keys: PrimaryKeys): Promise<number> {
  return Number((await redis.call("HGET", keys.flags(), "rev")) ?? 0);
}

/**
 * The app's local copy of the flags: requests read it without a round trip; a message on the flags channel makes
 * it reload the hash (HGETALL). It keeps the revision it last loaded.
 */
export class FlagCache {
  flags = new Map<string, boolean>();
  rev = 0;
  reloads = 0;
  reads = 0;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    private readonly reader: RedisCaller,
    private readonly keys: PrimaryKeys,
  ) {}

  async load(): Promise<void> {
    const flat = (await this.reader.call("HGETALL", this.keys.flags())) as string[];
    const next = new Map<string, boolean>();
    let rev = 0;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (flat[i] === "rev") rev = Number(flat[i + 1]);
      else next.set(flat[i]!, flat[i + 1] === "on");
    }
    this.flags = next;
    this.rev = rev;
    this.reloads += 1;
  }

  /** SUBSCRIBE on its own connection; each message reloads (one reload at a time, the latest wins). */
  async subscribe(sub: Redis): Promise<void> {
    sub.on("message", (channel: string) => {
      if (channel !== this.keys.flagsChannel()) return;
      this.reloading = this.reloading.then(() => this.load().catch(() => undefined));
    });
    await sub.subscribe(this.keys.flagsChannel());
  }

  /** A request reads a flag: from the local copy, no round trip. */
  isOn(flag: string): boolean {
    this.reads += 1;
    return this.flags.get(flag) === true;
  }

  settled(): Promise<void> {
    return this.reloading;
  }
}

// --- real-time game state ------------------------------------------------------------------------------------------

/**
 * A move, atomically: only the player whose turn it is may move; their score grows by the move's points, the move
 * count by one, and the turn passes. Returns the move number, or an error when it is not that player's turn.
 */
export const applyMoveScript = defineScript(
  "primary-game-move",
  `
local turn = redis.call('HGET', KEYS[1], 'turn')
if turn and turn ~= ARGV[1] then
  return redis.error_reply('NOTYOURTURN ' .. turn .. ' is to move')
end
redis.call('HINCRBY', KEYS[1], 'score:' .. ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], 'turn', ARGV[3])
return redis.call('HINCRBY', KEYS[1], 'moves', 1)
`,
);

export async function applyMove(
  redis: RedisCaller,
  key: string,
  player: string,
  points: number,
  next: string,
): Promise<number> {
  return Number(await runScript(redis, applyMoveScript, [key], [player, points, next]));
}

export interface MatchState {
  moves: number;
  scores: Record<string, number>;
  turn: string | null;
}

export async function readMatch(redis: RedisCaller, key: string): Promise<MatchState> {
  const flat = (await redis.call("HGETALL", key)) as string[];
  const state: MatchState = { moves: 0, scores: {}, turn: null };
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i]!;
    const value = flat[i + 1]!;
    if (field === "moves") state.moves = Number(value);
    else if (field === "turn") state.turn = value;
    else if (field.startsWith("score:")) state.scores[field.slice(6)] = Number(value);
  }
  return state;
}

/**
 * Whether a recovered match is exactly the state after its first `moves` moves (`played` lists every move sent, in
 * order): the scores add up to those moves' points and the turn is the one after the last of them. A torn script
 * or a half-replayed transaction would break it.
 */
export function matchConsistent(
  state: MatchState,
  played: readonly { player: string; points: number; next: string }[],
): boolean {
  if (state.moves > played.length) return false;
  const expected: Record<string, number> = {};
  for (const move of played.slice(0, state.moves)) expected[move.player] = (expected[move.player] ?? 0) + move.points;
  const players = new Set([...Object.keys(expected), ...Object.keys(state.scores)]);
  for (const p of players) if ((expected[p] ?? 0) !== (state.scores[p] ?? 0)) return false;
  const turn = state.moves === 0 ? null : played[state.moves - 1]!.next;
  return state.turn === turn;
}

// --- sessions ------------------------------------------------------------------------------------------------------

/** A request on a session: MULTI HSET last_seen, HINCRBY requests, PEXPIRE (sliding expiry) EXEC. */
export async function touchSession(redis: Redis, key: string, now: number, ttlMs: number): Promise<number> {
  const res = await redis.multi().hset(key, "last_seen", now).hincrby(key, "requests", 1).pexpire(key, ttlMs).exec();
  if (!res) throw new Error("EXEC aborted");
  const err = res.find(([e]) => e)?.[0];
  if (err) throw err;
  return Number(res[1]![1]);
}

export async function sessionRequests(redis: RedisCaller, key: string): Promise<number> {
  return Number((await redis.call("HGET", key, "requests")) ?? 0);
}
