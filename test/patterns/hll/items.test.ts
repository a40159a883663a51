import { describe, expect, it } from "vitest";
import { dailyVisitors, ipAddress, ipAddresses } from "../../../src/patterns/hll/index.js";

describe("generated items", () => {
  it("IP addresses: valid, distinct within a seed, the same for the same seed, unrelated across seeds", () => {
    const a = ipAddresses(1, 50_000);
    expect(new Set(a).size).toBe(50_000);
    expect(
      a.every(
        (ip) => /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(ip) && ip.split(".").every((o) => Number(o) <= 255),
      ),
    ).toBe(true);
    expect(ipAddresses(1, 5)).toEqual(a.slice(0, 5));
    expect(ipAddress(1, 7)).toBe(a[7]);
    const b = new Set(ipAddresses(2, 50_000));
    // By chance about 50,000² / 2³² ≈ 0.6 shared addresses.
    expect(a.filter((ip) => b.has(ip)).length).toBeLessThan(10);
  });

  it("daily visitors: deterministic, overlapping, each day about chance × pool", () => {
    const days = dailyVisitors(7, 10_000, 7, 0.15);
    expect(dailyVisitors(7, 10_000, 7, 0.15)).toEqual(days);
    expect(days).toHaveLength(7);
    for (const day of days) {
      expect(new Set(day).size).toBe(day.length);
      expect(day.length).toBeGreaterThan(1_300);
      expect(day.length).toBeLessThan(1_700);
    }
    const union = new Set(days.flat()).size;
    expect(union).toBeLessThan(days.reduce((n, d) => n + d.length, 0));
  });
});
