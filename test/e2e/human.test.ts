import { describe, expect, it } from "vitest";
import { ANSI, NOWHERE, runCli, scanKeys } from "../helpers/cli.js";
import { usePatternCli } from "../helpers/pattern-cli.js";
import { testPrefix } from "../helpers/redis.js";

/** The terminal output: checks, the comparison table, and when colours are (not) used. */
const { server, redis, run } = usePatternCli("ratelimit");

const ALGORITHMS = ["fixed-window", "sliding-log", "sliding-counter", "token-bucket"] as const;

describe("one algorithm at a time", () => {
  it.each(ALGORITHMS)("--algo %s exits 0 and shows its checks passing", async (algo) => {
    const prefix = testPrefix(algo);
    const result = await run(["--algo", algo, "--prefix", prefix]);
    expect(result.code, result.stderr).toBe(0);
    // stdout is a pipe: no spinner on stderr, no colour anywhere.
    expect(result.stderr).toBe("");
    expect(result.stdout).not.toMatch(ANSI);
    expect(result.stdout).toMatch(new RegExp(`^Target  ${server().url.replace(/\./g, "\\.")} · Redis `, "m"));
    expect(result.stdout).toContain(`━━ ratelimit/${algo} · `);
    const checks = result.stdout.split("\n").filter((l) => /^\s+[✓✗] /.test(l));
    expect(checks.length).toBeGreaterThan(0);
    for (const line of checks) expect(line).toMatch(/^\s+✓ /);
    // The full trace shows the commands as sent (long key names are shortened for display).
    expect(result.stdout).toMatch(/EVALSHA [0-9a-f]{40} \d+ "?test:/);
    expect(result.stdout).toMatch(/✓ all checks passed \(1 scenario, \d+ commands\)/);
    expect(result.stdout).not.toContain("Compared on the same traffic");
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });
});

describe("comparing the four", () => {
  it.each([
    { label: "--compare", flags: ["--compare"] },
    { label: "without --algo", flags: [] },
  ])("ratelimit $label shows the comparison table with all four algorithms", async ({ flags }) => {
    const prefix = testPrefix("compare");
    const result = await run([...flags, "--trace", "off", "--prefix", prefix]);
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    const at = out.indexOf("Compared on the same traffic");
    expect(at).toBeGreaterThan(0);
    const table = out.slice(at).split("\n");
    expect(table.some((l) => /│ algorithm\s+│ requests\s+│ allowed\s+│ rejected\s+│ max in any window/.test(l))).toBe(
      true,
    );
    for (const algo of ALGORITHMS) {
      const row = table.find((l) => l.startsWith(`│ ${algo} `));
      expect(row, `no row for ${algo}`).toBeDefined();
      expect(row).toMatch(/\d+\/\d+ ✓\s+│$/);
    }
    // The boundary burst: the fixed window lets twice the limit through, the others hold the limit.
    const maxInWindow = (algo: string) =>
      Number(
        table
          .find((l) => l.startsWith(`│ ${algo} `))!
          .split("│")[5]!
          .trim(),
      );
    expect(maxInWindow("fixed-window")).toBe(20);
    for (const algo of ALGORITHMS.slice(1)) expect(maxInWindow(algo)).toBe(10);
    expect(out).toMatch(/✓ all checks passed \(4 scenarios, \d+ commands\)/);
    expect(out).not.toMatch(/EVALSHA/); // --trace off
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("--algo with --compare still runs all four", async () => {
    const result = await run(["--algo", "sliding-log", "--compare", "--trace", "off"]);
    expect(result.code, result.stderr).toBe(0);
    for (const algo of ALGORITHMS) expect(result.stdout).toContain(`━━ ratelimit/${algo} · `);
  });
});

describe("--trace", () => {
  it("summary shows the first and last commands of a long step and says how many it left out", async () => {
    const result = await run(["--algo", "fixed-window", "--trace", "summary"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/… \d+ more commands \(--trace full shows them all\)/);
  });
});

describe("colours", () => {
  const cases: { name: string; env: Record<string, string>; flags?: string[]; colour: boolean }[] = [
    { name: "stdout not a terminal", env: {}, colour: false },
    { name: "FORCE_COLOR=1", env: { FORCE_COLOR: "1" }, colour: true },
    { name: "FORCE_COLOR=0", env: { FORCE_COLOR: "0" }, colour: false },
    { name: "NO_COLOR=1 FORCE_COLOR=1", env: { NO_COLOR: "1", FORCE_COLOR: "1" }, colour: false },
    // no-color.org: an empty NO_COLOR does not count.
    { name: "NO_COLOR= (empty) FORCE_COLOR=1", env: { NO_COLOR: "", FORCE_COLOR: "1" }, colour: true },
    { name: "--no-color FORCE_COLOR=1", env: { FORCE_COLOR: "1" }, flags: ["--no-color"], colour: false },
    { name: "TERM=dumb FORCE_COLOR=1", env: { TERM: "dumb", FORCE_COLOR: "1" }, colour: false },
  ];

  it.each(cases)("$name → colour: $colour", async ({ env, flags = [], colour }) => {
    const result = await run(["--algo", "token-bucket", "--trace", "off", ...flags], { env });
    expect(result.code, result.stderr).toBe(0);
    if (colour) expect(result.stdout).toMatch(ANSI);
    else expect(result.stdout).not.toMatch(ANSI);
    expect(result.stderr).not.toMatch(ANSI);
  });

  it("error lines on stderr carry no colour codes, even with FORCE_COLOR=1", async () => {
    const result = await runCli(["ratelimit", ...NOWHERE], { env: { FORCE_COLOR: "1" } });
    expect(result.code).toBe(3);
    expect(result.stderr).not.toMatch(ANSI);
  });
});
