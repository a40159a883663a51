import { Option, type Command } from "commander";
import { DURATION_BOUNDS, durationAtMost } from "./bounds.js";
import { parseDuration } from "./duration.js";
import { UsageError } from "../../errors.js";
import { option, parseInteger, type GlobalOptions } from "./common.js";

export const ANALYTICS_KINDS = ["counters", "trending", "timeseries"] as const;
export type AnalyticsKind = (typeof ANALYTICS_KINDS)[number];

export interface AnalyticsCliOptions extends GlobalOptions {
  kind?: AnalyticsKind;
  seed: number;
  hours: number;
  decay: number;
  minutes: number;
  last: number;
  bucket: number;
}

/** A decay factor strictly between 0 and 1: `0.9` keeps 90% of every score per period. */
export function parseDecay(text: string): number {
  const n = Number(text);
  if (!/^\s*(0?\.\d+|1(\.0*)?|0)\s*$/.test(text) || !(n > 0 && n < 1))
    throw new UsageError(`--decay must be a number between 0 and 1 (exclusive), e.g. 0.9, not "${text}"`);
  return n;
}

export function declareAnalytics(program: Command, run: (opts: AnalyticsCliOptions) => Promise<void>): void {
  program
    .command("analytics")
    .description(
      "real-time analytics (chapter 4.6): time-bucketed counters, trending with decay, time series on streams",
    )
    .addOption(
      new Option("--kind <kind>", "one of counters, trending, timeseries (default: all three)").choices(
        ANALYTICS_KINDS,
      ),
    )
    .option(
      "--seed <n>",
      "seed for the simulated traffic (same seed, same run)",
      option((t) => parseInteger(t, "--seed", 0, 2 ** 31 - 1)),
      1,
    )
    .option(
      "--hours <n>",
      "counters: simulated hours of traffic from 2024-01-15 00:00",
      option((t) => parseInteger(t, "--hours", 1, 24 * 14)),
      26,
    )
    .option(
      "--decay <factor>",
      "trending: every score is multiplied by this once per simulated hour",
      option(parseDecay),
      0.9,
    )
    .option(
      "--minutes <n>",
      "timeseries: simulated minutes of CPU samples (two hosts, one sample each every 15 s)",
      option((t) => parseInteger(t, "--minutes", 2, 24 * 60)),
      30,
    )
    .addOption(
      new Option("--last <duration>", "timeseries: the window XRANGE reads, e.g. 5m")
        .argParser(
          option(durationAtMost(parseDuration, DURATION_BOUNDS.window.ms, "--last", DURATION_BOUNDS.window.shown)),
        )
        .default(300_000, "5m"),
    )
    .addOption(
      new Option("--bucket <duration>", "timeseries: bucket for min/max/avg, e.g. 1m")
        .argParser(
          option(durationAtMost(parseDuration, DURATION_BOUNDS.window.ms, "--bucket", DURATION_BOUNDS.window.shown)),
        )
        .default(60_000, "1m"),
    )
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns analytics                          counters, trending and a time series, one after the other
  $ redis-patterns analytics --kind trending --decay 0.5
  $ redis-patterns analytics --kind timeseries --minutes 60 --last 10m --bucket 2m --trace summary`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<AnalyticsCliOptions>()));
}
