import { describe, expect, it } from "vitest";
import { NOWHERE, parseJsonOutput, runCli, scanKeys } from "../helpers/cli.js";
import { expectPassingReport, expectPassingRun, usePatternCli } from "../helpers/pattern-cli.js";
import { testPrefix } from "../helpers/redis.js";
import type { RunReport as Report } from "../../src/runner/report.js";

/** `redis-patterns leaderboard` as a user runs it: human output, --json, and usage errors. */
const { server, redis, run } = usePatternCli("leaderboard");

describe("leaderboard, human output", () => {
  it("runs all three parts with every check passing, the chapter's figures and no key left", async () => {
    const prefix = testPrefix("lb-human");
    const result = await run(["--prefix", prefix]);
    const out = expectPassingRun(result, ["leaderboard/global", "leaderboard/time-scoped", "leaderboard/ties"], 21);
    // The chapter's commands, as sent (--trace full: the 1,000-member ZADD with every member).
    expect(out).toMatch(/ZADD \S+:leaderboard:\{global\} 1881 player:0001 (\S+ \S+ ){990,}/);
    expect(out).toMatch(/ZINCRBY \S+:\{global\} 50 player:alice {2}→ "1550"/);
    expect(out).toMatch(/ZREVRANGE \S+:\{global\} 0 9 WITHSCORES/);
    expect(out).toMatch(/ZUNIONSTORE .+ 7 .+:day:2024-01-09.+:day:2024-01-15.* AGGREGATE SUM/);
    expect(out).toMatch(/memory of a sorted set with 1M members │ ~100 MB/);
    expect(out).toMatch(/✓ all checks passed \(3 scenarios, \d+ commands\)/);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("--trace summary keeps a long step short", async () => {
    const result = await runCli(["leaderboard", "--variant", "global", "--trace", "summary", "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/… \d+ more commands \(--trace full shows them all\)/);
  });
});

describe("leaderboard --json", () => {
  it("one document with the metrics the issue names and the full argv of the bulk load", async () => {
    const prefix = testPrefix("lb-json");
    const result = await runCli([
      "leaderboard",
      "--variant",
      "global",
      "--players",
      "2500",
      "--json",
      "--prefix",
      prefix,
      "--url",
      server().url,
    ]);
    const report = expectPassingReport(result, "leaderboard");
    const [global] = report.scenarios;
    expect(global!.id).toBe("leaderboard/global");
    for (const name of ["bytesPerMember", "topNMs", "rankMs"])
      expect(typeof global!.metrics[name], name).toBe("number");
    expect(global!.metrics.players).toBe(2500);
    const zadds = global!.steps[0]!.commands.filter((c) => c.argv[0] === "ZADD");
    // 2,500 players: 1,000 + 1,000 + 500 members, in one pipeline, every argument present.
    expect(zadds.map((c) => c.argv.length)).toEqual([2002, 2002, 1002]);
    expect(zadds.every((c) => c.batch?.kind === "pipeline")).toBe(true);
    expect(global!.figures.map((f) => f.chapter)).toEqual(["~100 MB", "fast even with millions of members"]);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("--variant time-scoped --aggregate min --days 3 builds one 3-day board with MIN", async () => {
    const result = await runCli([
      "leaderboard",
      "--variant",
      "time-scoped",
      "--aggregate",
      "min",
      "--days",
      "3",
      "--json",
      "--url",
      server().url,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report>(result);
    const unions = report.scenarios[0]!.steps.flatMap((s) => s.commands).filter((c) => c.argv[0] === "ZUNIONSTORE");
    expect(unions.map((c) => [c.argv[2], c.argv.at(-1)])).toEqual([
      ["3", "MIN"],
      ["3", "SUM"],
    ]);
  });
});

describe("leaderboard usage errors exit 2", () => {
  it.each([
    { args: ["--players", "0"], says: /--players must be between 1 and 1000000, not 0/ },
    { args: ["--players", "2000000"], says: /--players must be between 1 and 1000000/ },
    { args: ["--aggregate", "avg"], says: /unknown aggregate "avg": choose one of sum, max, min, all/ },
    { args: ["--variant", "weekly"], says: /unknown variant "weekly"/ },
    { args: ["--player", "two words"], says: /--player must be 1–64 printable ASCII characters/ },
    { args: ["--days", "1"], says: /--days must be between 2 and 31/ },
  ])("$args", async ({ args, says }) => {
    const result = await runCli(["leaderboard", ...args, ...NOWHERE]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(says);
  });

  it("--players accepts 1_000_000 and 1,000,000 spelled with separators", async () => {
    // Parsing succeeds, so the run gets as far as connecting to nowhere: exit 3, not 2.
    const result = await runCli(["leaderboard", "--players", "1_000_000", ...NOWHERE]);
    expect(result.code, result.stderr).toBe(3);
  });
});
