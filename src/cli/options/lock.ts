import { Option, type Command } from "commander";
import { parseDuration } from "./duration.js";
import { UsageError } from "../../errors.js";
import { oneOf, option, parseInteger, type GlobalOptions } from "./common.js";
import { addLockScriptOptions, LOCK_SCRIPT_HELP, type LockScriptCliOptions } from "./lock-script.js";

export const LOCK_ALGORITHMS = ["simple", "watchdog", "fencing", "redlock"] as const;
export type LockAlgorithmName = (typeof LOCK_ALGORITHMS)[number];

export interface LockCliOptions extends GlobalOptions, LockScriptCliOptions {
  algo?: LockAlgorithmName;
  /** false with --no-lock. */
  lock: boolean;
  /** false with --no-renew (watchdog: show the double hold its renewals prevent). */
  renew?: boolean;
  workers: number;
  increments: number;
  ttl: number;
  pause?: number;
  /** Redlock: the independent masters (--node, repeated); none = start 5 throwaway servers. */
  node?: string[];
  nodeTimeout: number;
  retries: number;
  retryDelay: number;
  seed: number;
  /** The failover pitfall on a throwaway master + replica. */
  failover?: boolean;
}

function collectNode(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A duration within [min, max] ms (the lock's TTL and the stall wait in real time: keep them short). */
function boundedDuration(what: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text);
    if (ms < min || ms > max)
      throw new UsageError(`${what} must be between ${min} ms and ${max / 1000} s, not ${ms} ms`);
    return ms;
  };
}

export function declareLock(program: Command, run: (opts: LockCliOptions) => Promise<void>): void {
  const cmd = program
    .command("lock")
    .description(
      "distributed locking (chapter 4.5): SET NX PX + owner-checked release, a renewal watchdog, fencing tokens",
    )
    .addOption(
      new Option(
        "--algo <name>",
        "simple, watchdog, fencing or redlock (default: the first three, compared)",
      ).argParser(option(oneOf(LOCK_ALGORITHMS, "lock algorithm"))),
    )
    .option("--no-lock", "the same increments without any lock, lined up so that updates are lost on every run")
    .option(
      "--no-renew",
      "watchdog: switch the renewals off, so the stall past the TTL ends in a double hold (a check fails)",
    )
    .option(
      "--workers <n>",
      "workers, each on its own connection",
      option((t) => parseInteger(t, "--workers", 2, 50)),
      3,
    )
    .option(
      "--increments <n>",
      "read-modify-write increments per worker",
      option((t) => parseInteger(t, "--increments", 1, 10_000)),
      10,
    )
    .addOption(
      new Option("--ttl <duration>", "the lock's TTL (real time: Redis expires it on its own clock)")
        .argParser(option(boundedDuration("--ttl", 30, 10_000)))
        .default(150, "150ms"),
    )
    .option(
      "--node <url>",
      "redlock: an independent master (repeat, 3 or more); without it, 5 throwaway redis-servers are started",
      collectNode,
    )
    .addOption(
      new Option(
        "--node-timeout <duration>",
        "redlock: command timeout per node (connecting gets 2 s); a slower node does not vote",
      )
        .argParser(option(boundedDuration("--node-timeout", 1, 10_000)))
        .default(50, "50ms"),
    )
    .option(
      "--retries <n>",
      "redlock: attempts per acquisition",
      option((t) => parseInteger(t, "--retries", 1, 100)),
      3,
    )
    .addOption(
      new Option("--retry-delay <duration>", "redlock: mean pause between attempts (random ±50%, seeded)")
        .argParser(option(boundedDuration("--retry-delay", 1, 10_000)))
        .default(10, "10ms"),
    )
    .option(
      "--seed <n>",
      "redlock: seed of the retry delays",
      option((t) => parseInteger(t, "--seed", 0, 2 ** 31)),
      1,
    )
    .option(
      "--failover",
      "the failover pitfall for real: a throwaway master + replica, the link cut, the replica promoted, two " +
        "holders; then WAIT, fencing, Redlock",
    )
    .addOption(
      new Option(
        "--pause <duration>",
        "how long worker-1 stalls holding the lock; must be longer than --ttl (default: 2 × ttl)",
      ).argParser(option(boundedDuration("--pause", 31, 30_000))),
    )
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns lock                               the three algorithms side by side, one table
  $ redis-patterns lock --algo simple                 the expiry pitfall: a double hold, and a late release that \
returns 0
  $ redis-patterns lock --no-lock --workers 5         lost updates without a lock, on every run
  $ redis-patterns lock --algo watchdog --ttl 300ms --pause 1s
  $ redis-patterns lock --algo fencing --trace summary
  $ redis-patterns lock --algo redlock                5 throwaway masters: 2 down → still acquired, 3 down → refused
  $ redis-patterns lock --algo redlock --node redis://10.0.0.1:6379 --node redis://10.0.0.2:6379 \\
      --node redis://10.0.0.3:6379 --node redis://10.0.0.4:6379 --node redis://10.0.0.5:6379 --ttl 2s
  $ redis-patterns lock --failover                    a lock lost in a failover: two holders, for real
${LOCK_SCRIPT_HELP}`,
    );
  addLockScriptOptions(cmd).action(async (_opts, command: Command) => run(command.optsWithGlobals<LockCliOptions>()));
}
