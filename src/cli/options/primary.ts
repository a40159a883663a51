import { Option, type Command } from "commander";
import { UsageError } from "../../errors.js";
import { parseSaveRule, PERSISTENCE_SETTINGS, type PersistenceSetting } from "../../patterns/primary/persistence.js";
import { parseDuration } from "./duration.js";
import { oneOf, option, parseInteger, type GlobalOptions } from "./common.js";

export interface PrimaryCliOptions extends GlobalOptions {
  persistence?: PersistenceSetting;
  killAfter?: number;
  seed: number;
  rate: number;
  rdbSave: string;
  serverBinary?: string;
}

function killAfter(text: string): number {
  const ms = parseDuration(text);
  if (ms < 100 || ms > 60_000) throw new UsageError(`--kill-after must be between 100 ms and 60 s, not ${ms} ms`);
  return ms;
}

function saveRule(text: string): string {
  try {
    parseSaveRule(text);
  } catch (err) {
    throw new UsageError(`--rdb-save: ${(err as Error).message}`);
  }
  return text.trim().split(/\s+/).join(" ");
}

export function declarePrimary(program: Command, run: (opts: PrimaryCliOptions) => Promise<void>): void {
  program
    .command("primary")
    .description(
      "Redis as the primary database (chapter 4.8): cart, flags, game state and sessions on a throwaway " +
        "server, SIGKILLed under each persistence setting; acknowledged writes lost",
    )
    .addOption(
      new Option(
        "--persistence <setting>",
        "none, rdb, aof-everysec or aof-always (default: all four, compared in one table)",
      ).argParser(option(oneOf(PERSISTENCE_SETTINGS, "persistence setting"))),
    )
    .addOption(
      new Option(
        "--kill-after <duration>",
        "SIGKILL the server this long after the writes start (default: drawn from 2.3-3.3 s with --seed)",
      ).argParser(option(killAfter)),
    )
    .option(
      "--seed <n>",
      "seed of the write mix and of the kill moment",
      option((t) => parseInteger(t, "--seed", 0, 2 ** 31 - 1)),
      1,
    )
    .option(
      "--rate <writes/s>",
      "acknowledged writes per second the app sends, all use cases together",
      option((t) => parseInteger(t, "--rate", 10, 20_000)),
      1_000,
    )
    .addOption(
      new Option("--rdb-save <rule>", 'the rdb setting\'s save rule, "<seconds> <changes>" pairs')
        .argParser(option(saveRule))
        .default("1 100"),
    )
    .option(
      "--server-binary <path>",
      "the redis-server to start (default: the binary of the server at --url when it runs here, else " +
        "redis-server from PATH)",
    )
    .addHelpText(
      "after",
      `
The data lives on a throwaway redis-server this command starts, kills with SIGKILL and restarts from its files;
the server at --url is only asked which binary it runs. A SIGKILL ends the process, not the machine: what Redis
handed the kernel survives it; what a power loss adds is shown beside the measurement.

Examples:
  $ redis-patterns primary                              the four settings side by side, one table
  $ redis-patterns primary --persistence aof-always     no acknowledged write lost, and what fsync costs per write
  $ redis-patterns primary --persistence rdb --rdb-save "2 1" --kill-after 3500ms
  $ redis-patterns primary --server-binary /opt/redis-7.4/bin/redis-server --json`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<PrimaryCliOptions>()));
}
