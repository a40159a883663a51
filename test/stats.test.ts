import { describe, expect, it } from "vitest";
import { seededRandom } from "../src/patterns/leaderboard/seed.js";
import {
  LatencyHistogram,
  bucketOf,
  maxOf,
  percentile,
  percentileOfSorted,
  round,
  roundOrNull,
  roundPercent,
  valueOf,
  weightedQuantileOfSorted,
} from "../src/stats.js";

describe("percentiles of samples", () => {
  it("nearest rank: p99 of 30 values is the largest, p50 of 4 the second", () => {
    const thirty = Array.from({ length: 30 }, (_, i) => 30 - i);
    expect(percentile(thirty, 99)).toBe(30);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile([], 50)).toBeNull();
    expect(percentileOfSorted([1, 2, 3, 4], 50)).toBe(2);
    expect(() => percentileOfSorted([], 50)).toThrow(RangeError);
  });

  it("weighted: each value counts its weight, the same rank as repeating it", () => {
    const values = [1, 2, 5];
    const weights = [3, 0, 7];
    const repeated = [1, 1, 1, 5, 5, 5, 5, 5, 5, 5];
    for (const q of [0.1, 0.3, 0.31, 0.5, 0.9, 1])
      expect(weightedQuantileOfSorted(values, weights, 10, q)).toBe(percentileOfSorted(repeated, q * 100));
    expect(weightedQuantileOfSorted([], [], 0, 0.5)).toBe(0);
  });
});

describe("rounding", () => {
  it("rounds to decimals, passes null through, and gives percentages from fractions", () => {
    expect(round(1.23456)).toBe(1.235);
    expect(round(1.25, 1)).toBe(1.3);
    expect(roundOrNull(null)).toBeNull();
    expect(roundOrNull(0.0004)).toBe(0);
    expect(roundPercent(0.123456, 1)).toBe(12.3);
    expect(roundPercent(0.00812345, 4)).toBe(0.8123);
    expect(roundPercent(0.5, 0)).toBe(50);
    expect(maxOf([3, 9, 2])).toBe(9);
    expect(maxOf([])).toBeNull();
  });
});

/** The latency histogram against exact percentiles of the same values, computed by sorting. */
describe("LatencyHistogram", () => {
  const exact = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;

  it("counts values below 128 µs exactly", () => {
    const h = new LatencyHistogram();
    for (let v = 0; v < 128; v++) h.record(v);
    expect(h.total).toBe(128);
    for (const p of [1, 50, 90, 99, 100]) expect(h.percentile(p)).toBe(exact([...Array(128).keys()], p));
    expect(h.min).toBe(0);
    expect(h.max).toBe(127);
  });

  it("every bucket holds the values that map to it, and its reported value is within 1/64 of them", () => {
    for (const v of [128, 129, 255, 256, 1000, 12_345, 999_999, 2 ** 31 + 7]) {
      const i = bucketOf(v);
      expect(bucketOf(Math.floor(valueOf(i)))).toBe(i);
      expect(Math.abs(valueOf(i) - v) / v).toBeLessThanOrEqual(1 / 64);
      expect(bucketOf(v + 1)).toBeGreaterThanOrEqual(i);
    }
  });

  it("the integer bucket formula below 2^31 agrees with the log2 one at every power of two and between", () => {
    const byLog2 = (v: number) => {
      if (v < 128) return v;
      const shift = Math.floor(Math.log2(v)) - 6;
      return 128 + (shift - 1) * 64 + (Math.floor(v / 2 ** shift) - 64);
    };
    const random = seededRandom(3);
    const values: number[] = [];
    for (let b = 7; b <= 32; b++) values.push(2 ** b - 1, 2 ** b, 2 ** b + 1);
    for (let k = 0; k < 5_000; k++) values.push(Math.floor(2 ** (7 + 25 * random())));
    for (const v of values) expect(bucketOf(v), String(v)).toBe(byLog2(v));
  });

  it("percentiles of a skewed sample are ordered and within the bucket precision of the exact ones", () => {
    const random = seededRandom(7);
    const values = Array.from({ length: 20_000 }, () => Math.round(50 + 200_000 * random() ** 6));
    const h = new LatencyHistogram();
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    const ps = [50, 90, 95, 99, 99.9];
    const got = ps.map((p) => h.percentile(p));
    for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThanOrEqual(got[i - 1]!);
    ps.forEach((p, i) => expect(Math.abs(got[i]! - exact(sorted, p))).toBeLessThanOrEqual(exact(sorted, p) / 64 + 1));
    expect(h.max).toBe(sorted[sorted.length - 1]);
    expect(h.percentile(100)).toBe(h.max);
    expect(h.mean()).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
  });

  it("merging histograms gives the histogram of all values together", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    const random = seededRandom(3);
    for (let i = 0; i < 5_000; i++) {
      const v = random() * 10_000;
      (i % 3 === 0 ? a : b).record(v);
      all.record(v);
    }
    const merged = LatencyHistogram.from(a.toData());
    merged.merge(b.toData());
    expect(merged.toData()).toEqual(all.toData());
  });

  it("an empty histogram reports zeros", () => {
    const h = new LatencyHistogram();
    expect(h.percentile(99)).toBe(0);
    expect(h.toData()).toMatchObject({ total: 0, min: 0, max: 0 });
  });
});
