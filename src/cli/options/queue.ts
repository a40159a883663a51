import { Option, type Command } from "commander";
import { DURATION_BOUNDS, durationAtMost } from "./bounds.js";
import { parseDuration } from "./duration.js";
import { oneOf, option, parseInteger, type GlobalOptions } from "./common.js";

export const QUEUE_KINDS = ["list", "reliable", "stream"] as const;
export type QueueKindName = (typeof QUEUE_KINDS)[number];

export interface QueueCliOptions extends GlobalOptions {
  kind?: QueueKindName;
  messages: number;
  consumers: number;
  batch: number;
  /** Undefined unless --crash or --no-crash was given: crashing is the default. */
  crash?: boolean;
  block: number;
  visibility: number;
  maxDeliveries: number;
  poison: boolean;
}

export function declareQueue(program: Command, run: (opts: QueueCliOptions) => Promise<void>): void {
  program
    .command("queue")
    .description(
      "message queues (chapter 4.7): a plain list loses messages when a consumer dies; a reliable list and a " +
        "stream do not",
    )
    .addOption(
      new Option(
        "--kind <kind>",
        "list (LPUSH/BRPOP), reliable (BLMOVE + processing list + reaper) or stream (consumer group) (default: " +
          "all three, compared)",
      ).argParser(option(oneOf(QUEUE_KINDS, "queue kind"))),
    )
    .option(
      "--messages <n>",
      "messages the producer sends",
      option((t) => parseInteger(t, "--messages", 1, 100_000)),
      12,
    )
    .option(
      "--consumers <n>",
      "consumers, each on its own connection",
      option((t) => parseInteger(t, "--consumers", 1, 50)),
      3,
    )
    .option(
      "--batch <n>",
      "messages a consumer works on at once (stream: XREADGROUP COUNT); the crash comes mid-batch",
      option((t) => parseInteger(t, "--batch", 1, 1_000)),
      3,
    )
    .option("--crash", "consumer-1 dies mid-batch for good, consumer-2 dies mid-batch and restarts (the default)")
    .option("--no-crash", "no consumer dies: the happy path")
    .addOption(
      new Option("--block <duration>", "BRPOP/BLMOVE timeout and XREADGROUP BLOCK: keep it well under --timeout")
        .argParser(
          option(durationAtMost(parseDuration, DURATION_BOUNDS.wait.ms, "--block", DURATION_BOUNDS.wait.shown)),
        )
        .default(100, "100ms"),
    )
    .addOption(
      new Option(
        "--visibility <duration>",
        "reliable: the reaper's visibility timeout · stream: XAUTOCLAIM's minimum idle time",
      )
        .argParser(
          option(durationAtMost(parseDuration, DURATION_BOUNDS.wait.ms, "--visibility", DURATION_BOUNDS.wait.shown)),
        )
        .default(150, "150ms"),
    )
    .option(
      "--max-deliveries <n>",
      "stream: deliveries after which a failing message goes to the dead-letter stream",
      option((t) => parseInteger(t, "--max-deliveries", 1, 100)),
      3,
    )
    .option(
      "--no-poison",
      "stream: no poison message (by default the last one cannot be sent and ends in the dead-letter stream)",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ redis-patterns queue                              all three, two consumers crash: the list loses messages, the \
others do not
  $ redis-patterns queue --kind stream                XREADGROUP, XPENDING, XAUTOCLAIM and the dead-letter stream, \
command by command
  $ redis-patterns queue --kind list --no-crash       the happy path of the chapter's simple queue
  $ redis-patterns queue --kind reliable --visibility 500ms --messages 100 --consumers 5 --trace summary`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<QueueCliOptions>()));
}
