import { Option, type Command } from "commander";
import { oneOf, option, parseInteger } from "./common.js";
import { RATE_LIMIT_ALGORITHMS, type RateLimitAlgorithmName } from "./ratelimit-algorithms.js";

/** `ratelimit --script …`: check the user's own limiter (see docs/ratelimit.md, "Check your own limiter"). */
export interface UserScriptCliOptions {
  script?: string;
  adapter?: string;
  contract?: "window" | "bucket";
  semantics?: "sliding" | "fixed" | "bucket";
  model?: RateLimitAlgorithmName;
  fuzz?: number;
  seed?: number;
  junit?: string;
}

/**
 * Whether the ratelimit command was asked to check the user's own limiter (then it imports ratelimit-script.ts and,
 * with it, fast-check; a run of the built-in algorithms loads neither).
 */
export function wantsUserScript(opts: UserScriptCliOptions): boolean {
  return opts.script !== undefined || opts.adapter !== undefined;
}

/** The options of `ratelimit --script`, added to the ratelimit command. */
export function addUserScriptOptions(cmd: Command): Command {
  return cmd
    .option(
      "--script <file.lua>",
      "check YOUR limiter: KEYS[1] the client's key; ARGV limit, window ms, now ms, request id; reply 1/0 or " +
        "{1/0, remaining, …}",
    )
    .addOption(
      new Option(
        "--contract <name>",
        "window: ARGV limit, window ms, now ms, request id · bucket: ARGV capacity (--burst), refill/s " +
          "(--rate), now ms, cost",
      ).choices(["window", "bucket"]),
    )
    .addOption(
      new Option(
        "--semantics <promise>",
        "what --script promises: sliding (≤ limit in ANY window) · fixed (≤ limit per calendar window) · " +
          "bucket (default: sliding, or from --model / --contract)",
      ).choices(["sliding", "fixed", "bucket"]),
    )
    .addOption(
      new Option("--model <algo>", "a reference algorithm whose decisions --script must match exactly").argParser(
        option(oneOf(RATE_LIMIT_ALGORITHMS, "model")),
      ),
    )
    .option(
      "--adapter <file>",
      "map another signature or reply: a .json file (KEYS/ARGV templates, reply fields) or a .js module (see " +
        "docs/ratelimit.md)",
    )
    .option(
      "--fuzz <n>",
      "with --script: also N random sequences (shapes, clients, costs, clocks), the first failure shrunk",
      option((t) => parseInteger(t, "--fuzz", 1, 100_000)),
    )
    .option(
      "--seed <n>",
      "with --script: seed of --fuzz and of shrinking; the same seed replays a failure exactly (default 1)",
      option((t) => parseInteger(t, "--seed", 0, 2 ** 31 - 1)),
    )
    .option(
      "--junit <file>",
      "with --script: also write a JUnit XML report (each failed check a <failure> with its shortest sequence)",
    );
}

export const USER_SCRIPT_HELP = `
Check your own limiter (exit 0: every check passed, 1: a violation, 2: the script does not load or the file is \
unreadable):
  $ redis-patterns ratelimit --script src/limiter.lua --junit out.xml
  $ redis-patterns ratelimit --script fixed.lua --semantics fixed --model fixed-window --limit 5 --window 10s
  $ redis-patterns ratelimit --script bucket.lua --contract bucket --burst 10 --rate 5/s --fuzz 200 --seed 7
  $ redis-patterns ratelimit --script theirs.lua --adapter theirs.json`;
