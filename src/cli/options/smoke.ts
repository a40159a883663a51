import { Option, type Command } from "commander";
import { DURATION_BOUNDS, MAX_KEYS_CAP, durationAtMost } from "./bounds.js";
import { parseDuration } from "./duration.js";
import { option, parseInteger, type GlobalOptions } from "./common.js";

export interface SmokeCliOptions extends GlobalOptions {
  only: string[];
  skip: string[];
  junit?: string;
  strict?: boolean;
  maxKeys: number;
  wait?: number;
}

/** `--only a,b --only c` → ["a", "b", "c"]. */
function collect(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

export function declareSmoke(program: Command, run: (opts: SmokeCliOptions) => Promise<void>): void {
  program
    .command("smoke")
    .description(
      "CI: run every scenario in its fast default configuration as a test (exit 0 all pass, 1 a check failed)",
    )
    .option(
      "--only <ids>",
      "scenario ids or globs to run, comma-separated or repeated (e.g. ratelimit/*,lock/fencing)",
      collect,
      [],
    )
    .option("--skip <ids>", "scenario ids or globs to leave out", collect, [])
    .option("--junit <file>", "also write a JUnit XML report (a testcase per scenario) to this file")
    .option(
      "--strict",
      "fail on a skipped scenario (the server lacks what it needs) or an inconclusive one (this machine too " +
        "slow to tell)",
    )
    .addOption(
      new Option("--max-keys <n>", "stop a scenario that would write more keys than this (safety on shared servers)")
        .argParser(option((t) => parseInteger(t, "--max-keys", 1, MAX_KEYS_CAP)))
        .default(10_000, "10000"),
    )
    .option(
      "--wait <duration>",
      "wait up to this long for the server to accept connections (e.g. 30s)",
      option(durationAtMost(parseDuration, DURATION_BOUNDS.wait.ms, "--wait", DURATION_BOUNDS.wait.shown)),
    )
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns smoke --url $REDIS_URL --junit report.xml
  $ redis-patterns smoke --only 'ratelimit/*' --json
  $ redis-patterns smoke --skip ratelimit/sliding-log --wait 30s`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<SmokeCliOptions>()));
}
