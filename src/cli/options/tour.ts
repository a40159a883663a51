import type { Command } from "commander";
// The catalog is data (its scenarios load lazily), so --help stays cheap.
import { catalog } from "../../../scenarios/index.js";
import type { GlobalOptions } from "./common.js";

export interface TourCliOptions extends GlobalOptions {
  /** false with --no-input: refuse instead of prompting. */
  input: boolean;
  /** A pattern (`lock`) or one scenario (`lock/no-lock`) to start with; the whole menu when absent. */
  pattern?: string;
}

export function declareTour(program: Command, run: (opts: TourCliOptions) => Promise<void>): void {
  program
    .command("tour")
    .description(
      "a guided walkthrough of every pattern: each step explained, each command shown before it is sent, " +
        "parameters to change, a sandbox for your own commands",
    )
    .argument("[pattern]", `a pattern (${catalog.map((e) => e.name).join(", ")}) or one scenario (lock/no-lock)`)
    .option("--no-input", "never prompt: refuse with exit 2 (what a script or CI gets anyway)")
    .addHelpText(
      "after",
      `
Needs a terminal; refuses (exit 2) when stdin or stderr is not one, with CI set, --no-input or --json.
Prompts render on stderr; steps, traces and tables on stdout. Ctrl-C at any point cleans up the run's keys (exit 130).

Examples:
  $ redis-patterns                  on a terminal: the tour's menu
  $ redis-patterns tour lock        the lock scenarios only
  $ redis-patterns tour queue/list  straight into one walkthrough`,
    )
    .action(async (pattern: string | undefined, _opts, cmd: Command) =>
      run({ ...cmd.optsWithGlobals<TourCliOptions>(), ...(pattern ? { pattern } : {}) }),
    );
}
