import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { parseDuration, parseRate } from "../../../src/cli/options/duration.js";
import { alignedStart, generateTraffic } from "../../../src/patterns/ratelimit/index.js";

const CHAPTER_MINUTE = Date.UTC(2024, 0, 15, 10, 30, 0);

describe("alignedStart", () => {
  it("is the first multiple of the window at or after 2024-01-15 10:30 UTC", () => {
    expect(alignedStart(60_000)).toBe(CHAPTER_MINUTE);
    expect(alignedStart(7_000) % 7_000).toBe(0);
    expect(alignedStart(7_000)).toBeGreaterThanOrEqual(CHAPTER_MINUTE);
    expect(alignedStart(7_000) - CHAPTER_MINUTE).toBeLessThan(7_000);
  });
});

describe("generateTraffic", () => {
  const clients = ["alice", "bob"];

  it("steady: evenly over two windows, phases by window, sorted, seq from 1", () => {
    const t = generateTraffic({ shape: "steady", requestsPerClient: 4, clients, windowMs: 1000, start: 0 });
    expect(t.map((r) => [r.seq, r.client, r.at, r.phase])).toEqual([
      [1, "alice", 0, "window 1"],
      [2, "bob", 0, "window 1"],
      [3, "alice", 500, "window 1"],
      [4, "bob", 500, "window 1"],
      [5, "alice", 1000, "window 2"],
      [6, "bob", 1000, "window 2"],
      [7, "alice", 1500, "window 2"],
      [8, "bob", 1500, "window 2"],
    ]);
  });

  it("burst: everything at the same millisecond, mid-window", () => {
    const t = generateTraffic({ shape: "burst", requestsPerClient: 3, clients, windowMs: 60_000 });
    expect(t).toHaveLength(6);
    expect(new Set(t.map((r) => r.at))).toEqual(new Set([CHAPTER_MINUTE + 30_000]));
    expect(t.map((r) => r.client)).toEqual(["alice", "bob", "alice", "bob", "alice", "bob"]);
    expect(t.every((r) => r.phase === "burst")).toBe(true);
  });

  it("boundary: the larger half in the last δ ms before the edge, the rest from the edge on", () => {
    const windowMs = 60_000;
    const edge = CHAPTER_MINUTE + windowMs;
    const t = generateTraffic({ shape: "boundary", requestsPerClient: 201, clients: ["u"], windowMs });
    const before = t.filter((r) => r.phase === "before the edge");
    const after = t.filter((r) => r.phase === "after the edge");
    expect(before).toHaveLength(101);
    expect(after).toHaveLength(100);
    expect(before.every((r) => r.at >= edge - 500 && r.at < edge)).toBe(true);
    expect(after.every((r) => r.at >= edge && r.at < edge + 500)).toBe(true);
    // The chapter's "200 requests in 1 second".
    expect(t.at(-1)!.at - t[0]!.at).toBeLessThan(1000);
  });

  it("boundary: δ is a twentieth of a short window", () => {
    const t = generateTraffic({ shape: "boundary", requestsPerClient: 4, clients: ["u"], windowMs: 1000, start: 0 });
    expect(t.map((r) => r.at)).toEqual([950, 975, 1000, 1025]);
  });

  it("is deterministic and sorted", () => {
    for (const shape of ["steady", "burst", "boundary"] as const) {
      const a = generateTraffic({ shape, requestsPerClient: 17, clients, windowMs: 3000 });
      expect(generateTraffic({ shape, requestsPerClient: 17, clients, windowMs: 3000 })).toEqual(a);
      expect(a.map((r) => r.at)).toEqual([...a.map((r) => r.at)].sort((x, y) => x - y));
      expect(a.map((r) => r.seq)).toEqual(a.map((_, i) => i + 1));
    }
  });
});

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["1.5s", 1500],
    ["1m", 60_000],
    ["1h", 3_600_000],
    [" 2 s ", 2000],
    [".5s", 500],
  ])("%s → %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["", /expected a positive number/],
    ["-1s", /negative/],
    ["0s", /more than zero/],
    ["10", /missing unit/],
    ["10d", /unknown unit "d"/],
    ["NaNs", /expected a positive number/],
    ["abc", /expected a positive number/],
    ["0.1ms", /whole number of milliseconds/],
  ])("rejects %j", (text, message) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
    expect(() => parseDuration(text)).toThrow(message);
  });
});

describe("parseRate", () => {
  it.each([
    ["10/s", 10],
    ["100/m", 100 / 60],
    ["3600/h", 1],
    ["5", 5],
    ["0.5", 0.5],
  ])("%s → %d per second", (text, perSec) => {
    expect(parseRate(text)).toBe(perSec);
  });

  it.each([
    ["", /expected a positive number/],
    ["-5/s", /negative/],
    ["0/s", /more than zero/],
    ["10/d", /unknown unit "d"/],
    ["ten/s", /expected a positive number/],
    ["10/", /expected a positive number/],
  ])("rejects %j", (text, message) => {
    expect(() => parseRate(text)).toThrow(UsageError);
    expect(() => parseRate(text)).toThrow(message);
  });
});
