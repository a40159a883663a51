import { Option, type Command } from "commander";
import { UsageError } from "../../errors.js";
import { oneOf, option, parseInteger, type GlobalOptions } from "./common.js";

/** Kept here (not imported from scenarios/) so `--help` loads nothing but commander. */
export const LEADERBOARD_VARIANT_NAMES = ["global", "time-scoped", "ties"] as const;
export const AGGREGATE_CHOICES = ["sum", "max", "min", "all"] as const;

export interface LeaderboardCliOptions extends GlobalOptions {
  variant?: (typeof LEADERBOARD_VARIANT_NAMES)[number];
  players: number;
  top: number;
  player: string;
  page: number;
  days: number;
  aggregate: (typeof AGGREGATE_CHOICES)[number];
  repeat: number;
  seed: number;
}

/** A member name the model can order exactly as Redis does: printable ASCII (byte order = JS order), ≤ 64 bytes. */
export function parsePlayer(text: string): string {
  if (!/^[\x21-\x7e]{1,64}$/.test(text)) {
    throw new UsageError(
      `--player must be 1–64 printable ASCII characters without spaces, e.g. player:alice, not "${text}"`,
    );
  }
  return text;
}

export function declareLeaderboard(program: Command, run: (opts: LeaderboardCliOptions) => Promise<void>): void {
  program
    .command("leaderboard")
    .description(
      "leaderboards (chapter 4.4): top N, rank, neighbours, daily and weekly boards, ties, memory and latency",
    )
    .addOption(
      new Option(
        "--variant <name>",
        "one part: global (seed, top, rank, memory, latency) · time-scoped (daily keys, ZUNIONSTORE) · ties " +
          "(name order, composite scores, ZADD GT) (default: all three)",
      ).argParser(option(oneOf(LEADERBOARD_VARIANT_NAMES, "variant"))),
    )
    .addOption(
      new Option("--players <n>", "players seeded on the global board (1 to 1,000,000)")
        .argParser(option((t) => parseInteger(t.replace(/[_,]/g, ""), "--players", 1, 1_000_000)))
        .default(1_000, "1000"),
    )
    .option(
      "--top <n>",
      "how many the top list and each page show",
      option((t) => parseInteger(t, "--top", 1, 1_000)),
      10,
    )
    .option(
      "--player <name>",
      "the player who wins a game and whose rank and neighbours are shown",
      option(parsePlayer),
      "player:alice",
    )
    .option(
      "--page <n>",
      "which page of the paged view (pages are --top players long)",
      option((t) => parseInteger(t, "--page", 1, 1_000_000)),
      2,
    )
    .option(
      "--days <n>",
      "daily boards in the multi-day board (the chapter's week: 7)",
      option((t) => parseInteger(t, "--days", 2, 31)),
      7,
    )
    .addOption(
      new Option("--aggregate <how>", "how ZUNIONSTORE combines the days: sum, max, min, or all three side by side")
        .argParser(option(oneOf(AGGREGATE_CHOICES, "aggregate")))
        .default("all"),
    )
    .option(
      "--repeat <n>",
      "samples per latency measurement (the median is reported)",
      option((t) => parseInteger(t, "--repeat", 1, 100_000)),
      50,
    )
    .option(
      "--seed <n>",
      "seed of the generator that draws the players' scores",
      option((t) => parseInteger(t, "--seed", 0, 2 ** 32 - 1)),
      1,
    )
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns leaderboard                                   all three parts on 1,000 players
  $ redis-patterns leaderboard --variant global --players 1000000 --trace summary   the chapter's million, measured
  $ redis-patterns leaderboard --variant time-scoped --days 7 --aggregate max
  $ redis-patterns leaderboard --variant ties --show-lua`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<LeaderboardCliOptions>()));
}
