import type { Command } from "commander";
import { option, parseInteger } from "./common.js";

/** `lock --acquire-script …`: check the user's own lock (see docs/lock.md, "Check your own lock"). */
export interface LockScriptCliOptions {
  acquireScript?: string;
  releaseScript?: string;
  extendScript?: string;
  junit?: string;
  fuzz?: number;
}

/** Whether the lock command checks the user's own lock (then it imports lock-script.ts and, with it, fast-check). */
export function wantsLockScript(opts: LockScriptCliOptions): boolean {
  return opts.acquireScript !== undefined || opts.releaseScript !== undefined || opts.extendScript !== undefined;
}

/** The options of `lock --acquire-script`, added to the lock command. */
export function addLockScriptOptions(cmd: Command): Command {
  return cmd
    .option(
      "--acquire-script <file.lua>",
      "check YOUR lock: KEYS[1] the lock, ARGV[1] token, ARGV[2] TTL ms → 1/OK or 0/nil",
    )
    .option(
      "--release-script <file.lua>",
      "with --acquire-script: KEYS[1] the lock, ARGV[1] token → 1 released, 0 not ours",
    )
    .option(
      "--extend-script <file.lua>",
      "with --acquire-script (optional): KEYS[1] the lock, ARGV[1] token, ARGV[2] TTL ms → 1 extended, 0 not ours",
    )
    .option("--junit <file>", "with --acquire-script: also write a JUnit XML report to this file")
    .option(
      "--fuzz <n>",
      "with --acquire-script: also N random sequences of acquire/release/extend by 3 workers (seeded by " +
        "--seed), the first failure shrunk",
      option((t) => parseInteger(t, "--fuzz", 1, 100_000)),
    );
}

export const LOCK_SCRIPT_HELP = `
Check your own lock (exit 0: every check passed, 1: a violation, 2: a script does not load or a file is unreadable):
  $ redis-patterns lock --acquire-script acquire.lua --release-script release.lua --extend-script extend.lua
  $ redis-patterns lock --acquire-script acquire.lua --release-script release.lua --junit lock.xml
  $ redis-patterns lock --acquire-script acquire.lua --release-script release.lua --fuzz 300 --seed 7`;
