import { describe, expect, it } from "vitest";
import {
  compareStandings,
  generatePlayers,
  median,
  rankPlayers,
  seededRandom,
  unionScores,
  windowAround,
} from "../../../src/patterns/leaderboard/index.js";

describe("the reference model", () => {
  it("orders like ZREVRANGE: score descending, equal scores by name descending (byte order)", () => {
    const ranked = rankPlayers([
      { player: "amy", score: 100 },
      { player: "Bea", score: 100 },
      { player: "zoe", score: 100 },
      { player: "eve", score: 90 },
      { player: "top", score: 200 },
    ]);
    expect(ranked.map((s) => s.player)).toEqual(["top", "zoe", "amy", "Bea", "eve"]);
    expect(ranked.map((s) => s.rank)).toEqual([0, 1, 2, 3, 4]);
    expect(compareStandings({ player: "a", score: 1 }, { player: "a", score: 1 })).toBe(0);
  });

  it("clamps the window around a rank at both ends", () => {
    const ranked = rankPlayers(generatePlayers(20, { seed: 1, maxScore: 5 }));
    expect(windowAround(ranked, 0, 5).map((s) => s.rank)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(windowAround(ranked, 10, 5).map((s) => s.rank)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(windowAround(ranked, 19, 5).map((s) => s.rank)).toEqual([14, 15, 16, 17, 18, 19]);
  });

  it("unions scores over the days each player appears in", () => {
    const days = [
      new Map([
        ["a", 3],
        ["b", 1],
      ]),
      new Map([["a", 5]]),
    ];
    expect(Object.fromEntries(unionScores(days, "SUM"))).toEqual({ a: 8, b: 1 });
    expect(Object.fromEntries(unionScores(days, "MAX"))).toEqual({ a: 5, b: 1 });
    expect(Object.fromEntries(unionScores(days, "MIN"))).toEqual({ a: 3, b: 1 });
  });

  it("median of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe("seeded players", () => {
  it("the same seed gives the same players; names are zero-padded and unique", () => {
    expect(generatePlayers(100, { seed: 7, maxScore: 50 })).toEqual(generatePlayers(100, { seed: 7, maxScore: 50 }));
    expect(generatePlayers(100, { seed: 8, maxScore: 50 })).not.toEqual(
      generatePlayers(100, { seed: 7, maxScore: 50 }),
    );
    const players = generatePlayers(12_345, { seed: 1, maxScore: 3 });
    expect(players[0]!.player).toBe("player:00001");
    expect(new Set(players.map((p) => p.player)).size).toBe(12_345);
    expect(players.every((p) => Number.isInteger(p.score) && p.score >= 0 && p.score <= 3)).toBe(true);
    const r = seededRandom(1);
    const xs = Array.from({ length: 1_000 }, r);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
