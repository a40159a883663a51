import { InvalidArgumentError } from "commander";
import { UsageError } from "../../errors.js";
import { parseDuration } from "./duration.js";
import { validatePrefix } from "../../redis/keys.js";

export type TraceMode = "full" | "summary" | "off";

/** Options every pattern command takes (declared once on the root program). */
export interface GlobalOptions {
  /** One URL, or several (a repeated --url): the seed nodes of a Redis Cluster. */
  url?: string | string[];
  /** Use the Redis Cluster client even when the server does not report cluster mode. */
  cluster?: boolean;
  json?: boolean;
  color: boolean;
  prefix?: string;
  keep?: boolean;
  /** `--force`: run even where the eviction guard refuses (cleanup: also after a run on another host). */
  force?: boolean;
  /** Connect and command timeout, in milliseconds. */
  timeout: number;
  embedded?: boolean;
  tlsCa?: string;
  insecure?: boolean;
  /** `--ask-pass`: read the password from a hidden prompt (see src/cli/secrets.ts). */
  askPass?: boolean;
  showLua?: boolean;
  trace: TraceMode;
  /** --trace was given on the command line (doctor shows its probes only then). */
  traceExplicit?: boolean;
  /** Columns human output must fit in (`--width`); else the terminal's, else $COLUMNS, else 80. */
  width?: number;
  /** Only the verdict: the closing summary, no steps or traces. */
  quiet?: boolean;
  /** Plain ASCII for tables and plots (also with TERM=dumb). */
  ascii?: boolean;
}

/** `--timeout`: a duration (`5s`, `500ms`), or a bare number of seconds as redis-cli's -t takes it. */
export function parseTimeout(text: string): number {
  return /^\s*\d+(\.\d+)?\s*$/.test(text) ? parseDuration(`${text.trim()}s`) : parseDuration(text);
}

/** A whole number within [min, max]. */
export function parseInteger(text: string, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\s*-?\d+\s*$/.test(text)) throw new UsageError(`${what} must be a whole number, not "${text}"`);
  const n = Number(text);
  if (n < min || n > max) {
    throw new UsageError(
      `${what} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}, not ${n}`,
    );
  }
  return n;
}

/** Adapt a parser that throws UsageError to commander, which reports InvalidArgumentError as a usage error. */
export function option<T>(parse: (text: string) => T): (text: string) => T {
  const adapted = (text: string): T => {
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof UsageError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
  // Choices (from oneOf) stay visible to help and completion.
  const choices = (parse as { choices?: readonly string[] }).choices;
  return choices ? Object.assign(adapted, { choices }) : adapted;
}

/** A parser for one of `choices`; it carries them, so help lists them and completion offers them (cli/help.ts). */
export function oneOf<T extends string>(
  choices: readonly T[],
  what: string,
): ((text: string) => T) & { choices: readonly T[] } {
  const parse = (text: string): T => {
    if ((choices as readonly string[]).includes(text)) return text as T;
    throw new UsageError(`unknown ${what} "${text}": choose one of ${choices.join(", ")}`);
  };
  return Object.assign(parse, { choices });
}

export const parsePrefix = validatePrefix;

/** `--url` may be repeated (seed nodes of a cluster): one URL stays a string, several become a list. */
export function collectUrl(value: string, previous: string | string[] | undefined): string | string[] {
  return previous === undefined ? value : [...[previous].flat(), value];
}
