import { pickWeighted, randomInt, seededRandom, zipfCumulative } from "./random.js";
import type { Sample } from "./timeseries.js";
import { round } from "../../stats.js";

/**
 * Simulated traffic for the analytics scenarios, from a seed: the same seed gives the same events. Pure: no clock,
 * no I/O; times are given, the scenario clock walks through them.
 */

const HOUR = 3_600_000;

export interface CounterEvent {
  at: number;
  kind: "pageview" | "api-call";
}

/** Expected homepage views per hour of the UTC day: quiet at night, busy in the afternoon. */
export function pageviewRate(hourOfDay: number): number {
  if (hourOfDay < 7) return 0.6;
  if (hourOfDay < 10) return 2;
  if (hourOfDay < 18) return 3.5;
  if (hourOfDay < 23) return 2;
  return 1;
}

/** Expected API calls per hour by user 123: working hours only, mostly. */
export function apiCallRate(hourOfDay: number): number {
  return hourOfDay >= 9 && hourOfDay < 18 ? 1.6 : 0.3;
}

/** A whole number around `rate` (0.5×…1.5× plus a coin for the fraction), from the generator. */
function around(random: () => number, rate: number): number {
  return Math.floor(rate * (0.5 + random()) + random());
}

/** Page views and API calls over `hours` hours from `start`, each at a random moment of its hour, in time order. */
export function counterTraffic(seed: number, start: number, hours: number): CounterEvent[] {
  const random = seededRandom(seed);
  const events: CounterEvent[] = [];
  for (let h = 0; h < hours; h++) {
    const hourStart = start + h * HOUR;
    const hourOfDay = new Date(hourStart).getUTCHours();
    for (let i = around(random, pageviewRate(hourOfDay)); i > 0; i--)
      events.push({ at: hourStart + randomInt(random, HOUR), kind: "pageview" });
    for (let i = around(random, apiCallRate(hourOfDay)); i > 0; i--)
      events.push({ at: hourStart + randomInt(random, HOUR), kind: "api-call" });
  }
  return events.sort((a, b) => a.at - b.at || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}

export interface TrendingHour {
  /** 0 = the hour the old article went viral. */
  hour: number;
  views: string[];
}

export const VIRAL_ARTICLE = "article:789";
export const RISING_ARTICLE = "article:812";
export const BACKGROUND_ARTICLES = Array.from({ length: 20 }, (_, i) => `article:${101 + i}`);

/**
 * Views over `hours` hours: in hour 0 the chapter's article:789 goes viral (40 views); from hour 1 on article:812
 * rises (2, 4, 6, … views an hour); and 8 views an hour are spread over 20 other articles, Zipf-skewed (seeded).
 * Views within an hour are shuffled, as they would arrive.
 */
export function trendingTraffic(seed: number, hours: number): TrendingHour[] {
  const random = seededRandom(seed);
  const cumulative = zipfCumulative(BACKGROUND_ARTICLES.length);
  const out: TrendingHour[] = [];
  for (let hour = 0; hour < hours; hour++) {
    const views: string[] = [];
    if (hour === 0) for (let i = 0; i < 40; i++) views.push(VIRAL_ARTICLE);
    else for (let i = 0; i < 2 * hour; i++) views.push(RISING_ARTICLE);
    for (let i = 0; i < 8; i++) views.push(BACKGROUND_ARTICLES[pickWeighted(random, cumulative)]!);
    for (let i = views.length - 1; i > 0; i--) {
      const j = randomInt(random, i + 1);
      [views[i], views[j]] = [views[j]!, views[i]!];
    }
    out.push({ hour, views });
  }
  return out;
}

export const HOSTS = ["server1", "server2"];

/**
 * CPU samples every `intervalMs` for `minutes` minutes from `start`, one per host: a base load per host, a slow
 * wave, seeded noise, and a spike on server1 two thirds of the way through. Values have one decimal, in [0, 100].
 */
export function cpuSamples(seed: number, start: number, minutes: number, intervalMs = 15_000): Sample[] {
  const random = seededRandom(seed);
  const out: Sample[] = [];
  const ticks = Math.floor((minutes * 60_000) / intervalMs);
  for (let k = 0; k < ticks; k++) {
    const ts = start + k * intervalMs;
    HOSTS.forEach((host, h) => {
      const base = h === 0 ? 45 : 30;
      const wave = 8 * Math.sin((2 * Math.PI * k) / 40 + h);
      const spike = h === 0 && Math.abs(k - Math.floor((2 * ticks) / 3)) < 3 ? 35 : 0;
      const value = Math.min(100, Math.max(0, base + wave + spike + (random() - 0.5) * 10));
      out.push({ ts, host, value: round(value, 1) });
    });
  }
  return out;
}
