/**
 * Verdict first, detail on demand: every command's default run fits about a screenful and a half — at most 150
 * lines at 120 columns — however many scenarios it runs. A run of several scenarios summarises: one table per
 * scenario (none when a comparison table closes the run), notes told once, repeats folded; `--trace full` has all.
 */
import { describe, expect, it } from "vitest";
import { catalog } from "../../scenarios/index.js";
import { lines, runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";

const server = useRedisServer();
const BUDGET = 150;

/** Each pattern's default run, from the catalog (bench has none: it needs a pattern; completion and cleanup print no
 * run). */
const COMMANDS = catalog.map((e) => e.name);
const OTHERS = [["smoke"], ["doctor"], ["list"], ["ratelimit", "--help"]];

describe(`default runs stay within ${BUDGET} lines at 120 columns`, () => {
  it.each([...COMMANDS.map((c) => [c]), ...OTHERS])(
    "%s",
    async (...args: string[]) => {
      const result = await runCli([...args, "--url", server().url], { env: { COLUMNS: "120" }, timeoutMs: 180_000 });
      const out = lines(result.stdout);
      expect(out.length, `${args.join(" ")} printed ${out.length} lines:\n${result.stdout}`).toBeLessThanOrEqual(
        BUDGET,
      );
      // Still the verdict: the closing line of a run, or doctor's verdicts.
      if (args.length === 1 && COMMANDS.includes(args[0]!))
        expect(result.stdout).toMatch(/all checks passed|checks? failed/);
    },
    200_000,
  );
});
