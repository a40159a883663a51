/**
 * Targets and sizes (issue 12, cases 6 and 7): a database index the server rejects, and sizes beyond what a run can
 * hold in memory, fail with exit 2 naming the problem before anything is written; the data stays as it was.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { digest, fillForeignData } from "../helpers/foreign-data.js";
import { useRedisClient } from "../helpers/redis.js";

const { server, redis: admin } = useRedisClient();
let baseline: string;
beforeAll(async () => {
  await fillForeignData(admin(), 1000);
  baseline = await digest(admin());
}, 30_000);

describe("case 6: a database index the server rejects", () => {
  it.each(["16", "99999999999999999999", "2147483647"])("/%s: exit 2 before any write, naming it", async (db) => {
    const result = await runCli(["ratelimit", "--algo", "token-bucket", "--url", `${server().url}/${db}`]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`database ${db}`));
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(await digest(admin())).toBe(baseline);
  });

  it("cleanup and doctor refuse it too", async () => {
    for (const args of [["cleanup", "--prefix", "rp:abc", "--yes"], ["doctor"]]) {
      const result = await runCli([...args, "--url", `${server().url}/16`]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/database 16 is not available/);
    }
    expect(await digest(admin())).toBe(baseline);
  });

  it("a database that exists (15) still works", async () => {
    const result = await runCli(["ratelimit", "--algo", "token-bucket", "--url", `${server().url}/15`]);
    expect(result.code, result.stderr).toBe(0);
    expect(await digest(admin())).toBe(baseline);
  });
});

describe("case 7: sizes are bounded, derived ones included", () => {
  const cases: [string[], RegExp][] = [
    [["--limit", "1000000000"], /--limit must be between 1 and 10000/],
    [
      ["--limit", "10000", "--clients", "2"],
      /3 × --limit 10000 = 30000 requests per client × --clients 2 = 60000 requests: at most 30000/,
    ],
    [["--limit", "5000", "--clients", "3"], /3 × --limit 5000 .* at most 30000/],
    [["--requests", "1000000"], /--requests must be between 1 and 30000/],
    [["--requests", "20000", "--clients", "2"], /--requests 20000 × --clients 2 = 40000 requests: at most 30000/],
    [["--window", "1000h"], /--window must be at most 24h/],
    [["--rate", "100000000"], /--rate must be at most/],
  ];
  for (const [args, message] of cases) {
    it(`ratelimit ${args.join(" ")}: exit 2 naming the bound, nothing written`, async () => {
      const result = await runCli(["ratelimit", ...args, "--url", server().url]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(await digest(admin())).toBe(baseline);
    });
  }

  it("the largest accepted size runs (--limit 10000 --algo fixed-window), exit 0", async () => {
    const result = await runCli([
      "ratelimit",
      "--algo",
      "fixed-window",
      "--limit",
      "10000",
      "--trace",
      "off",
      "--url",
      server().url,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(await digest(admin())).toBe(baseline);
  }, 60_000);
});
