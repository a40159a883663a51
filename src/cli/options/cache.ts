import { UsageError } from "../../errors.js";
import { DURATION_BOUNDS, durationAtMost } from "./bounds.js";
import { Option, type Command } from "commander";
import { OriginSpecError, parseOriginSpec } from "../../patterns/cache/origin-db.js";
import { parseDuration } from "./duration.js";
import { oneOf, option, parseInteger, type GlobalOptions } from "./common.js";

export const CACHE_STRATEGIES = ["cache-aside", "read-through", "write-through", "write-behind"] as const;
export const CACHE_INVALIDATIONS = ["ttl", "event", "versioned"] as const;
export const CACHE_TOPOLOGIES = ["sidecar", "remote", "both"] as const;
export const STAMPEDE_PROTECTIONS = ["none", "lock", "early-expiry"] as const;

export interface CacheCliOptions extends GlobalOptions {
  strategy?: (typeof CACHE_STRATEGIES)[number];
  compare?: boolean;
  db: string;
  dbLatency?: number;
  reads?: number;
  writes?: number;
  keys?: number;
  ttl?: number;
  seed?: number;
  batch?: number;
  flushInterval?: number;
  crashBeforeFlush?: boolean;
  invalidate?: (typeof CACHE_INVALIDATIONS)[number];
  instances?: number;
  stampede?: boolean;
  protect?: (typeof STAMPEDE_PROTECTIONS)[number];
  concurrency?: number;
  race?: boolean;
  topology?: (typeof CACHE_TOPOLOGIES)[number];
  remoteLatency?: number;
  serverBinary?: string;
}

const int = (name: string, min: number, max: number) => option((t) => parseInteger(t, name, min, max));

export function declareCache(program: Command, run: (opts: CacheCliOptions) => Promise<void>): void {
  program
    .command("cache")
    .description(
      "caching (chapter 4.1, 4.8): cache-aside, read-through, write-through, write-behind over a real " +
        "database; invalidation; stampedes; the stale-set race",
    )
    .addOption(
      new Option(
        "--strategy <name>",
        "one strategy: cache-aside, read-through, write-through, write-behind (default: all four, compared)",
      ).argParser(option(oneOf(CACHE_STRATEGIES, "strategy"))),
    )
    .option("--compare", "run every strategy (or, with --stampede, every protection) on the same workload, one table")
    .addOption(
      new Option(
        "--db <url>",
        "origin database: sqlite (a temporary file), sqlite:<path>, or postgres://user@host:5432/db (password: " +
          "PGPASSWORD)",
      )
        .argParser(option(parseDbOption))
        .default("sqlite"),
    )
    .option(
      "--db-latency <ms>",
      "sleep before each database statement, modelling a remote database (default: 1 for SQLite, 0 for " +
        "PostgreSQL; 20 for --stampede)",
      int("--db-latency", 0, 10_000),
    )
    .option(
      "--reads <n>",
      "reads in the workload (default 100); --topology: reads per instance, for the latency (default 200)",
      int("--reads", 1, 1_000_000),
    )
    .option("--writes <n>", "writes in the workload (default 20)", int("--writes", 0, 1_000_000))
    .option(
      "--keys <n>",
      "users in the database; the workload is Zipf-skewed over them (default 20; 3 for --invalidate)",
      int("--keys", 1, 1_000_000),
    )
    .option(
      "--ttl <duration>",
      "TTL of cache entries: 200ms, 60s (default 60s; 200ms for --invalidate ttl, 300ms versioned, 200ms for " +
        "--stampede)",
      option(durationAtMost(parseDuration, DURATION_BOUNDS.keyTtl.ms, "--ttl", DURATION_BOUNDS.keyTtl.shown)),
    )
    .option(
      "--seed <n>",
      "seed of the workload and of the early-expiry draws (default 7)",
      int("--seed", 0, 2 ** 31 - 1),
    )
    .option(
      "--batch <n>",
      "write-behind: most queued writes one flush applies (default 10)",
      int("--batch", 1, 100_000),
    )
    .option(
      "--flush-interval <duration>",
      "write-behind: pause between the worker's flushes (default 10ms)",
      option(durationAtMost(parseDuration, DURATION_BOUNDS.wait.ms, "--flush-interval", DURATION_BOUNDS.wait.shown)),
    )
    .option("--crash-before-flush", "write-behind: kill the worker before its next flush and count the writes lost")
    .addOption(
      new Option(
        "--invalidate <mode>",
        "invalidation: ttl (real expiry), event (pub/sub to app instances), versioned (cache:v2:… keys)",
      ).argParser(option(oneOf(CACHE_INVALIDATIONS, "invalidation"))),
    )
    .option(
      "--instances <n>",
      "--invalidate event and --topology: app instances, each with its own connections and cache (default 3)",
      int("--instances", 1, 50),
    )
    .option("--stampede", "a hot entry expiring under concurrent requests (default: all three protections, compared)")
    .addOption(
      new Option(
        "--protect <mode>",
        "stampede protection: none, lock (SET NX PX single flight), early-expiry (XFetch)",
      ).argParser(option(oneOf(STAMPEDE_PROTECTIONS, "protection"))),
    )
    .option(
      "--concurrency <n>",
      "--stampede: concurrent requests per wave, each on its own connection (default 8)",
      int("--concurrency", 1, 200),
    )
    .option("--race", "the cache-aside stale-set race, step by step, and a fix")
    .addOption(
      new Option(
        "--topology <name>",
        "sidecar (a throwaway Redis next to each app instance), remote (one shared Redis: --url), or both, compared",
      ).argParser(option(oneOf(CACHE_TOPOLOGIES, "topology"))),
    )
    .option(
      "--remote-latency <duration>",
      "--topology remote: a delay proxy adds this round-trip time in front of the shared Redis (e.g. 1ms)",
      option((t) => {
        const ms = parseDuration(t);
        if (ms > 1_000) throw new UsageError(`--remote-latency must be at most 1s, not ${ms} ms`);
        return ms;
      }),
    )
    .option(
      "--server-binary <path>",
      "--topology sidecar: the redis-server to start (default: the --url server's binary when local, else PATH)",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns cache                                   the four strategies on one workload, compared
  $ redis-patterns cache --strategy write-behind --crash-before-flush
  $ redis-patterns cache --db postgres://postgres@127.0.0.1:5432/test --db-latency 0
  $ redis-patterns cache --invalidate event --instances 4
  $ redis-patterns cache --stampede --protect lock --concurrency 16
  $ redis-patterns cache --race
  $ redis-patterns cache --topology both --remote-latency 1ms   sidecars vs one shared Redis: latency and stale reads`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<CacheCliOptions>()));
}

/** `--db`: checked here (the pattern's OriginSpecError, worded with the flag), kept as the text the user gave. */
function parseDbOption(text: string): string {
  try {
    parseOriginSpec(text);
  } catch (err) {
    if (err instanceof OriginSpecError) throw new UsageError(`--db ${err.message}`);
    throw err;
  }
  return text;
}
