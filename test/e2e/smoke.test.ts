import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allScenarios } from "../../scenarios/index.js";
import { freePort, startThrowawayServer } from "../../src/redis/throwaway-server.js";
import { ROOT, parseJsonOutput, runCli, startCli } from "../helpers/cli.js";
import { useRedisClient } from "../helpers/redis.js";
import type { RunReport } from "../../src/runner/report.js";

const { server, redis } = useRedisClient();
const dir = mkdtempSync(join(tmpdir(), "smoke-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The elements named `name` in a JUnit document, with their attributes. */
function elements(xml: string, name: string): Record<string, string>[] {
  return [...xml.matchAll(new RegExp(`<${name}\\b([^>]*)>`, "g"))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/(\w[\w-]*)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

describe("redis-patterns smoke", () => {
  it("runs every scenario in its default configuration, with a table and the total time, exit 0", async () => {
    const ids = (await allScenarios()).map((s) => s.id);
    const result = await runCli(["smoke", "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    // On a busy machine a scenario whose point depends on timing may be inconclusive ("?", said why): never a failure.
    for (const id of ids) expect(result.stdout).toMatch(new RegExp(`[✓?] ${id.replace("/", "\\/")}\\s`));
    const inconclusive = Number(/(\d+)\s+inconclusive\s*$/.exec(result.stdout)?.[1] ?? NaN);
    expect(inconclusive).toBeLessThanOrEqual(8);
    const passed = ids.length - inconclusive;
    expect(result.stdout).toMatch(new RegExp(`Smoke: ${passed}/${ids.length} scenarios passed in [\\d.]+ (ms|s)`));
    expect(result.stdout).toMatch(/\b0\s+failed,\s+0\s+errored,\s+0\s+skipped,\s+\d+\s+inconclusive/);
    expect(result.stdout).toMatch(/│ scenario\s+│ result\s+│ duration\s+│ commands\s+│ checks/);
  }, 120_000); // the whole suite (twice, for the CI jobs), on a busy machine

  it("--only and --skip take ids and globs; --json has one entry per scenario", async () => {
    const result = await runCli([
      "smoke",
      "--only",
      "ratelimit/*",
      "--skip",
      "ratelimit/sliding-log",
      "--json",
      "--url",
      server().url,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<RunReport>(result);
    expect(report.command).toBe("smoke");
    expect(report.scenarios.map((s) => s.id)).toEqual([
      "ratelimit/fixed-window",
      "ratelimit/sliding-counter",
      "ratelimit/token-bucket",
    ]);
    expect(report.summary!.rows).toHaveLength(3);
  });

  it("--only that matches nothing is a usage error (exit 2)", async () => {
    const result = await runCli(["smoke", "--only", "nosuch/*", "--url", server().url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/left no scenario to run/);
  });

  it("--junit writes well-formed JUnit with the right counts", async () => {
    const file = join(dir, "ok.xml");
    const result = await runCli(["smoke", "--only", "ratelimit/*", "--junit", file, "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    const xml = readFileSync(file, "utf8");
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const [suites] = elements(xml, "testsuites");
    expect(suites).toMatchObject({ tests: "4", failures: "0", errors: "0" });
    expect(elements(xml, "testcase").map((t) => t.name)).toEqual([
      "ratelimit/fixed-window",
      "ratelimit/sliding-log",
      "ratelimit/sliding-counter",
      "ratelimit/token-bucket",
    ]);
    // Every opened element is closed (a cheap well-formedness check without an XML library).
    for (const tag of ["testsuites", "testsuite", "testcase", "system-out"]) {
      const opened = (xml.match(new RegExp(`<${tag}(\\s[^>]*[^/])?>`, "g")) ?? []).length;
      expect((xml.match(new RegExp(`</${tag}>`, "g")) ?? []).length, tag).toBe(opened);
    }
  });

  it("a run writing more keys than --max-keys stops that scenario (exit 1, JUnit error), leaves nothing", async () => {
    const file = join(dir, "fail.xml");
    const before = String(await redis().call("DEBUG", "DIGEST"));
    // The default fixed-window run names 2 keys and the token bucket 1: with a budget of 2 for the run, the second
    // fails.
    const result = await runCli([
      "smoke",
      "--only",
      "ratelimit/fixed-window,ratelimit/token-bucket",
      "--max-keys",
      "2",
      "--junit",
      file,
      "--url",
      server().url,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✓ ratelimit\/fixed-window/);
    expect(result.stdout).toMatch(/✗ ratelimit\/token-bucket/);
    expect(result.stdout).toMatch(/more than 2 keys \(--max-keys\)/);
    const xml = readFileSync(file, "utf8");
    expect(elements(xml, "testsuites")[0]).toMatchObject({ tests: "2", errors: "1" });
    expect(xml).toMatch(/<error message="[^"]*--max-keys/);
    expect(String(await redis().call("DEBUG", "DIGEST"))).toBe(before);
  });

  it("--wait waits for a server that starts later", async () => {
    const port = await freePort();
    const run = startCli([
      "smoke",
      "--only",
      "ratelimit/token-bucket",
      "--wait",
      "20s",
      "--url",
      `redis://127.0.0.1:${port}`,
    ]);
    // Start the server only once the CLI has said it is waiting (it may take a while to start on a busy machine).
    await new Promise<void>((resolve) => {
      let seen = "";
      run.child.stderr!.on("data", (d: string) => {
        seen += d;
        if (/waiting up to/.test(seen)) resolve();
      });
    });
    const late = await startThrowawayServer({ port });
    try {
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/waiting up to \d+ s for the server/);
    } finally {
      await late.stop();
    }
  });

  it("the CI jobs in docs/ci.md run as written (with this test's server for the URL)", async () => {
    const readme = readFileSync(join(ROOT, "docs", "ci.md"), "utf8");
    const commands = [...readme.matchAll(/npx redis-patterns (smoke [^\n]*)/g)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands) {
      const args = command
        .trim()
        .split(/\s+/)
        .map((a) => (a.startsWith("redis://") ? server().url : a === "report.xml" ? join(dir, "ci.xml") : a));
      const result = await runCli(args);
      expect(result.code, `${command}\n${result.stderr}`).toBe(0);
      expect(elements(readFileSync(join(dir, "ci.xml"), "utf8"), "testsuites")[0]).toMatchObject({
        failures: "0",
        errors: "0",
      });
    }
  }, 120_000); // the whole suite (twice, for the CI jobs), on a busy machine

  it("without --wait an absent server is exit 3", async () => {
    const port = await freePort();
    const result = await runCli(["smoke", "--url", `redis://127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
  });
});
