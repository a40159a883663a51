import { describe, expect, it } from "vitest";
import {
  boardSize,
  generatePlayers,
  pageOfPlayers,
  playerRank,
  playerScore,
  playersAround,
  rankPlayers,
  recordWin,
  seedBoard,
  setScore,
  topPlayers,
  windowAround,
  type ScoredPlayer,
} from "../../../src/patterns/leaderboard/index.js";
import { CommandRecorder } from "../../../src/redis/recorder.js";
import { plainClient, usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix, server } = usePrefixedRedis("lb-board");

/** Few distinct scores, so most players tie: the model's name tie-break is exercised everywhere. */
const tied = (count: number, seed = 3): ScoredPlayer[] => generatePlayers(count, { seed, maxScore: 20 });

describe("seedBoard", () => {
  it("sends many members per ZADD, several ZADDs per pipeline, reports progress after each round trip", async () => {
    const client = plainClient(server());
    const recorder = new CommandRecorder();
    recorder.attach(client, "main").endHandshake();
    try {
      const key = `${prefix()}:{lb}:seed`;
      const players = generatePlayers(2_345, { seed: 1, maxScore: 1_000 });
      const progress: [number, number][] = [];
      const result = await seedBoard(client, key, players, {
        membersPerCommand: 100,
        commandsPerPipeline: 4,
        onProgress: (d, t) => progress.push([d, t]),
      });
      expect(result).toEqual({ members: 2_345, added: 2_345, commands: 24, roundTrips: 6 });
      expect(progress).toEqual([400, 800, 1_200, 1_600, 2_000, 2_345].map((d) => [d, 2_345]));
      const zadds = recorder.commands.filter((c) => c.argv[0] === "ZADD");
      expect(zadds).toHaveLength(24);
      expect(new Set(zadds.map((c) => c.batch?.id)).size).toBe(6);
      expect(zadds.every((c) => c.batch?.kind === "pipeline")).toBe(true);
      // The last command carries the remainder: 45 members, 2 + 90 arguments.
      expect(zadds[23]!.argv).toHaveLength(2 + 90);
      expect(zadds[0]!.argv.slice(0, 4)).toEqual(["ZADD", key, String(players[0]!.score), players[0]!.player]);
      expect(await boardSize(redis(), key)).toBe(2_345);
    } finally {
      client.disconnect();
    }
  });

  it("counts only new members as added, and rejects bad batch sizes before sending anything", async () => {
    const key = `${prefix()}:{lb}:seed`;
    const players = tied(50);
    await seedBoard(redis(), key, players.slice(0, 30));
    expect((await seedBoard(redis(), key, players)).added).toBe(20);
    await expect(seedBoard(redis(), key, players, { membersPerCommand: 0 })).rejects.toThrow(RangeError);
    await expect(seedBoard(redis(), key, players, { commandsPerPipeline: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe("reads agree with the model on a board full of ties", () => {
  it("top N, pages, ranks and the window around every player equal an independent sort", async () => {
    const key = `${prefix()}:{lb}:reads`;
    const players = tied(300);
    await seedBoard(redis(), key, players, { membersPerCommand: 64 });
    const model = rankPlayers(players);
    expect(await topPlayers(redis(), key, 25)).toEqual(model.slice(0, 25));
    expect(await topPlayers(redis(), key, 0)).toEqual([]);
    expect(await pageOfPlayers(redis(), key, 3, 40)).toEqual(model.slice(80, 120));
    expect(await pageOfPlayers(redis(), key, 99, 40)).toEqual([]);
    for (const rank of [0, 1, 4, 5, 6, 150, 294, 295, 298, 299]) {
      const player = model[rank]!.player;
      expect(await playerRank(redis(), key, player)).toBe(rank);
      const around = await playersAround(redis(), key, player, 5);
      expect(around.rank).toBe(rank);
      expect(around.standings).toEqual(windowAround(model, rank, 5));
    }
    // The edges: 6 players at either end, not 11, and never a wrap-around from a negative start.
    expect((await playersAround(redis(), key, model[0]!.player, 5)).standings.map((s) => s.rank)).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect((await playersAround(redis(), key, model[299]!.player, 5)).standings.map((s) => s.rank)).toEqual([
      294, 295, 296, 297, 298, 299,
    ]);
  });

  it("a player who is not on the board has no rank and no neighbours", async () => {
    const key = `${prefix()}:{lb}:absent`;
    await seedBoard(redis(), key, tied(10));
    expect(await playerRank(redis(), key, "player:nobody")).toBeNull();
    expect(await playersAround(redis(), key, "player:nobody", 5)).toEqual({ rank: null, standings: [] });
    expect(await playerScore(redis(), key, "player:nobody")).toBeNull();
  });
});

describe("writes", () => {
  it("ZADD sets (and says whether the player is new), ZINCRBY adds and returns the new score", async () => {
    const key = `${prefix()}:{lb}:writes`;
    expect(await setScore(redis(), key, "player:alice", 1_500)).toBe(true);
    expect(await setScore(redis(), key, "player:alice", 1_500)).toBe(false);
    expect(await recordWin(redis(), key, "player:alice", 50)).toBe(1_550);
    expect(await recordWin(redis(), key, "player:bob", 10)).toBe(10);
    expect(await playerScore(redis(), key, "player:alice")).toBe(1_550);
    expect(await topPlayers(redis(), key, 5)).toEqual([
      { player: "player:alice", score: 1_550, rank: 0 },
      { player: "player:bob", score: 10, rank: 1 },
    ]);
  });
});
