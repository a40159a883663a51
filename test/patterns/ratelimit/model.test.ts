import { describe, expect, it } from "vitest";
import {
  allowedPerAlignedWindow,
  maxInAnyWindow,
  modelFixedWindow,
  modelSlidingCounter,
  modelSlidingLog,
  modelTokenBucket,
} from "../../../src/patterns/ratelimit/index.js";

describe("maxInAnyWindow", () => {
  it("finds the busiest sliding window, not the busiest aligned one", () => {
    // Aligned 1000 ms windows hold 2 and 2; the window [900, 1900) holds 4.
    expect(maxInAnyWindow([100, 900, 950, 1000, 1100], 1000)).toBe(4);
  });

  it("treats the window as half-open: t + windowMs is outside", () => {
    expect(maxInAnyWindow([0, 1000], 1000)).toBe(1);
    expect(maxInAnyWindow([0, 999], 1000)).toBe(2);
  });

  it("sums costs, sorts its input, and handles ties and empty input", () => {
    expect(maxInAnyWindow([{ at: 50, cost: 3 }, { at: 10 }, { at: 10, cost: 2 }, 2000], 100)).toBe(6);
    expect(maxInAnyWindow([], 100)).toBe(0);
  });
});

describe("allowedPerAlignedWindow", () => {
  it("totals cost per epoch-aligned window, in order", () => {
    expect(allowedPerAlignedWindow([2500, 100, { at: 900, cost: 2 }, 1000], 1000)).toEqual([
      { windowStart: 0, total: 3 },
      { windowStart: 1000, total: 1 },
      { windowStart: 2000, total: 1 },
    ]);
  });
});

const at = (id: string, now: number, cost = 1) => ({ id, now, cost });

describe("modelFixedWindow", () => {
  it("counts per client per window, rejected requests included", () => {
    const r = modelFixedWindow([at("a", 0), at("a", 10), at("b", 20), at("a", 30), at("a", 1000, 2)], {
      limit: 2,
      windowMs: 1000,
    });
    expect(r.map((x) => [x.allowed, x.count, x.remaining, x.resetAt])).toEqual([
      [true, 1, 1, 1000],
      [true, 2, 0, 1000],
      [true, 1, 1, 1000],
      [false, 3, 0, 1000],
      [true, 2, 0, 2000],
    ]);
  });
});

describe("modelSlidingLog", () => {
  it("logs only accepted requests, and forgets entries windowMs later", () => {
    const r = modelSlidingLog([at("a", 0), at("a", 0), at("a", 500), at("a", 999), at("a", 1000, 2)], {
      limit: 2,
      windowMs: 1000,
    });
    expect(r.map((x) => [x.allowed, x.count, x.oldestAt])).toEqual([
      [true, 1, 0],
      [true, 2, 0],
      [false, 2, 0],
      [false, 2, 0],
      [true, 2, 1000], // both entries at 0 left the window at 1000
    ]);
  });
});

describe("modelSlidingCounter", () => {
  it("weights the previous window by how much of it still overlaps", () => {
    const requests = [...Array.from({ length: 11 }, () => at("a", 0)), at("a", 1250), at("a", 1250), at("a", 1250)];
    const r = modelSlidingCounter(requests, { limit: 10, windowMs: 1000 });
    expect(r.slice(0, 10).every((x) => x.allowed)).toBe(true);
    expect(r[10]).toMatchObject({ allowed: false, estimate: 10, current: 10 });
    expect(r.slice(11).map((x) => [x.allowed, x.estimate, x.current, x.previous, x.weight])).toEqual([
      [true, 7.5, 1, 10, 0.75],
      [true, 8.5, 2, 10, 0.75],
      [false, 9.5, 2, 10, 0.75],
    ]);
  });
});

describe("modelTokenBucket", () => {
  it("refills continuously, never goes negative, and never grants a cost above the burst", () => {
    const r = modelTokenBucket([at("a", 0), at("a", 0), at("a", 0), at("a", 500), at("a", 1000), at("a", 1000, 3)], {
      ratePerSec: 1,
      burst: 2,
    });
    expect(r.map((x) => [x.allowed, x.tokens, x.retryAfterMs])).toEqual([
      [true, 1, 0],
      [true, 0, 0],
      [false, 0, 1000],
      [false, 0.5, 500],
      [true, 0, 0],
      [false, 0, -1],
    ]);
  });

  it("ignores a clock that steps back", () => {
    const r = modelTokenBucket([at("a", 10_000), at("a", 5_000), at("a", 10_500)], { ratePerSec: 2, burst: 2 });
    // The step back refills nothing, and the stored ts stays 10 000: at 10 500 only 500 ms have been earned
    // (one token), not the 5 500 ms since the stepped-back request (a full bucket).
    expect(r.map((x) => [x.allowed, x.tokens])).toEqual([
      [true, 1],
      [true, 0],
      [true, 0],
    ]);
  });
});
