import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import type { GlobalOptions } from "./options.js";
import { parseDuration, parseRate } from "../patterns/ratelimit/traffic.js";
import { oneOf, option, parseInteger, parsePrefix, parseTimeout } from "./options.js";

/**
 * The router: it declares commands and options and hands parsed options to a handler. Handlers are imported
 * lazily, so `--help` and `--version` never load ioredis, chalk tables, ora or the prompts.
 */
export const RATE_LIMIT_ALGORITHMS = ["fixed-window", "sliding-log", "sliding-counter", "token-bucket"] as const;
export type RateLimitAlgorithmName = (typeof RATE_LIMIT_ALGORITHMS)[number];
export const TRAFFIC_SHAPES = ["steady", "burst", "boundary"] as const;

export interface RateLimitCliOptions extends GlobalOptions {
  algo?: RateLimitAlgorithmName;
  compare?: boolean;
  limit: number;
  window: number;
  rate?: number;
  burst?: number;
  cost: number;
  requests?: number;
  clients: number;
  traffic: (typeof TRAFFIC_SHAPES)[number];
  clock: "scenario" | "real";
}

export interface CleanupCliOptions extends GlobalOptions {
  dryRun?: boolean;
}

export interface Handlers {
  ratelimit(opts: RateLimitCliOptions): Promise<void>;
  cleanup(opts: CleanupCliOptions): Promise<void>;
}

export const lazyHandlers: Handlers = {
  ratelimit: async (opts) => (await import("./commands/ratelimit.js")).ratelimitCommand(opts),
  cleanup: async (opts) => (await import("./commands/cleanup.js")).cleanupCommand(opts),
};

export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "redis-patterns" && pkg.version) return pkg.version;
    } catch {
      // not here; look one folder up
    }
    dir = dirname(dir);
  }
  return "unknown";
}

const EXAMPLES = `
Examples:
  $ redis-patterns ratelimit                          the four rate limiters side by side, on a boundary burst
  $ redis-patterns ratelimit --algo token-bucket      one algorithm, every command it sends
  $ redis-patterns ratelimit --algo sliding-log --limit 100 --window 1m --traffic steady
  $ redis-patterns ratelimit --url redis://:secret@cache.internal:6379/2 --json
  $ redis-patterns cleanup --prefix rp:1a2b3c4d       remove what a --keep run left behind

Target: --url, else $REDIS_URL, else redis://127.0.0.1:6379; when nothing answers there (or with --embedded) a
throwaway redis-server from PATH is started for the run.
Exit codes: 0 ok · 1 a check failed · 2 usage · 3 connection or timeout · 4 auth or permission · 130 interrupted`;

export function createProgram(handlers: Handlers = lazyHandlers): Command {
  const program = new Command();
  program
    .name("redis-patterns")
    .description("Run the classic Redis system-design patterns against a real Redis and see every command, reply and latency.")
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError("(run with --help for usage)")
    .option("--url <url>", "Redis to use: redis://[user:password@]host[:port][/db], rediss://…, unix:///path (default: $REDIS_URL, else redis://127.0.0.1:6379)")
    .option("--json", "print one JSON document on stdout instead of tables and traces")
    .option("--no-color", "no colours (also off when not a terminal, with NO_COLOR or TERM=dumb)")
    .option("--prefix <prefix>", "key prefix for this run (default: a fresh rp:<random>)", option(parsePrefix))
    .option("--keep", "keep the run's keys instead of deleting them at the end")
    .addOption(
      new Option("--timeout <duration>", "connect and command timeout (e.g. 5s, 500ms; a bare number is seconds)")
        .argParser(option(parseTimeout))
        .default(5_000, "5s"),
    )
    .option("--embedded", "start a throwaway redis-server from PATH for this run, whatever answers elsewhere")
    .option("--tls-ca <file>", "CA certificate (PEM) to verify a rediss:// server")
    .option("--insecure", "rediss:// without verifying the server's certificate")
    .option("--show-lua", "print each Lua script's source the first time the trace uses it")
    .addOption(
      new Option("--trace <mode>", "how much of the command trace to print: full, summary (first and last commands of each step) or off")
        .choices(["full", "summary", "off"])
        .default("full"),
    )
    .addHelpText("after", EXAMPLES);

  program
    .command("ratelimit")
    .description("rate limiting (chapter 4.2): fixed window, sliding log, sliding counter, token bucket")
    .addOption(new Option("--algo <name>", "one algorithm (default: all four, compared)").argParser(option(oneOf(RATE_LIMIT_ALGORITHMS, "algorithm"))))
    .option("--compare", "run all four algorithms on the same traffic and compare them in one table")
    .option("--limit <n>", "requests allowed per window", option((t) => parseInteger(t, "--limit")), 10)
    .addOption(new Option("--window <duration>", "window length: 500ms, 10s, 1m, 1h").argParser(option(parseDuration)).default(60_000, "1m"))
    .option("--rate <rate>", "token bucket refill: 10/s, 100/m, or a bare number per second (default: limit per window)", option(parseRate))
    .option("--burst <n>", "token bucket capacity (default: --limit)", option((t) => parseInteger(t, "--burst")))
    .option("--cost <n>", "tokens or slots each request takes", option((t) => parseInteger(t, "--cost")), 1)
    .option("--requests <n>", "requests per client (default: 3 × limit)", option((t) => parseInteger(t, "--requests", 1, 1_000_000)))
    .option("--clients <n>", "number of identifiers (alice, bob, …), each limited on its own", option((t) => parseInteger(t, "--clients", 1, 1_000)), 1)
    .addOption(
      new Option("--traffic <shape>", "steady: evenly over two windows · burst: all in one millisecond · boundary: half just before a window edge, half just after")
        .choices(TRAFFIC_SHAPES)
        .default("boundary"),
    )
    .addOption(
      new Option("--clock <clock>", "scenario: simulated time, runs in milliseconds and replays exactly · real: paced in wall time, the server's TIME in scripts")
        .choices(["scenario", "real"])
        .default("scenario"),
    )
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns ratelimit --compare --traffic boundary      the fixed window's 2× burst at the window edge
  $ redis-patterns ratelimit --algo token-bucket --rate 5 --burst 10 --traffic burst
  $ redis-patterns ratelimit --algo sliding-counter --clients 3 --trace summary
  $ redis-patterns ratelimit --algo fixed-window --window 2s --clock real`,
    )
    .action(async (_opts, cmd: Command) => handlers.ratelimit(cmd.optsWithGlobals<RateLimitCliOptions>()));

  program
    .command("cleanup")
    .description("delete the keys a --keep run left under --prefix (found with SCAN, never KEYS)")
    .option("--dry-run", "list what would be deleted, delete nothing")
    .addHelpText("after", `\nExample:\n  $ redis-patterns cleanup --prefix rp:1a2b3c4d --url redis://localhost:6379`)
    .action(async (_opts, cmd: Command) => handlers.cleanup(cmd.optsWithGlobals<CleanupCliOptions>()));

  return program;
}
