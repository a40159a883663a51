export interface AnalyticsParams {
  seed: number;
  /** Counters: simulated hours of traffic from 2024-01-15 00:00 UTC. */
  hours: number;
  /** Trending: the factor every score is multiplied by, once per simulated hour. */
  decay: number;
  /** Time series: simulated minutes of samples. */
  minutes: number;
  /** Time series: the window read back ("the last 5 minutes"). */
  lastMs: number;
  /** Time series: the bucket of the min/max/avg. */
  bucketMs: number;
}

export const defaultAnalyticsParams: AnalyticsParams = {
  seed: 1,
  hours: 26,
  decay: 0.9,
  minutes: 30,
  lastMs: 300_000,
  bucketMs: 60_000,
};

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Midnight of the chapter's day, 2024-01-15 UTC. */
export const CHAPTER_DAY = Date.UTC(2024, 0, 15);

export const fmtTime = (t: number): string => new Date(t).toISOString().slice(11, 19);
export const fmtDateTime = (t: number): string => new Date(t).toISOString().slice(0, 16).replace("T", " ");

export { roundTrips } from "../../src/redis/batch.js";

/** A text bar for small counts in tables: 3 → "███". */
export function bar(n: number, max = 40): string {
  return "█".repeat(Math.max(0, Math.min(max, Math.round(n))));
}
