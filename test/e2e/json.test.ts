import { describe, expect, it } from "vitest";
import { ANSI, parseJsonOutput, runCli, scanKeys } from "../helpers/cli.js";
import { testPrefix, useRedisClient } from "../helpers/redis.js";
import type { RunReport as Report } from "../../src/runner/report.js";
import type { RecordedCommand as Command } from "../../src/redis/recorder.js";

/** `--json`: one document on stdout, nothing else, with the documented shape. */
const { server, redis } = useRedisClient();

const ALGORITHMS = ["fixed-window", "sliding-log", "sliding-counter", "token-bucket"];

function expectCommand(cmd: Command): void {
  expect(Array.isArray(cmd.argv) && cmd.argv.length > 0).toBe(true);
  for (const word of cmd.argv) expect(typeof word).toBe("string");
  expect("reply" in cmd || "error" in cmd).toBe(true);
  expect(typeof cmd.ms).toBe("number");
  expect(cmd.ms).toBeGreaterThanOrEqual(0);
}

describe("ratelimit --json", () => {
  it("prints exactly one JSON document with the documented shape, and leaves no key behind", async () => {
    const prefix = testPrefix("json");
    // FORCE_COLOR must not leak colour codes into the document.
    const result = await runCli(["ratelimit", "--json", "--prefix", prefix, "--url", server().url], {
      env: { FORCE_COLOR: "1" },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(ANSI);
    expect(result.stdout.trimStart().startsWith("{")).toBe(true);
    const report = parseJsonOutput<Report>(result);

    expect(report.schemaVersion).toBe(1);
    expect(report.ok).toBe(true);
    expect(report.target).toMatchObject({
      url: server().url,
      server: "Redis",
      version: server().version,
      mode: "standalone",
    });
    expect(report.prefix).toBe(prefix);
    expect(report.scenarios.map((s) => s.id)).toEqual(ALGORITHMS.map((a) => `ratelimit/${a}`));

    for (const scenario of report.scenarios) {
      expect(scenario.ok, scenario.id).toBe(true);
      expect(scenario.steps.length).toBeGreaterThan(0);
      for (const step of scenario.steps) {
        expect(typeof step.title).toBe("string");
        expect(Array.isArray(step.commands)).toBe(true);
        step.commands.forEach(expectCommand);
      }
      // Every script call names its keys under the run's prefix.
      const scriptCalls = scenario.steps
        .flatMap((s) => s.commands)
        .filter((c) => /^EVAL(SHA)?$/i.test(c.argv[0] ?? ""));
      expect(scriptCalls.length).toBeGreaterThan(0);
      for (const call of scriptCalls) {
        const numKeys = Number(call.argv[2]);
        for (const key of call.argv.slice(3, 3 + numKeys)) expect(key.startsWith(`${prefix}:`), key).toBe(true);
      }

      const m = scenario.metrics;
      for (const name of [
        "requests",
        "allowed",
        "rejected",
        "maxAllowedInWindow",
        "commandsPerRequest",
        "bytesPerIdentifier",
      ]) {
        expect(typeof m[name], `${scenario.id} metrics.${name}`).toBe("number");
      }
      expect((m.allowed as number) + (m.rejected as number)).toBe(m.requests);

      expect(scenario.checks.length).toBeGreaterThan(0);
      for (const check of scenario.checks) {
        expect(typeof check.name).toBe("string");
        expect(check.ok, `${scenario.id}: ${check.name}`).toBe(true);
      }
    }

    expect(report.cleanup.commands.length).toBeGreaterThan(0);
    report.cleanup.commands.forEach(expectCommand);
    // The UNLINKs, the run's marker given back (a compare-and-delete script: EVALSHA, or NOSCRIPT then EVAL), QUIT.
    expect(report.cleanup.commands.at(-1)!.argv).toEqual(["quit"]);
    const marker = `${prefix}:rp-run`;
    const release = report.cleanup.commands.filter((c) => /^eval/i.test(c.argv[0]!));
    expect(release.length).toBeGreaterThan(0);
    for (const cmd of release) expect(cmd.argv.slice(2, 4)).toEqual(["1", marker]);
    for (const cmd of report.cleanup.commands.slice(0, -1 - release.length)) {
      expect(cmd.argv[0]?.toUpperCase()).toBe("UNLINK");
      for (const key of cmd.argv.slice(1)) expect(key.startsWith(`${prefix}:`), key).toBe(true);
    }
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("with --algo, the document holds that one scenario", async () => {
    const prefix = testPrefix("json1");
    const result = await runCli([
      "ratelimit",
      "--algo",
      "token-bucket",
      "--json",
      "--prefix",
      prefix,
      "--url",
      server().url,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report>(result);
    expect(report.scenarios.map((s) => s.id)).toEqual(["ratelimit/token-bucket"]);
    expect(report.ok).toBe(true);
  });

  it("--trace off changes the terminal output, not the document", async () => {
    const prefix = testPrefix("json2");
    const result = await runCli([
      "ratelimit",
      "--algo",
      "fixed-window",
      "--trace",
      "off",
      "--json",
      "--prefix",
      prefix,
      "--url",
      server().url,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report>(result);
    expect(report.scenarios[0]!.steps.flatMap((s) => s.commands).length).toBeGreaterThan(0);
  });

  it("cleanup --json is one document too", async () => {
    const prefix = testPrefix("json3");
    const kept = await runCli([
      "ratelimit",
      "--algo",
      "token-bucket",
      "--keep",
      "--prefix",
      prefix,
      "--url",
      server().url,
    ]);
    expect(kept.code, kept.stderr).toBe(0);
    const result = await runCli(["cleanup", "--json", "--yes", "--prefix", prefix, "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput(result)).toMatchObject({
      schemaVersion: 1,
      ok: true,
      prefix,
      found: 1,
      deleted: 1,
      keys: [`${prefix}:ratelimit:{alice}:tb`],
      left: [],
    });
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });
});
