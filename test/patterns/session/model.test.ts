import { describe, expect, it } from "vitest";
import {
  applyChanges,
  missingChanges,
  newSessionId,
  percentile,
  sessionCookie,
  summarizeLatencies,
  type FieldChange,
} from "../../../src/patterns/session/index.js";

describe("newSessionId", () => {
  it("is 128 random bits in base64url: 22 cookie-safe characters, never repeating", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newSessionId(32)).toHaveLength(43);
    expect(() => newSessionId(8)).toThrow(/at least 16/);
  });

  it("the cookie carries the id only, HttpOnly and Secure", () => {
    expect(sessionCookie("abc", 3600)).toBe("sid=abc; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax");
  });
});

describe("the lost-update model", () => {
  const A: FieldChange = { by: "A", field: "cart_size", value: 1 };
  const B: FieldChange = { by: "B", field: "theme", value: "dark" };
  const base = { cart_size: 0, theme: "light" };

  it("applies changes in order, as a serial execution would", () => {
    expect(applyChanges(base, [A, B])).toEqual({ cart_size: 1, theme: "dark" });
    expect(base).toEqual({ cart_size: 0, theme: "light" });
  });

  it("names the changes a final session lacks, comparing as strings (hash fields are strings)", () => {
    expect(missingChanges({ cart_size: 0, theme: "dark" }, [A, B])).toEqual([A]);
    expect(missingChanges({ cart_size: "1", theme: "dark" }, [A, B])).toEqual([]);
    expect(missingChanges({ theme: "dark" }, [A, B])).toEqual([A]);
    expect(missingChanges(null, [A, B])).toEqual([A, B]);
  });
});

describe("latency summary", () => {
  it("uses nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile([], 50)).toThrow();
    expect(() => percentile([1], 0)).toThrow();
  });

  it("summarises unsorted samples", () => {
    const s = summarizeLatencies([0.3, 0.1, 0.2, 5, 0.4]);
    expect(s).toEqual({ count: 5, min: 0.1, p50: 0.3, p90: 5, p99: 5, max: 5, mean: (0.3 + 0.1 + 0.2 + 5 + 0.4) / 5 });
  });
});
