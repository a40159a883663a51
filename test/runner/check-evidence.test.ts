/**
 * A check's evidence as the runner keeps it (src/check-failure.ts): commands of the trace by sequence number with
 * their replies, cut to the first and last ones; values; none on a passed check. The run's failures and the error
 * that ends the run carry the same structure, and failureText words it for the terminal and JUnit.
 */
import { describe, expect, it } from "vitest";
import {
  MAX_EVIDENCE_CHARS,
  MAX_EVIDENCE_COMMANDS,
  MAX_EVIDENCE_ITEMS,
  keepEvidence,
} from "../../src/check-failure.js";
import { failureText } from "../../src/cli/render/failure.js";
import { runFailure } from "../../src/cli/session.js";
import { CheckFailedError } from "../../src/errors.js";
import { commandsOn } from "../../src/runner/evidence.js";
import { checkFailures } from "../../src/runner/report.js";
import { cleanupRun, planRun, runScenario } from "../../src/runner/runner.js";
import { defineScenario } from "../../src/runner/types.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

const counting = defineScenario<{ incrs: number }, Record<string, never>>({
  id: "test/evidence",
  title: "INCR a counter, then judge it",
  explain: "a counter INCRed `incrs` times; one check that holds and one that cannot",
  defaults: { incrs: 20 },
  init: () => ({}),
  steps: () => [
    {
      title: "count",
      run: async (ctx) => {
        const key = ctx.keys.key("counter");
        await ctx.redis.set(ctx.keys.key("other"), "x");
        for (let i = 0; i < ctx.params.incrs; i++) await ctx.redis.incr(key);
        const value = Number(await ctx.redis.get(key));
        const evidence = { commands: commandsOn(ctx.commands(), key), values: { value } };
        ctx.check("the counter counted every INCR", value === ctx.params.incrs, {
          expected: ctx.params.incrs,
          actual: value,
          evidence,
        });
        ctx.check("the counter is past the end", value > ctx.params.incrs, {
          expected: `> ${ctx.params.incrs}`,
          actual: value,
          evidence,
        });
      },
    },
  ],
});

/**
 * One ZADD of `members` members (the first one long when there are more than ten), the whole board read back, and a
 * check that cannot hold.
 */
const bigBoard = defineScenario<{ members: number }, Record<string, never>>({
  id: "test/big-evidence",
  title: "a board written and read in one command each",
  explain: "evidence whose argv and reply are larger than a report should repeat",
  defaults: { members: 100 },
  init: () => ({}),
  steps: () => [
    {
      title: "write and read",
      run: async (ctx) => {
        const key = ctx.keys.key("board");
        const members = Array.from({ length: ctx.params.members }, (_, i) =>
          i === 0 && ctx.params.members > 10 ? "m".repeat(600) : `m${i}`,
        );
        await ctx.redis.zadd(key, ...members.flatMap((m, i) => [i, m]));
        const read = await ctx.redis.zrange(key, 0, -1);
        ctx.check("the board is empty", read.length === 0, {
          expected: 0,
          actual: read.length,
          evidence: () => ({ commands: commandsOn(ctx.commands(), key) }),
        });
      },
    },
  ],
});

