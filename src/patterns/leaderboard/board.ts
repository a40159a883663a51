import type { Redis } from "ioredis";
import type { RedisCaller } from "../../redis/types.js";
import { InterruptedError } from "../../errors.js";
import { flatQueuer } from "../../redis/batch.js";

/** A player and their score, as the app knows them (the seed, a model). */
export interface ScoredPlayer {
  player: string;
  score: number;
}

/** A player's place on a board: `rank` is Redis's 0-based ZREVRANK, `place` the 1-based position people read. */
export interface Standing extends ScoredPlayer {
  rank: number;
}

/** The narrow client a batched load needs: pipelines (ioredis's `Redis` has them, and a recorded client too). */
export type PipelineClient = Pick<Redis, "pipeline">;

export interface SeedOptions {
  /** Members per ZADD command: one command carries this many score/member pairs. Default 1,000. */
  membersPerCommand?: number;
  /** ZADD commands per pipeline, i.e. per round trip. Default 10. */
  commandsPerPipeline?: number;
  /**
   * Pipelines written before the first one's replies must be in: the load streams, as `redis-cli --pipe` does,
   * instead of waiting a round trip per pipeline; the bound keeps the client's memory flat. Default 4; 1 waits
   * for each pipeline's replies before writing the next. One pipeline (10,000 members) keeps the server busy far
   * longer than a round trip, so more in flight does not load faster (measured: 16 and 4 alike); it only makes a
   * Ctrl-C wait longer, since the end-of-run UNLINK is answered after every ZADD already sent (docs/safety.md).
   */
  pipelinesInFlight?: number;
  /** Called as each pipeline's replies come in, with the number of members acknowledged so far and the total. */
  onProgress?(done: number, total: number): void;
  /** Stop between pipelines once aborted (Ctrl-C), without waiting for the ones in flight: InterruptedError. */
  signal?: AbortSignal;
}

export interface SeedResult {
  /** Members sent. */
  members: number;
  /** Members that were new to the board (the sum of ZADD's replies). */
  added: number;
  commands: number;
  roundTrips: number;
}

/**
 * Load many players in bulk: ZADD with `membersPerCommand` score/member pairs per command, `commandsPerPipeline`
 * commands per pipeline, and up to `pipelinesInFlight` pipelines written before waiting for replies (streamed, as
 * `redis-cli --pipe` does). A million members are then 1,000 commands in 100 pipelines instead of a million of each,
 * and the load does not wait a round trip per pipeline.
 *
 * Pro: the network and per-command overhead shrink by three orders of magnitude; each ZADD is atomic on its own.
 * Con: one big ZADD blocks the server for its whole length (O(M log N) for M members): keep M in the thousands, not
 * the millions, so other clients' commands are not held up; the load as a whole is not atomic.
 */
export async function seedBoard(
  redis: PipelineClient,
  key: string,
  players: readonly ScoredPlayer[],
  options: SeedOptions = {},
): Promise<SeedResult> {
  const perCommand = options.membersPerCommand ?? 1_000;
  const perPipeline = options.commandsPerPipeline ?? 10;
  if (!Number.isSafeInteger(perCommand) || perCommand < 1)
    throw new RangeError(`membersPerCommand must be a positive integer, got ${perCommand}`);
  if (!Number.isSafeInteger(perPipeline) || perPipeline < 1)
    throw new RangeError(`commandsPerPipeline must be a positive integer, got ${perPipeline}`);
  const inFlightMax = options.pipelinesInFlight ?? 4;
  if (!Number.isSafeInteger(inFlightMax) || inFlightMax < 1)
    throw new RangeError(`pipelinesInFlight must be a positive integer, got ${inFlightMax}`);
  const perRoundTrip = perCommand * perPipeline;
  let added = 0;
  let commands = 0;
  let roundTrips = 0;
  const inFlight: Promise<void>[] = [];
  const queue = await flatQueuer();
  for (let start = 0; start < players.length; start += perRoundTrip) {
    // The pipelines in flight finish on the connection before anything sent later (the end-of-run DEL).
    if (options.signal?.aborted) throw new InterruptedError();
    const pipeline = redis.pipeline();
    const end = Math.min(players.length, start + perRoundTrip);
    for (let from = start; from < end; from += perCommand) {
      const args: string[] = [key];
      for (let i = from; i < Math.min(end, from + perCommand); i++)
        args.push(String(players[i]!.score), players[i]!.player);
      // As `pipeline.call("ZADD", key, ...args)`, without copying the arguments three times (see flatQueuer).
      queue(pipeline, "ZADD", args);
      commands += 1;
    }
    roundTrips += 1;
    const replies = pipeline.exec().then((results) => {
      for (const [err, reply] of results ?? []) {
        if (err) throw err;
        added += Number(reply);
      }
      options.onProgress?.(end, players.length);
    });
    // A failure is thrown where the pipeline is awaited below; until then it must not count as unhandled.
    replies.catch(() => undefined);
    inFlight.push(replies);
    if (inFlight.length >= inFlightMax) await inFlight.shift();
    // Between pipelines, let the process breathe: a Ctrl-C handler runs, and what was queued for after this pipeline
    // (the run's TTL guard: EXPIRE … NX right after the first one) is written before the next one.
    else await new Promise((resolve) => setImmediate(resolve));
  }
  // In order, so the first failure is the one thrown.
  for (const replies of inFlight) await replies;
  return { members: players.length, added, commands, roundTrips };
}

