import { describe, expect, it } from "vitest";
import {
  allScores,
  decayScores,
  decayScoresClientLoop,
  modelTrending,
  recordView,
  topOf,
  topTrending,
  type TrendingEvent,
} from "../../../src/patterns/analytics/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, other, prefix } = usePrefixedRedis("trending");

describe("recordView / topTrending", () => {
  it("ZINCRBY per view; the top comes back highest first, ties ordered as the model orders them", async () => {
    const key = `${prefix()}:trending:{articles}`;
    const events: TrendingEvent[] = [];
    for (const m of ["a", "b", "b", "c", "c", "d", "e", "e", "e"]) {
      await recordView(redis(), key, m);
      events.push({ kind: "view", member: m });
    }
    const top = await topTrending(redis(), key, 4);
    expect(top).toEqual([
      { member: "e", score: 3 },
      { member: "c", score: 2 },
      { member: "b", score: 2 },
      { member: "d", score: 1 },
    ]);
    expect(topOf(modelTrending(events), 4)).toEqual(top);
  });
});

describe("decayScores (ZUNIONSTORE key 1 key WEIGHTS f)", () => {
  it("multiplies every score in one command, bit for bit as the model does, and keeps the order", async () => {
    const key = `${prefix()}:trending:{articles}`;
    const events: TrendingEvent[] = [];
    const views = ["x", "y", "y", "z", "z", "z", "x", "w"];
    for (const [i, m] of views.entries()) {
      await recordView(redis(), key, m);
      events.push({ kind: "view", member: m });
      if (i % 3 === 2) {
        await decayScores(redis(), key, 0.9);
        events.push({ kind: "decay", factor: 0.9 });
      }
    }
    const before = await topTrending(redis(), key);
    expect(await decayScores(redis(), key, 0.7)).toBe(4);
    events.push({ kind: "decay", factor: 0.7 });
    const after = await topTrending(redis(), key);
    expect(after.map((a) => a.member)).toEqual(before.map((b) => b.member));
    const model = modelTrending(events);
    for (const { member, score } of await allScores(redis(), key)) expect(score).toBe(model.get(member));
  });
});

describe("decayScoresClientLoop (the naive way)", () => {
  it("takes 1 + N commands and loses a ZINCRBY that lands between its read and its write", async () => {
    const key = `${prefix()}:trending:{articles}`;
    for (const [m, n] of [
      ["a", 10],
      ["b", 4],
      ["c", 1],
    ] as const)
      await redis().zadd(key, n, m);
    const result = await decayScoresClientLoop(redis(), key, 0.5, async () => {
      expect(await other().zincrby(key, 1, "a")).toBe("11");
    });
    expect(result).toEqual({ members: 3, commands: 4 });
    // A serial order would give (10 + 1) × 0.5 = 5.5 or 10 × 0.5 + 1 = 6; the loop wrote 10 × 0.5 over the view.
    expect(Number(await redis().zscore(key, "a"))).toBe(5);
  });

  it("without interference it decays like the atomic way", async () => {
    const key = `${prefix()}:{t}:loop`;
    const atomic = `${prefix()}:{t}:atomic`;
    for (const k of [key, atomic]) await redis().zadd(k, 3, "p", 7, "q");
    await decayScoresClientLoop(redis(), key, 0.9);
    await decayScores(redis(), atomic, 0.9);
    expect(await allScores(redis(), key)).toEqual(await allScores(redis(), atomic));
  });
});
