export interface HllParams {
  /** Distinct items in the counted set. */
  count: number;
  /** The pool of visitors the days draw from. */
  visitors: number;
  /** Independent HLLs of `count` items each, to measure the standard error; 1 = just the main one. */
  trials: number;
  /** Days merged into one unique count. */
  days: number;
  /** Items per PFADD / SADD. */
  batch: number;
  seed: number;
}

export const defaultHllParams: HllParams = {
  count: 100_000,
  visitors: 20_000,
  trials: 1,
  days: 7,
  batch: 10_000,
  seed: 1,
};

/** Each visitor of the pool comes on a given day with this chance, so days overlap. */
export const DAILY_VISIT_CHANCE = 0.15;

/** 0.00812 → "0.812%", with a sign when asked. */
export function pct(x: number, digits = 3, signed = false): string {
  const text = `${(x * 100).toFixed(digits)}%`;
  return signed && x > 0 ? `+${text}` : text;
}

export function num(n: number): string {
  return n.toLocaleString("en-US");
}

export { roundTrips } from "../../src/redis/batch.js";

/** The first day the scenarios count: the chapter's `uv:homepage:2024-01-15`. */
export const FIRST_DAY = Date.UTC(2024, 0, 15);
export const DAY_MS = 86_400_000;

export function dayLabel(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}
