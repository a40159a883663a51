import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonOutput, runCli, scanKeys } from "../helpers/cli.js";
import { testPrefix, useRedisClient } from "../helpers/redis.js";
import type { RunReport as Report } from "../../src/runner/report.js";

/** `--keep` leaves a run's keys; `cleanup --prefix` removes exactly those and nothing else. */
const { server, redis } = useRedisClient();

/** The kept keys plus the run's marker, sorted as scanKeys returns them. */
const withMarker = (keys: string[]) => [...keys, `${keys[0]!.replace(/:ratelimit:.*$/, "")}:rp-run`].sort();

describe("--keep, then cleanup", () => {
  const prefix = testPrefix("keep");
  // Keys cleanup must not touch: a longer prefix that starts with ours, the bare prefix, another run, unrelated data.
  const bystanders = [
    `${prefix}2:counter`,
    prefix,
    `${testPrefix("other")}:ratelimit:{alice}:log`,
    `unrelated:${prefix.replace(/:/g, "-")}`,
  ];
  let kept: string[] = [];

  beforeAll(async () => {
    for (const key of bystanders) await redis().set(key, "bystander", "EX", 600);
  });
  afterAll(async () => {
    await redis().del(...bystanders);
    const left = await scanKeys(redis(), prefix);
    if (left.length > 0) await redis().del(...left);
  });

  it("--keep leaves the run's keys, all of them named in the report", async () => {
    const result = await runCli(["ratelimit", "--keep", "--json", "--prefix", prefix, "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report>(result);
    expect(report.cleanup.kept).toBe(true);
    // Nothing deleted: after the run, the kept keys' TTLs are capped, the marker lists them, and the connection quits.
    const after = (report.cleanup.commands as { argv: string[] }[]).map((c) => c.argv);
    expect(after.at(-1)).toEqual(["quit"]);
    expect(after.filter((argv) => /^(del|unlink)$/i.test(argv[0]!))).toEqual([]);

    kept = (await scanKeys(redis(), prefix)).filter((k) => k !== `${prefix}:rp-run`);
    expect(kept.length).toBeGreaterThan(0);
    const named = new Set(report.scenarios.flatMap((s) => s.steps.flatMap((st) => st.commands.flatMap((c) => c.argv))));
    for (const key of kept) expect(named.has(key), `${key} is not in the report`).toBe(true);
    for (const key of kept) expect(await redis().pttl(key), `${key} has no TTL`).toBeGreaterThan(0);
  });

  it("human --keep says how to clean up", async () => {
    const prefix2 = testPrefix("keep-human");
    try {
      const result = await runCli([
        "ratelimit",
        "--algo",
        "fixed-window",
        "--trace",
        "off",
        "--width",
        "250",
        "--keep",
        "--prefix",
        prefix2,
        "--url",
        server().url,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain("(--keep: keys stay after the run)");
      expect(result.stdout).toMatch(
        new RegExp(
          `^Kept \\d+ key names? under ${prefix2}; remove them with: redis-patterns cleanup --prefix ${prefix2}$`,
          "m",
        ),
      );
      expect((await scanKeys(redis(), prefix2)).length).toBeGreaterThan(0);
    } finally {
      const left = await scanKeys(redis(), prefix2);
      if (left.length > 0) await redis().del(...left);
    }
  });

  it("cleanup --dry-run lists the keys and deletes nothing", async () => {
    const result = await runCli(["cleanup", "--dry-run", "--prefix", prefix, "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`found ${kept.length} keys under ${prefix}: left by a --keep run`);
    expect(result.stdout).toContain(`would delete ${kept.length} keys under ${prefix}:, deleted 0`);
    expect(await scanKeys(redis(), prefix)).toEqual(withMarker(kept));
    for (const key of bystanders) expect(await redis().exists(key), key).toBe(1);
  });

  it("cleanup --dry-run --json reports what it would delete", async () => {
    const result = await runCli(["cleanup", "--dry-run", "--json", "--prefix", prefix, "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    const doc = parseJsonOutput<{ dryRun: boolean; found: number; deleted: number; keys: string[] }>(result);
    expect(doc).toMatchObject({ dryRun: true, found: kept.length, deleted: 0 });
    expect([...doc.keys].sort()).toEqual(kept);
    expect(await scanKeys(redis(), prefix)).toEqual(withMarker(kept));
  });

  it("cleanup without --prefix exits 2 and deletes nothing", async () => {
    const result = await runCli(["cleanup", "--url", server().url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cleanup needs --prefix/);
    expect(await scanKeys(redis(), prefix)).toEqual(withMarker(kept));
  });

  it.each(["a*", `${prefix}*`, `${prefix}:?`, "ab"])("cleanup --prefix %s exits 2 and deletes nothing", async (bad) => {
    const result = await runCli(["cleanup", "--prefix", bad, "--url", server().url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--prefix/);
    expect(await scanKeys(redis(), prefix)).toEqual(withMarker(kept));
  });

  it("cleanup off a terminal without --yes lists the keys and deletes nothing (exit 2)", async () => {
    const result = await runCli(["cleanup", "--prefix", prefix, "--url", server().url]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(`found ${kept.length} keys under ${prefix}:`);
    expect(result.stderr).toMatch(/add --yes to confirm/);
    expect(await scanKeys(redis(), prefix)).toEqual(withMarker(kept));
  });

  it("cleanup removes exactly the run's keys", async () => {
    const result = await runCli(["cleanup", "--prefix", prefix, "--yes", "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`deleted ${kept.length} keys under ${prefix}: and the run's marker`);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
    for (const key of bystanders) expect(await redis().exists(key), `${key} was deleted`).toBe(1);
  });

  it("a trailing colon on --prefix means the same prefix", async () => {
    const again = await runCli([
      "ratelimit",
      "--algo",
      "fixed-window",
      "--keep",
      "--prefix",
      `${prefix}:`,
      "--url",
      server().url,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect((await scanKeys(redis(), prefix)).length).toBeGreaterThan(1);
    const result = await runCli(["cleanup", "--prefix", `${prefix}:`, "--yes", "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
    for (const key of bystanders) expect(await redis().exists(key), `${key} was deleted`).toBe(1);
  });

  it("cleanup again finds no run marker: refused in one line, exit 2", async () => {
    const result = await runCli(["cleanup", "--prefix", prefix, "--yes", "--url", server().url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^redis-patterns: cleanup refused: .* holds no redis-patterns run marker/);
  });

  it("cleanup against a server that does not answer exits 3", async () => {
    const result = await runCli(["cleanup", "--prefix", prefix, "--url", "redis://127.0.0.1:1"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^redis-patterns: cannot connect to redis:\/\/127\.0\.0\.1:1: connection refused\n$/);
  });
});
