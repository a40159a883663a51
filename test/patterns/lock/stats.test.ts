import { describe, expect, it } from "vitest";
import { overlappingHolds, percentile } from "../../../src/patterns/lock/index.js";

describe("percentile (nearest rank)", () => {
  it("picks the value at rank ceil(p/100 × n)", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted on purpose
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([3, 1, 2], 99)).toBe(3);
    expect(percentile([], 99)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe("overlappingHolds", () => {
  it("counts pairs of different owners whose holds overlap", () => {
    expect(overlappingHolds([])).toBe(0);
    // Back to back (one ends as the next starts) is not an overlap.
    expect(
      overlappingHolds([
        { owner: "a", from: 0, to: 10 },
        { owner: "b", from: 10, to: 20 },
        { owner: "a", from: 20, to: 30 },
      ]),
    ).toBe(0);
    expect(
      overlappingHolds([
        { owner: "a", from: 0, to: 10 },
        { owner: "b", from: 5, to: 20 },
      ]),
    ).toBe(1);
    // A hold never ended (still believed) overlaps everything after it.
    expect(
      overlappingHolds([
        { owner: "a", from: 0 },
        { owner: "b", from: 50, to: 60 },
        { owner: "c", from: 70, to: 80 },
      ]),
    ).toBe(2);
    // The same owner twice is not a double hold.
    expect(
      overlappingHolds([
        { owner: "a", from: 0, to: 10 },
        { owner: "a", from: 5, to: 20 },
      ]),
    ).toBe(0);
    expect(
      overlappingHolds([
        { owner: "b", from: 5, to: 20 },
        { owner: "a", from: 0, to: 10 },
        { owner: "c", from: 1, to: 6 },
      ]),
    ).toBe(3);
  });
});
