import { describe, expect, it } from "vitest";
import {
  HLL_STANDARD_ERROR,
  chiSquareQuantile,
  relativeError,
  rootMeanSquare,
  singleRunTolerance,
  standardErrorBand,
  worstOfRunsSigmas,
} from "../../../src/patterns/hll/index.js";
import { seededRandom } from "../../../src/patterns/analytics/index.js";

/** A standard normal draw (Box–Muller) from a seeded generator. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe("errors", () => {
  it("relative error and RMS", () => {
    expect(relativeError(101, 100)).toBeCloseTo(0.01, 12);
    expect(relativeError(0, 0)).toBe(0);
    expect(relativeError(1, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(rootMeanSquare([0.03, -0.04])).toBeCloseTo(Math.sqrt((0.0009 + 0.0016) / 2), 12);
    expect(rootMeanSquare([])).toBeNaN();
  });

  it("a single run is judged at 4σ, with a floor of 4 items for tiny sets", () => {
    expect(singleRunTolerance(100_000)).toBe(Math.ceil(4 * HLL_STANDARD_ERROR * 100_000));
    expect(singleRunTolerance(10)).toBe(4);
    expect(singleRunTolerance(100_000)).toBeGreaterThan(0.0325 * 100_000 - 1);
  });
});

describe("χ² quantiles (Wilson–Hilferty) against tabulated values", () => {
  it.each([
    [10, -1.959964, 3.247],
    [10, 1.959964, 20.483],
    [30, 1.959964, 46.979],
    [30, -2.326348, 14.954],
    [100, 2.326348, 135.807],
  ])("k=%d, z=%f → %f", (k, z, table) => {
    expect(Math.abs(chiSquareQuantile(k, z) - table) / table).toBeLessThan(0.01);
  });
});

describe("the standard-error band", () => {
  it("narrows as runs accumulate and always contains σ", () => {
    const wide = standardErrorBand(5);
    const narrow = standardErrorBand(500);
    expect(wide.low).toBeLessThan(narrow.low);
    expect(wide.high).toBeGreaterThan(narrow.high);
    for (const band of [wide, narrow]) {
      expect(band.low).toBeLessThan(HLL_STANDARD_ERROR);
      expect(band.high).toBeGreaterThan(HLL_STANDARD_ERROR);
    }
  });

  it("holds for a simulated estimator with σ = 0.81%, and rejects one with σ 1.5× larger (many runs)", () => {
    const random = seededRandom(42);
    for (const k of [3, 30, 300]) {
      for (let rep = 0; rep < 50; rep++) {
        const errors = Array.from({ length: k }, () => HLL_STANDARD_ERROR * normal(random));
        const rms = rootMeanSquare(errors);
        const band = standardErrorBand(k);
        expect(rms).toBeGreaterThanOrEqual(band.low);
        expect(rms).toBeLessThanOrEqual(band.high);
      }
    }
    const worse = Array.from({ length: 300 }, () => 1.5 * HLL_STANDARD_ERROR * normal(random));
    expect(rootMeanSquare(worse)).toBeGreaterThan(standardErrorBand(300).high);
  });

  it("the bound on the worst of K runs grows slowly with K", () => {
    expect(worstOfRunsSigmas(1)).toBeGreaterThanOrEqual(4);
    expect(worstOfRunsSigmas(1_000)).toBeGreaterThan(worstOfRunsSigmas(10));
    expect(worstOfRunsSigmas(1_000)).toBeLessThan(6);
  });
});
