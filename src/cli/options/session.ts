import { Option, type Command } from "commander";
import { DURATION_BOUNDS, atMost } from "./bounds.js";
import { UsageError } from "../../errors.js";
import { parseDuration } from "./duration.js";
import { oneOf, option, parseInteger, type GlobalOptions } from "./common.js";

export const SESSION_VARIANTS = ["string", "hash", "lost-update", "read-latency"] as const;
export type SessionVariantName = (typeof SESSION_VARIANTS)[number];

export interface SessionCliOptions extends GlobalOptions {
  variant?: SessionVariantName;
  /** Session lifetime in milliseconds, a whole number of seconds. */
  ttl: number;
  servers: number;
  sessions: number;
  reads: number;
}

/**
 * `--ttl`: a duration (`1h`, `30m`, `90s`) or a bare number of seconds, as EX takes it; whole seconds, at least 1 s.
 */
export function parseSessionTtl(text: string): number {
  const ms = /^\s*\d+\s*$/.test(text) ? parseDuration(`${text.trim()}s`) : parseDuration(text);
  if (ms < 1000 || ms % 1000 !== 0)
    throw new UsageError(`--ttl must be whole seconds, at least 1s (SET … EX takes seconds), not "${text}"`);
  return atMost(ms, DURATION_BOUNDS.keyTtl.ms, "--ttl", DURATION_BOUNDS.keyTtl.shown);
}

export function declareSession(program: Command, run: (opts: SessionCliOptions) => Promise<void>): void {
  program
    .command("session")
    .description(
      "session management (chapter 4.3): JSON sessions with sliding expiry, hash sessions on several servers, " +
        "the lost update, read latency",
    )
    .addOption(
      new Option("--variant <name>", "string · hash · lost-update · read-latency (default: all four)").argParser(
        option(oneOf(SESSION_VARIANTS, "variant")),
      ),
    )
    .addOption(
      new Option("--ttl <duration>", "session lifetime: 1h, 30m, 90s, or a bare number of seconds")
        .argParser(option(parseSessionTtl))
        .default(3_600_000, "1h"),
    )
    .option(
      "--servers <n>",
      "simulated app servers, each its own connection (hash variant)",
      option((t) => parseInteger(t, "--servers", 1, 32)),
      3,
    )
    .option(
      "--sessions <n>",
      "users logged in at once (hash and read-latency variants)",
      option((t) => parseInteger(t, "--sessions", 1, 10_000)),
      3,
    )
    .option(
      "--reads <n>",
      "sequential session reads to time (read-latency variant)",
      option((t) => parseInteger(t, "--reads", 1, 1_000_000)),
      2000,
    )
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns session                                   all four variants
  $ redis-patterns session --variant string --ttl 30m        login, sliding expiry, logout, expiry
  $ redis-patterns session --variant hash --servers 4 --sessions 5
  $ redis-patterns session --variant lost-update             the whole-object race next to field-level writes
  $ redis-patterns session --variant read-latency --reads 20000 --trace summary`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<SessionCliOptions>()));
}
