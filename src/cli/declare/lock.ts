import { Option, type Command } from "commander";
import { parseDuration } from "../../patterns/ratelimit/traffic.js";
import { UsageError } from "../../errors.js";
import { oneOf, option, parseInteger, type GlobalOptions } from "../options.js";

export const LOCK_ALGORITHMS = ["simple", "watchdog", "fencing"] as const;
export type LockAlgorithmName = (typeof LOCK_ALGORITHMS)[number];

export interface LockCliOptions extends GlobalOptions {
  algo?: LockAlgorithmName;
  /** false with --no-lock. */
  lock: boolean;
  workers: number;
  increments: number;
  ttl: number;
  pause?: number;
}

/** A duration within [min, max] ms (the lock's TTL and the stall wait in real time: keep them short). */
function boundedDuration(what: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text);
    if (ms < min || ms > max) throw new UsageError(`${what} must be between ${min} ms and ${max / 1000} s, not ${ms} ms`);
    return ms;
  };
}

export function declareLock(program: Command, run: (opts: LockCliOptions) => Promise<void>): void {
  program
    .command("lock")
    .description("distributed locking (chapter 4.5): SET NX PX + owner-checked release, a renewal watchdog, fencing tokens")
    .addOption(new Option("--algo <name>", "simple, watchdog or fencing (default: all three, compared)").argParser(option(oneOf(LOCK_ALGORITHMS, "lock algorithm"))))
    .option("--no-lock", "the same increments without any lock, lined up so that updates are lost on every run")
    .option("--workers <n>", "workers, each on its own connection", option((t) => parseInteger(t, "--workers", 2, 50)), 3)
    .option("--increments <n>", "read-modify-write increments per worker", option((t) => parseInteger(t, "--increments", 1, 10_000)), 10)
    .addOption(new Option("--ttl <duration>", "the lock's TTL (real time: Redis expires it on its own clock)").argParser(option(boundedDuration("--ttl", 30, 10_000))).default(150, "150ms"))
    .addOption(new Option("--pause <duration>", "how long worker-1 stalls holding the lock; must be longer than --ttl (default: 2 × ttl)").argParser(option(boundedDuration("--pause", 31, 30_000))))
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns lock                               the three algorithms side by side, one table
  $ redis-patterns lock --algo simple                 the expiry pitfall: a double hold, and a late release that returns 0
  $ redis-patterns lock --no-lock --workers 5         lost updates without a lock, on every run
  $ redis-patterns lock --algo watchdog --ttl 300ms --pause 1s
  $ redis-patterns lock --algo fencing --trace summary`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<LockCliOptions>()));
}