describe("check evidence", () => {
  it("cuts a long argv, reply and string, marks the command cut, and the trace keeps it whole", async () => {
    const env = harness.env();
    const result = await runScenario(planRun(bigBoard, { members: 100 }), env, () => {});
    await cleanupRun(env, false);
    const kept = result.checks[0]!.evidence!.commands!;
    const [zadd, zrange] = kept;
    const [wholeZadd, wholeZrange] = result.steps[0]!.commands.filter((c) => c.argv[1]?.endsWith(":board"));
    expect(wholeZadd!.argv).toHaveLength(2 + 200);
    expect(wholeZrange!.reply).toHaveLength(100);
    expect((wholeZrange!.reply as string[])[0]).toHaveLength(600);
    // argv: the first MAX_EVIDENCE_ITEMS arguments, the long member cut, then how many more there were.
    expect(zadd!.seq).toBe(wholeZadd!.seq);
    expect(zadd!.cut).toBe(true);
    expect(zadd!.argv).toHaveLength(MAX_EVIDENCE_ITEMS + 1);
    expect(zadd!.argv.slice(0, 3)).toEqual(wholeZadd!.argv.slice(0, 3));
    expect(zadd!.argv[3]).toBe(`${"m".repeat(MAX_EVIDENCE_CHARS)}… (${600 - MAX_EVIDENCE_CHARS} more characters)`);
    expect(zadd!.argv.at(-1)).toBe(`… (${202 - MAX_EVIDENCE_ITEMS} more arguments)`);
    // reply: the same for the items of an array reply.
    expect(zrange!.cut).toBe(true);
    expect(zrange!.argv).toEqual(wholeZrange!.argv);
    const reply = zrange!.reply as string[];
    expect(reply).toHaveLength(MAX_EVIDENCE_ITEMS + 1);
    expect(reply[0]).toBe(zadd!.argv[3]);
    expect(reply.slice(1, MAX_EVIDENCE_ITEMS)).toEqual((wholeZrange!.reply as string[]).slice(1, MAX_EVIDENCE_ITEMS));
    expect(reply.at(-1)).toBe(`… (${100 - MAX_EVIDENCE_ITEMS} more items)`);
    // In words: the first arguments, then how many more the command had (the cut ones counted), not the marker.
    const words = failureText({ scenario: "s", check: "c", evidence: { commands: [zadd!] } }, env.keys.prefix);
    expect(words.evidence[0]).toMatch(/^evidence: #\d+ main zadd test:…:board 0 "m+…"\(\+\d+ bytes\) 1 m1 /);
    expect(words.evidence[0]).toMatch(/ 4 m4 …\(\+190 more arguments\) → \(integer\) 100$/);
    // Kept again (errorFailure, bench), evidence stays as it is; small commands are not marked.
    expect(keepEvidence({ commands: kept })).toEqual({ commands: kept });
    const small = await runScenario(planRun(bigBoard, { members: 3 }), env, () => {});
    await cleanupRun(env, false);
    expect(small.checks[0]!.evidence!.commands!.map((c) => c.cut)).toEqual([undefined, undefined]);
  });

  it("a failed check keeps the first and last commands on its key, with replies; a passed one keeps none", async () => {
    const env = harness.env();
    const result = await runScenario(planRun(counting, { incrs: 20 }), env, () => {});
    await cleanupRun(env, false);
    const [held, failed] = result.checks;
    expect(held).toEqual({ name: "the counter counted every INCR", ok: true, expected: 20, actual: 20 });
    const trace = result.steps[0]!.commands;
    // 20 INCRs and the GET name the counter; SET of the other key does not.
    const onKey = trace.filter((c) => c.argv[1]?.endsWith(":counter"));
    expect(onKey).toHaveLength(21);
    const kept = failed!.evidence!.commands!;
    expect(kept).toHaveLength(MAX_EVIDENCE_COMMANDS);
    const half = MAX_EVIDENCE_COMMANDS / 2;
    expect(kept.map((c) => c.seq)).toEqual([...onKey.slice(0, half), ...onKey.slice(-half)].map((c) => c.seq));
    expect(kept[0]).toEqual({ seq: onKey[0]!.seq, client: "main", argv: onKey[0]!.argv, reply: 1 });
    expect(kept.at(-1)).toEqual({ seq: onKey.at(-1)!.seq, client: "main", argv: onKey.at(-1)!.argv, reply: "20" });
    expect(failed!.evidence!.omittedCommands).toBe(21 - MAX_EVIDENCE_COMMANDS);
    expect(failed!.evidence!.values).toEqual({ value: 20 });

    // The run's failures, and the error that ends it, carry the same structure.
    const failures = checkFailures([result]);
    expect(failures).toEqual([
      {
        scenario: "test/evidence",
        check: "the counter is past the end",
        expected: "> 20",
        actual: 20,
        evidence: failed!.evidence,
      },
    ]);
    const err = runFailure([result], [], undefined);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect((err as CheckFailedError).failures).toEqual(failures);
    expect(err.message).toBe("1 problem: test/evidence: the counter is past the end");

    // In words, as the terminal and JUnit show it: the run prefix shortened, the omitted commands counted.
    const text = failureText(failures[0]!, env.keys.prefix);
    expect(text.expected).toBe('"> 20"');
    expect(text.actual).toBe("20");
    expect(text.evidence[0]).toBe(`evidence: #${onKey[0]!.seq} main incr test:…:counter → (integer) 1`);
    expect(text.evidence[MAX_EVIDENCE_COMMANDS - 1]).toBe(
      `evidence: #${onKey.at(-1)!.seq} main get test:…:counter → "20"`,
    );
    expect(text.evidence.slice(MAX_EVIDENCE_COMMANDS)).toEqual([
      `evidence: … ${21 - MAX_EVIDENCE_COMMANDS} more commands (in the trace)`,
      "evidence: value = 20",
    ]);
  });
});
