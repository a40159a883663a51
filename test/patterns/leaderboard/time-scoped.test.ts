import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  buildPeriodBoard,
  dayLabel,
  dayStart,
  dayTtlSeconds,
  rankPlayers,
  recordDailyGames,
  unionScores,
  type Aggregate,
} from "../../../src/patterns/leaderboard/index.js";
import { CommandRecorder } from "../../../src/redis/recorder.js";
import { plainClient, usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix, server } = usePrefixedRedis("lb-days");
const NOW = Date.UTC(2024, 0, 15, 10, 30);

describe("day labels and TTLs (pure)", () => {
  it("labels the UTC day as the chapter does, and lets each day live retention from its start", () => {
    expect(dayLabel(NOW)).toBe("2024-01-15");
    expect(dayStart(NOW)).toBe(Date.UTC(2024, 0, 15));
    const week = 7 * DAY_MS;
    expect(dayTtlSeconds(NOW, week, NOW)).toBe(7 * 86_400 - 10.5 * 3_600);
    expect(dayTtlSeconds(NOW - 6 * DAY_MS, week, NOW)).toBe(13.5 * 3_600);
    // A day past its retention still gets a positive TTL (EXPIRE 0 would delete at once; 1 s is the least).
    expect(dayTtlSeconds(NOW - 30 * DAY_MS, week, NOW)).toBe(1);
  });
});

describe("recordDailyGames", () => {
  it("sends the ZINCRBYs and the EXPIRE in one MULTI/EXEC and returns the running scores", async () => {
    const client = plainClient(server());
    const recorder = new CommandRecorder();
    recorder.attach(client, "main").endHandshake();
    try {
      const key = `${prefix()}:{lb}:day:2024-01-15`;
      const scores = await recordDailyGames(
        client,
        key,
        [
          { player: "a", points: 10 },
          { player: "b", points: 5 },
          { player: "a", points: 20 },
        ],
        3_600,
      );
      expect(scores).toEqual([10, 5, 30]);
      // (The connection's own ready check and CLIENT commands come first, outside any batch.)
      expect(recorder.commands.filter((c) => c.batch).map((c) => [c.argv[0]!.toUpperCase(), c.batch?.kind])).toEqual([
        ["MULTI", "multi"],
        ["ZINCRBY", "multi"],
        ["ZINCRBY", "multi"],
        ["ZINCRBY", "multi"],
        ["EXPIRE", "multi"],
        ["EXEC", "multi"],
      ]);
      const ttl = await redis().ttl(key);
      expect(ttl).toBeGreaterThan(3_590);
      expect(ttl).toBeLessThanOrEqual(3_600);
    } finally {
      client.disconnect();
    }
  });
});

describe("buildPeriodBoard", () => {
  const days = [
    new Map([
      ["a", 10],
      ["b", 40],
      ["c", 5],
    ]),
    new Map([
      ["a", 30],
      ["c", 5],
    ]),
    new Map([
      ["b", 1],
      ["d", 70],
    ]),
  ];
  /** Each of `days` recorded as one daily board (a TTL of 600 s); returns their keys, day 0 first. */
  async function recordDays(): Promise<string[]> {
    const keys = days.map((_, i) => `${prefix()}:{lb}:day:${i}`);
    for (const [i, day] of days.entries())
      await recordDailyGames(
        redis(),
        keys[i]!,
        [...day].map(([player, points]) => ({ player, points })),
        600,
      );
    return keys;
  }

  it.each(["SUM", "MAX", "MIN"] as Aggregate[])(
    "AGGREGATE %s equals the JS union, over the days each player played",
    async (aggregate) => {
      const keys = await recordDays();
      const dest = `${prefix()}:{lb}:week:${aggregate}`;
      expect(await buildPeriodBoard(redis(), dest, keys, aggregate, 600)).toBe(4);
      const model = rankPlayers([...unionScores(days, aggregate)].map(([player, score]) => ({ player, score })));
      const reply = await redis().zrevrange(dest, 0, -1, "WITHSCORES");
      expect(reply).toEqual(model.flatMap((s) => [s.player, String(s.score)]));
      expect(await redis().ttl(dest)).toBeGreaterThan(0);
      // The expected numbers, spelled out for MIN: c played twice (5, 5), d once (70); a missing day is not a 0.
      if (aggregate === "MIN")
        expect(Object.fromEntries(unionScores(days, "MIN"))).toEqual({ a: 10, b: 1, c: 5, d: 70 });
    },
  );

  it("treats an expired (missing) day as empty: the rolling board loses it", async () => {
    const keys = await recordDays();
    await redis().del(keys[0]!);
    const dest = `${prefix()}:{lb}:week`;
    await buildPeriodBoard(redis(), dest, keys, "SUM", 600);
    expect(await redis().zrevrange(dest, 0, -1, "WITHSCORES")).toEqual(
      rankPlayers([...unionScores(days.slice(1), "SUM")].map(([player, score]) => ({ player, score }))).flatMap((s) => [
        s.player,
        String(s.score),
      ]),
    );
  });
});
