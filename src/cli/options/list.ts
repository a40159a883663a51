import { Argument, type Command } from "commander";
import type { GlobalOptions } from "./common.js";

export type ListCliOptions = GlobalOptions;

export interface CompletionCliOptions extends GlobalOptions {
  shell: "bash" | "zsh" | "fish";
}

export function declareList(program: Command, run: (opts: ListCliOptions) => Promise<void>): void {
  program
    .command("list")
    .description("every scenario id with a one-line description (for smoke --only/--skip and tour <id>)")
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns list
  $ redis-patterns list --json | jq -r '.patterns[].scenarios[].id'`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<ListCliOptions>()));
}

export function declareCompletion(program: Command, run: (opts: CompletionCliOptions) => Promise<void>): void {
  program
    .command("completion")
    .description("print a shell completion script: commands, options, their choices and scenario ids")
    .addArgument(new Argument("<shell>", "the shell to complete in").choices(["bash", "zsh", "fish"]))
    .addHelpText(
      "after",
      `
Install:
  bash  $ echo 'source <(redis-patterns completion bash)' >> ~/.bashrc
  zsh   $ echo 'source <(redis-patterns completion zsh)' >> ~/.zshrc
  fish  $ redis-patterns completion fish > ~/.config/fish/completions/redis-patterns.fish`,
    )
    .action(async (shell: CompletionCliOptions["shell"], _opts, cmd: Command) =>
      run({ ...cmd.optsWithGlobals<GlobalOptions>(), shell }),
    );
}
