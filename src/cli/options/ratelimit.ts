import { MAX_RATELIMIT_LIMIT, MAX_RATELIMIT_REQUESTS, MAX_RATE_PER_SEC, MAX_WINDOW_MS, atMost } from "./bounds.js";
import { Option, type Command } from "commander";
import { parseDuration, parseRate } from "./duration.js";
import { oneOf, option, parseInteger, type GlobalOptions } from "./common.js";
import { RATE_LIMIT_ALGORITHMS, type RateLimitAlgorithmName } from "./ratelimit-algorithms.js";
import { addUserScriptOptions, USER_SCRIPT_HELP, type UserScriptCliOptions } from "./ratelimit-script.js";

export const TRAFFIC_SHAPES = ["steady", "burst", "boundary"] as const;

export interface RateLimitCliOptions extends GlobalOptions, UserScriptCliOptions {
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

export function declareRatelimit(program: Command, run: (opts: RateLimitCliOptions) => Promise<void>): void {
  const cmd = program
    .command("ratelimit")
    .description("rate limiting (chapter 4.2): fixed window, sliding log, sliding counter, token bucket")
    .addOption(
      new Option("--algo <name>", "one algorithm (default: all four, compared)").argParser(
        option(oneOf(RATE_LIMIT_ALGORITHMS, "algorithm")),
      ),
    )
    .option("--compare", "run all four algorithms on the same traffic and compare them in one table")
    .option(
      "--limit <n>",
      "requests allowed per window",
      option((t) => parseInteger(t, "--limit", 1, MAX_RATELIMIT_LIMIT)),
      10,
    )
    .addOption(
      new Option("--window <duration>", "window length: 500ms, 10s, 1m, 1h")
        .argParser(option((t) => atMost(parseDuration(t), MAX_WINDOW_MS, "--window", "24h")))
        .default(60_000, "1m"),
    )
    .option(
      "--rate <rate>",
      "token bucket refill: 10/s, 100/m, or a bare number per second (default: limit per window)",
      option((t) => atMost(parseRate(t), MAX_RATE_PER_SEC, "--rate", `${MAX_RATE_PER_SEC}/s`)),
    )
    .option(
      "--burst <n>",
      "token bucket capacity (default: --limit)",
      option((t) => parseInteger(t, "--burst", 1, MAX_RATELIMIT_REQUESTS)),
    )
    .option(
      "--cost <n>",
      "tokens or slots each request takes",
      option((t) => parseInteger(t, "--cost", 1, MAX_RATELIMIT_LIMIT)),
      1,
    )
    .option(
      "--requests <n>",
      "requests per client (default: 3 × limit)",
      option((t) => parseInteger(t, "--requests", 1, MAX_RATELIMIT_REQUESTS)),
    )
    .option(
      "--clients <n>",
      "number of identifiers (alice, bob, …), each limited on its own",
      option((t) => parseInteger(t, "--clients", 1, 1_000)),
      1,
    )
    .addOption(
      new Option(
        "--traffic <shape>",
        "steady: evenly over two windows · burst: all in one millisecond · boundary: half just before a window " +
          "edge, half just after",
      )
        .choices(TRAFFIC_SHAPES)
        .default("boundary"),
    )
    .addOption(
      new Option(
        "--clock <clock>",
        "scenario: simulated time, runs in milliseconds and replays exactly · real: paced in wall time, the " +
          "server's TIME in scripts",
      )
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
  $ redis-patterns ratelimit --algo fixed-window --window 2s --clock real
${USER_SCRIPT_HELP}`,
    );
  addUserScriptOptions(cmd).action(async (_opts, command: Command) =>
    run(command.optsWithGlobals<RateLimitCliOptions>()),
  );
}
