import type { Command } from "commander";
import type { GlobalOptions } from "./common.js";

export interface CleanupCliOptions extends GlobalOptions {
  dryRun?: boolean;
  yes?: boolean;
  force?: boolean;
}

export function declareCleanup(program: Command, run: (opts: CleanupCliOptions) => Promise<void>): void {
  program
    .command("cleanup")
    .description(
      "delete what a redis-patterns run left under --prefix (a --keep run, or one that lost its server): only " +
        "keys its marker vouches for",
    )
    .option("--dry-run", "list what would be deleted, delete nothing")
    .option("-y, --yes", "delete without asking (needed when not on a terminal)")
    .option("--force", "also clean up after a run marked as running on another host (make sure it is gone)")
    .addHelpText(
      "after",
      `\nOnly a prefix that holds a redis-patterns run marker (<prefix>:rp-run) is cleaned up; any other is ` +
        `refused.\n\nExample:\n  $ redis-patterns cleanup --prefix rp:1a2b3c4d --url redis://localhost:6379`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<CleanupCliOptions>()));
}
