/**
 * Every numeric option has an upper bound (issue 12): read from the commander declarations themselves, so an option
 * added without one fails here. A whole number, a rate or a duration far past any sensible size must be refused by
 * the option's parser with a message naming the bound; products of options (PRODUCT_BOUNDS) are refused before the
 * command runs, exit 2 in one line.
 */
import type { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { PRODUCT_BOUNDS, checkProducts } from "../../src/cli/options/bounds.js";
import { createProgram } from "../../src/cli/program.js";
import { UsageError } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";

/** Options that take a number but are not a size: a seed picks a sequence (bounded to 2^31 − 1 all the same). */
const NOT_SIZES = new Set(["--seed"]);

/** What a value of each shape looks like, and a value of that shape far past any bound. */
const SHAPES: [ok: string, huge: string][] = [
  ["1", "999999999999"],
  ["1s", "99999999h"],
  ["1/s", "999999999999/s"],
  ["0.5", "999999999999"],
];

function numericOptions(): { command: string; option: Option; huge: string }[] {
  const program = createProgram();
  const found: { command: string; option: Option; huge: string }[] = [];
  for (const command of [program, ...program.commands] as Command[]) {
    for (const option of command.options) {
      const parse = option.parseArg;
      if ((!option.required && !option.optional) || !parse || option.argChoices) continue;
      if ((parse as { choices?: unknown }).choices) continue;
      for (const [ok, huge] of SHAPES) {
        let value: unknown;
        try {
          value = parse(ok, undefined);
        } catch {
          continue;
        }
        if (typeof value === "number") {
          found.push({ command: command.name(), option, huge });
          break;
        }
      }
    }
  }
  return found;
}

describe("every numeric option of every command is bounded", () => {
  const options = numericOptions();

  it("finds the numeric options (the table below is not empty)", () => {
    expect(options.length).toBeGreaterThan(40);
  });

  for (const { command, option, huge } of options) {
    it(`${command} ${option.long} ${huge} is refused, naming the bound`, () => {
      const parse = option.parseArg!;
      let error: unknown;
      try {
        parse(huge, undefined);
      } catch (err) {
        error = err;
      }
      expect(error, `${command} ${option.long} took ${huge}`).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain(option.long!);
      if (!NOT_SIZES.has(option.long!)) expect(message).toMatch(/at most|between/);
    });
  }
});

describe("products of options are bounded too", () => {
  for (const bound of PRODUCT_BOUNDS) {
    const name = `${bound.command} ${bound.options.join(" × ")} ≤ ${bound.max}`;
    it(`${name}: refused one past it, accepted at it`, () => {
      // Values whose product is just past the bound: the bound itself on the first option, 2 on the next.
      const past = (flag: string) => (flag === bound.options[0] ? bound.max : 2);
      expect(() => checkProducts(bound.command, past)).toThrow(UsageError);
      expect(() => checkProducts(bound.command, past)).toThrow(new RegExp(`at most ${bound.max}`));
      const at = (flag: string) => (flag === bound.options[0] ? bound.max : 1);
      expect(() => checkProducts(bound.command, at)).not.toThrow();
    });

    it(`${name}: each option is one the command declares`, () => {
      const command = createProgram().commands.find((c) => c.name() === bound.command);
      expect(command, bound.command).toBeDefined();
      for (const flag of bound.options) expect(command!.options.map((o) => o.long)).toContain(flag);
    });
  }

  it("the CLI refuses a product past its bound with exit 2 and one line, before connecting", async () => {
    const result = await runCli(["hll", "--trials", "1000", "--count", "200000", "--url", "redis://127.0.0.1:1"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("--trials 1000 × --count 200000 = 200000000");
    expect(result.stderr).toContain("at most 100000000");
  });
});
