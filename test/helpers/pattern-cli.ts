import { expect } from "vitest";
import type { RunReport } from "../../src/runner/report.js";
import { ANSI, parseJsonOutput, runCli, type CliOptions, type CliResult } from "./cli.js";
import { useRedisClient, type RedisContext } from "./redis.js";

export interface PatternCli extends RedisContext {
  /**
   * `redis-patterns <pattern> …args` against the file's server, as a user runs it, with every traced command shown
   * whole: `--trace full` (unless `args` choose a --trace) and `--width 250`. `options` as for runCli (e.g. `env`).
   */
  run(args: string[], options?: CliOptions): Promise<CliResult>;
}

/**
 * The end-to-end tests of one pattern command (`redis-patterns analytics`, `… lock`, …): a real redis-server and a
 * plain client for the file (useRedisClient), and `run` to start the built CLI against that server.
 */
export function usePatternCli(pattern: string): PatternCli {
  const { server, redis } = useRedisClient();
  return {
    server,
    redis,
    run: (args, options) =>
      runCli(
        [
          pattern,
          "--url",
          server().url,
          ...(args.includes("--trace") ? [] : ["--trace", "full"]),
          "--width",
          "250",
          ...args,
        ],
        options,
      ),
  };
}

/**
 * What a passing human run of a pattern shows: exit 0, nothing on stderr (stdout is a pipe: no spinner), no colour,
 * the header of each of `scenarios`, and at least `minChecks` check lines, every one passed. Returns stdout.
 */
export function expectPassingRun(result: CliResult, scenarios: readonly string[], minChecks: number): string {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe("");
  expect(result.stdout).not.toMatch(ANSI);
  const out = result.stdout;
  for (const id of scenarios) expect(out).toContain(`━━ ${id} · `);
  const checks = out.split("\n").filter((l) => /^\s+[✓✗] /.test(l));
  expect(checks.length).toBeGreaterThanOrEqual(minChecks);
  for (const line of checks) expect(line).toMatch(/^\s+✓ /);
  return out;
}

/** What a passing --json run of `command` gives: exit 0, one document, ok. Returns the document. */
export function expectPassingReport(result: CliResult, command: string): RunReport {
  expect(result.code, result.stderr).toBe(0);
  const report = parseJsonOutput<RunReport>(result);
  expect(report.ok).toBe(true);
  expect(report.command).toBe(command);
  return report;
}