/** Set a player's score (ZADD): creates the player or overwrites the score. Returns true when the player was new. */
export async function setScore(redis: RedisCaller, key: string, player: string, score: number): Promise<boolean> {
  return Number(await redis.call("ZADD", key, String(score), player)) === 1;
}

/**
 * A game won: add points to the player's score (ZINCRBY), atomically on the server, and get the new score back.
 * Pro: no read-modify-write in the app, so concurrent wins never lose an increment. Con: the score is a double;
 * fractional points accumulate rounding (0.1 + 0.2), so keep points integral.
 */
export async function recordWin(redis: RedisCaller, key: string, player: string, points: number): Promise<number> {
  return Number(await redis.call("ZINCRBY", key, String(points), player));
}

/** The flat `member, score, member, score…` reply of a WITHSCORES range, as standings from `firstRank` on. */
export function parseWithScores(reply: unknown, firstRank: number): Standing[] {
  if (!Array.isArray(reply) || reply.length % 2 !== 0)
    throw new TypeError(`expected member/score pairs, got ${JSON.stringify(reply)}`);
  const out: Standing[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    out.push({ player: String(reply[i]), score: Number(reply[i + 1]), rank: firstRank + i / 2 });
  }
  return out;
}

/**
 * The top `n` players, best first: ZREVRANGE key 0 n-1 WITHSCORES (on Redis ≥ 6.2 also `ZRANGE key 0 n-1 REV
 * WITHSCORES`). Players with equal scores come in reverse byte order of their names (ZREVRANGE reverses the whole
 * order, the name tie-break included).
 * Pro: O(log N + n), whatever the board's size. Con: ties are ordered by name, not by who got there first.
 */
export async function topPlayers(redis: RedisCaller, key: string, n: number): Promise<Standing[]> {
  if (n < 1) return [];
  return parseWithScores(await redis.call("ZREVRANGE", key, "0", String(n - 1), "WITHSCORES"), 0);
}

/** A page of the board (1-based page numbers): ZREVRANGE key (page-1)·size page·size-1 WITHSCORES. */
export async function pageOfPlayers(
  redis: RedisCaller,
  key: string,
  page: number,
  pageSize: number,
): Promise<Standing[]> {
  const start = (page - 1) * pageSize;
  return parseWithScores(
    await redis.call("ZREVRANGE", key, String(start), String(start + pageSize - 1), "WITHSCORES"),
    start,
  );
}

/**
 * A player's rank, best = 0 (ZREVRANK), or null when the player is not on the board. Show it as `rank + 1`.
 * Pro: O(log N). Con: equal scores get different ranks (ordered by name); "joint 4th" needs ZCOUNT on the score.
 */
export async function playerRank(redis: RedisCaller, key: string, player: string): Promise<number | null> {
  const reply = await redis.call("ZREVRANK", key, player);
  return reply === null ? null : Number(reply);
}

export async function playerScore(redis: RedisCaller, key: string, player: string): Promise<number | null> {
  const reply = await redis.call("ZSCORE", key, player);
  return reply === null ? null : Number(reply);
}

export async function boardSize(redis: RedisCaller, key: string): Promise<number> {
  return Number(await redis.call("ZCARD", key));
}

/**
 * The players around one player: ZREVRANK, then ZREVRANGE (rank − radius) (rank + radius) WITHSCORES, the start
 * clamped at 0 (a negative start would count from the end); a stop past the end is clamped by Redis.
 * Pro: two O(log N) commands. Con: two round trips; if the board changes between them the window can be off by the
 * moves in between (a Lua script or MULTI makes it one snapshot).
 */
export async function playersAround(
  redis: RedisCaller,
  key: string,
  player: string,
  radius: number,
): Promise<{ rank: number | null; standings: Standing[] }> {
  const rank = await playerRank(redis, key, player);
  if (rank === null) return { rank, standings: [] };
  const start = Math.max(0, rank - radius);
  return {
    rank,
    standings: parseWithScores(
      await redis.call("ZREVRANGE", key, String(start), String(rank + radius), "WITHSCORES"),
      start,
    ),
  };
}
