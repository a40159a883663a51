import { Option, type Command } from "commander";
import { DURATION_BOUNDS, durationAtMost } from "./bounds.js";
import { parseDuration } from "./duration.js";
import { oneOf, option, parseInteger, type GlobalOptions } from "./common.js";

/** The patterns and kinds bench knows (kept here, not imported from src/bench, so --help loads no pattern code). */
export const BENCH_KINDS = {
  ratelimit: ["token-bucket", "fixed-window", "sliding-log", "sliding-counter"],
  lock: ["simple"],
  cache: ["read"],
  leaderboard: ["win-and-rank"],
  queue: ["stream"],
  hll: ["pfadd"],
  session: ["read"],
} as const;
export type BenchPattern = keyof typeof BENCH_KINDS;

export interface BenchCliOptions extends GlobalOptions {
  pattern: BenchPattern;
  algo?: string;
  kind?: string;
  ops: number;
  duration?: number;
  clients: number;
  pipeline: number;
  threads?: number;
  processes?: number;
  rounds: number;
  vsRedisBenchmark?: boolean;
}

export function declareBench(program: Command, run: (opts: BenchCliOptions) => Promise<void>): void {
  const patterns = Object.keys(BENCH_KINDS) as BenchPattern[];
  program
    .command("bench")
    .description(
      "throughput and latency of a pattern's hot operation, with the recorder on and off, optionally against " +
        "redis-benchmark",
    )
    .argument("<pattern>", `one of ${patterns.join(", ")}`, option(oneOf(patterns, "pattern")))
    .option("--algo <name>", `ratelimit algorithm: ${BENCH_KINDS.ratelimit.join(", ")} (default: token-bucket)`)
    .option("--kind <name>", "the operation's variant, for patterns with several (same as --algo)")
    .option(
      "--ops <n>",
      "operations per run (each of: recording off, recording on)",
      option((t) => parseInteger(t, "--ops", 1, 100_000_000)),
      50_000,
    )
    .addOption(
      new Option("--duration <duration>", "run each phase this long instead of --ops operations (e.g. 5s)").argParser(
        option(durationAtMost(parseDuration, DURATION_BOUNDS.phase.ms, "--duration", DURATION_BOUNDS.phase.shown)),
      ),
    )
    .option(
      "--clients <n>",
      "connections, each with its own key (a user, a lock)",
      option((t) => parseInteger(t, "--clients", 1, 1_000)),
      50,
    )
    .option(
      "--pipeline <n>",
      "operations in flight per connection (1 = no pipelining)",
      option((t) => parseInteger(t, "--pipeline", 1, 1_000)),
      1,
    )
    .option(
      "--threads <n>",
      "worker threads sharing the connections (default: one per core, at most --clients)",
      option((t) => parseInteger(t, "--threads", 1, 64)),
    )
    .option(
      "--processes <n>",
      "run the connections in this many OS processes instead of worker threads (when one Node process is the limit)",
      option((t) => parseInteger(t, "--processes", 1, 64)),
    )
    .option(
      "--rounds <n>",
      "repeat the interleaved runs this many times; medians are reported",
      option((t) => parseInteger(t, "--rounds", 1, 100)),
      1,
    )
    .option(
      "--vs-redis-benchmark",
      "also run the same commands through redis-benchmark (same server, clients, pipelining), interleaved, and " +
        "print the ratio",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns bench ratelimit --algo token-bucket --ops 200000 --clients 50
  $ redis-patterns bench lock --pipeline 16 --vs-redis-benchmark
  $ redis-patterns bench session --pipeline 16 --processes 2 --vs-redis-benchmark
  $ redis-patterns bench queue --duration 5s --json

A Redis Cluster (--cluster, or a --url naming a cluster node) is refused with
exit 2 before anything is written: bench measures one standalone server.`,
    )
    .action(async (pattern: BenchPattern, _opts, cmd: Command) =>
      run({ ...cmd.optsWithGlobals<BenchCliOptions>(), pattern }),
    );
}
