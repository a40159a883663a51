import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, parseJsonOutput, runCli } from "../helpers/cli.js";
import { useRedisClient } from "../helpers/redis.js";
import { scanPrefix } from "../../src/redis/cleanup.js";
import type { RunReport as Report } from "../../src/runner/report.js";

const { server, redis } = useRedisClient();
const dir = mkdtempSync(join(tmpdir(), "ratelimit-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const example = (name: string) => join(ROOT, "examples", "ratelimit", name);

describe("redis-patterns ratelimit --script", () => {
  it("a correct limiter: exit 0, SCRIPT LOAD and each EVALSHA in the trace, JUnit without failures", async () => {
    const junit = join(dir, "ok.xml");
    const r = await runCli([
      "ratelimit",
      "--url",
      server().url,
      "--script",
      example("sliding-log.lua"),
      "--limit",
      "3",
      "--trace",
      "full",
      "--junit",
      junit,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SCRIPT LOAD/);
    const sha = /loaded as ([0-9a-f]{40})/.exec(r.stdout)?.[1];
    expect(sha).toBeDefined();
    expect(r.stdout).toContain(`EVALSHA ${sha} 1 `);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(/<testcase classname="redis-patterns.ratelimit" name="ratelimit\/script"/);
    expect(xml).not.toMatch(/<failure/);
    // Nothing the script wrote is left behind.
    expect(await scanPrefix(redis(), "rp")).toEqual([]);
  });

  it("a violation: exit 1; --json and --junit carry the violated check with the shortest sequence", async () => {
    const junit = join(dir, "fail.xml");
    const r = await runCli([
      "ratelimit",
      "--url",
      server().url,
      "--script",
      example("fixed-window.lua"),
      "--limit",
      "3",
      "--json",
      "--junit",
      junit,
    ]);
    expect(r.code, r.stderr).toBe(1);
    const report = parseJsonOutput<Report>(r);
    expect(report.ok).toBe(false);
    const failed = report.scenarios[0]!.checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual([
      "never more than the limit in any window, wherever it starts (sliding)",
    ]);
    expect(failed[0]!.detail).toContain(
      "alice 10:30:00.001 ✓ · alice 10:30:00.001 ✓ · alice 10:30:00.001 ✓ · alice 10:31:00.000 ✓",
    );
    expect(report.scripts.map((s) => s.name)).toEqual(["user:fixed-window.lua"]);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(/<failure message="never more than the limit in any window, wherever it starts \(sliding\)"/);
    expect(xml).toContain("alice 10:31:00.000 ✓");
  });

  it("a script that does not compile: one line on stderr, exit 2", async () => {
    const r = await runCli(["ratelimit", "--url", server().url, "--script", example("syntax-error.lua")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^redis-patterns: syntax-error\.lua does not load: ERR Error compiling script/),
    ]);
  });

  it("an unreadable file, or --fuzz without --script: one line on stderr, exit 2", async () => {
    const missing = await runCli(["ratelimit", "--url", server().url, "--script", join(dir, "nope.lua")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`redis-patterns: cannot read --script ${join(dir, "nope.lua")}: no such file`);
    const fuzz = await runCli(["ratelimit", "--url", server().url, "--fuzz", "10"]);
    expect(fuzz.code).toBe(2);
    expect(fuzz.stderr).toMatch(/give it with --script/);
    const mismatch = await runCli([
      "ratelimit",
      "--url",
      server().url,
      "--script",
      example("token-bucket.lua"),
      "--contract",
      "bucket",
      "--semantics",
      "sliding",
    ]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/does not fit --contract bucket/);
  });
});
