import { describe, expect, it } from "vitest";
import {
  BACKGROUND_ARTICLES,
  HOSTS,
  RISING_ARTICLE,
  VIRAL_ARTICLE,
  counterTraffic,
  cpuSamples,
  mix32,
  modelTrending,
  seededRandom,
  topOf,
  trendingTraffic,
} from "../../../src/patterns/analytics/index.js";

const DAY = Date.UTC(2024, 0, 15);

describe("seeded randomness", () => {
  it("the same seed gives the same numbers, in [0, 1)", () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.05);
  });

  it("mix32 is a bijection (no two of 100,000 inputs collide)", () => {
    const out = new Set(Array.from({ length: 100_000 }, (_, i) => mix32(i)));
    expect(out.size).toBe(100_000);
  });
});

describe("counter traffic", () => {
  it("deterministic, in time order, inside the span, busier by day than at night", () => {
    const events = counterTraffic(1, DAY, 48);
    expect(counterTraffic(1, DAY, 48)).toEqual(events);
    expect(events.every((e, i) => i === 0 || e.at >= events[i - 1]!.at)).toBe(true);
    expect(events.every((e) => e.at >= DAY && e.at < DAY + 48 * 3_600_000)).toBe(true);
    const hourOf = (t: number) => new Date(t).getUTCHours();
    const night = events.filter((e) => e.kind === "pageview" && hourOf(e.at) < 6).length;
    const afternoon = events.filter((e) => e.kind === "pageview" && hourOf(e.at) >= 12 && hourOf(e.at) < 18).length;
    expect(afternoon).toBeGreaterThan(night);
    expect(counterTraffic(2, DAY, 48)).not.toEqual(events);
  });
});

describe("trending traffic", () => {
  it("the viral hour, then the rising article, over a skewed background", () => {
    const hours = trendingTraffic(1, 6);
    expect(hours.map((h) => h.views.filter((v) => v === VIRAL_ARTICLE).length)).toEqual([40, 0, 0, 0, 0, 0]);
    expect(hours.map((h) => h.views.filter((v) => v === RISING_ARTICLE).length)).toEqual([0, 2, 4, 6, 8, 10]);
    const background = hours.flatMap((h) => h.views).filter((v) => BACKGROUND_ARTICLES.includes(v));
    expect(background).toHaveLength(48);
    // With decay 0.9 per hour the rising article overtakes the viral one; without, it does not.
    const events = hours.flatMap((h, i) => [
      ...(i > 0 ? [{ kind: "decay" as const, factor: 0.9 }] : []),
      ...h.views.map((member) => ({ kind: "view" as const, member })),
    ]);
    expect(topOf(modelTrending(events), 1)[0]!.member).toBe(RISING_ARTICLE);
    expect(topOf(modelTrending(events.filter((e) => e.kind === "view")), 1)[0]!.member).toBe(VIRAL_ARTICLE);
  });
});

describe("CPU samples", () => {
  it("one per host per interval, one decimal, within 0–100", () => {
    const samples = cpuSamples(1, DAY, 30);
    expect(samples).toHaveLength(30 * 4 * HOSTS.length);
    expect(samples.every((s) => s.value >= 0 && s.value <= 100 && Math.round(s.value * 10) / 10 === s.value)).toBe(
      true,
    );
    expect(new Set(samples.map((s) => `${s.ts}:${s.host}`)).size).toBe(samples.length);
    expect(cpuSamples(1, DAY, 30)).toEqual(samples);
  });
});
