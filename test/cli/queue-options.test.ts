/** `queue` on the router (no Redis): options reach the handler parsed, and become the scenario's parameters. */
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { queueParams } from "../../src/cli/commands/queue.js";
import type { QueueCliOptions } from "../../src/cli/options/queue.js";
import { createProgram } from "../../src/cli/program.js";
import { UsageError } from "../../src/errors.js";

async function parse(argv: string): Promise<QueueCliOptions> {
  let got: QueueCliOptions | undefined;
  const program = createProgram({ queue: async (opts) => void (got = opts) });
  program.configureOutput({ writeOut: () => {}, writeErr: () => {} });
  for (const sub of program.commands) sub.configureOutput({ writeOut: () => {}, writeErr: () => {} });
  await program.parseAsync(argv.split(" "), { from: "user" });
  if (!got) throw new Error("the queue handler was not called");
  return got;
}

describe("queue options", () => {
  it("defaults: all kinds, crash, poison message; 12 messages, 3 consumers, batches of 3, 3 deliveries", async () => {
    const opts = await parse("queue");
    expect(opts.kind).toBeUndefined();
    expect(opts.crash).toBeUndefined();
    expect(queueParams(opts)).toEqual({
      messages: 12,
      consumers: 3,
      batch: 3,
      crash: true,
      blockMs: 100,
      visibilityMs: 150,
      maxDeliveries: 3,
      poison: true,
    });
  });

  it.each([
    ["queue --crash", { crash: true }],
    ["queue --no-crash", { crash: false }],
    ["queue --no-poison", { poison: false }],
    [
      "queue --kind stream --max-deliveries 5 --visibility 1s --block 250ms",
      { maxDeliveries: 5, visibilityMs: 1_000, blockMs: 250 },
    ],
    ["queue --messages 100 --consumers 8 --batch 10", { messages: 100, consumers: 8, batch: 10 }],
    ["queue --no-crash --consumers 1 --messages 1", { crash: false, consumers: 1, messages: 1 }],
  ])("%s", async (argv, expected) => {
    expect(queueParams(await parse(argv))).toMatchObject(expected);
  });

  it("--kind picks one scenario", async () => {
    expect((await parse("queue --kind reliable")).kind).toBe("reliable");
  });

  it.each([
    ["queue --kind kafka", /unknown queue kind "kafka"/],
    ["queue --batch 0", /--batch must be between 1 and 1000/],
    ["queue --block fast", /invalid duration "fast"/],
  ])("%s is a usage error", async (argv, message) => {
    const err = await parse(argv).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).message).toMatch(message);
  });

  it.each([
    ["queue --consumers 1", /at least 2 with a crash/],
    ["queue --messages 5", /at least 2 × --batch \(6\)/],
    ["queue --block 3s", /must stay well under --timeout/],
    ["queue --timeout 150ms", /must stay well under --timeout/],
  ])("%s: refused before connecting", async (argv, message) => {
    const opts = await parse(argv);
    expect(() => queueParams(opts)).toThrow(UsageError);
    expect(() => queueParams(opts)).toThrow(message);
  });
});
