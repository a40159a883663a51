/** The parsers for the durations and rates the command line accepts (`--window 1m`, `--rate 10/s`). */
import { UsageError } from "../../errors.js";

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const RATE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

const NUMBER = String.raw`(\d+(?:\.\d*)?|\.\d+)`;

/** "500ms", "10s", "1.5s", "1m", "1h" → milliseconds (a whole, positive number of them). */
export function parseDuration(text: string): number {
  const help = `expected a positive number with a unit ms, s, m or h, like 500ms, 10s, 1.5s, 1m`;
  const match = new RegExp(`^${NUMBER}\\s*([a-z]*)$`, "i").exec(text.trim());
  if (text.trim().startsWith("-")) throw new UsageError(`invalid duration "${text}": must not be negative; ${help}`);
  if (!match) throw new UsageError(`invalid duration "${text}": ${help}`);
  const [, value, unit = ""] = match;
  if (unit === "") throw new UsageError(`invalid duration "${text}": missing unit; ${help}`);
  const factor = DURATION_UNITS[unit.toLowerCase()];
  if (factor === undefined) throw new UsageError(`invalid duration "${text}": unknown unit "${unit}"; ${help}`);
  const ms = Number(value) * factor;
  if (!(ms > 0)) throw new UsageError(`invalid duration "${text}": must be more than zero; ${help}`);
  if (!Number.isSafeInteger(ms)) throw new UsageError(`invalid duration "${text}": not a whole number of milliseconds`);
  return ms;
}

/** "10/s", "100/m", "1000/h" or a bare "5" (per second) → tokens per second. */
export function parseRate(text: string): number {
  const help = `expected a positive number per s, m or h, like 10/s, 100/m, or a bare 5 for 5 per second`;
  const match = new RegExp(`^${NUMBER}\\s*(?:/\\s*([a-z]+))?$`, "i").exec(text.trim());
  if (text.trim().startsWith("-")) throw new UsageError(`invalid rate "${text}": must not be negative; ${help}`);
  if (!match) throw new UsageError(`invalid rate "${text}": ${help}`);
  const [, value, unit = "s"] = match;
  const seconds = RATE_UNITS[unit.toLowerCase()];
  if (seconds === undefined) throw new UsageError(`invalid rate "${text}": unknown unit "${unit}"; ${help}`);
  const perSec = Number(value) / seconds;
  if (!(perSec > 0)) throw new UsageError(`invalid rate "${text}": must be more than zero; ${help}`);
  return perSec;
}
