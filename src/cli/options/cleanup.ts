import type { Command } from "commander";
import type { GlobalOptions } from "./common.js";

export interface CleanupCliOptions extends GlobalOptions {
  dryRun?: boolean;
}

export function declareCleanup(program: Command, run: (opts: CleanupCliOptions) => Promise<void>): void {
  program
    .command("cleanup")
    .description("delete the keys a --keep run left under --prefix (found with SCAN, never KEYS)")
    .option("--dry-run", "list what would be deleted, delete nothing")
    .addHelpText("after", `\nExample:\n  $ redis-patterns cleanup --prefix rp:1a2b3c4d --url redis://localhost:6379`)
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<CleanupCliOptions>()));
}
