import { describe, expect, it } from "vitest";
import { parseJsonOutput, runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";
import type { RunReport as Report } from "../../src/runner/report.js";

/** `primary` as a user runs it: it starts, SIGKILLs and restarts servers of its own; the --url server is only asked. */
const server = useRedisServer();

describe("primary", () => {
  it("--json, every setting: a row each; AOF always loses nothing, none loses all; only INFO on --url", async () => {
    const res = await runCli(["primary", "--url", server().url, "--json", "--kill-after", "700ms", "--rate", "400"]);
    expect(res.code, res.stderr).toBe(0);
    const report = parseJsonOutput<Report>(res);
    expect(report.scenarios.map((s) => s.id)).toEqual([
      "primary/none",
      "primary/rdb",
      "primary/aof-everysec",
      "primary/aof-always",
    ]);
    const by = Object.fromEntries(report.scenarios.map((s) => [s.id, s]));
    expect(by["primary/none"]!.metrics.lost).toBe(by["primary/none"]!.metrics.acked);
    expect(by["primary/aof-always"]!.metrics.lost).toBe(0);
    expect(by["primary/aof-always"]!.metrics.acked as number).toBeGreaterThan(0);
    for (const s of report.scenarios) {
      expect(s.figures[0]?.chapter).toBe("Shopping cart (with AOF persistence)");
      expect(s.metrics.killAfterMs).toBe(700);
    }
    expect(report.summary?.rows.map((r) => r[0])).toEqual(["none", "rdb", "aof-everysec", "aof-always"]);
    // The server at --url was asked which binary it runs, and nothing else; no key of the run lives there.
    const onMain = report.scenarios.flatMap((s) =>
      s.steps.flatMap((st) => st.commands.filter((c) => c.client === "main")),
    );
    expect(onMain.map((c) => c.argv.join(" "))).toEqual(["INFO server", "INFO server", "INFO server", "INFO server"]);
    expect(report.cleanup.keys).toBe(0);
  });

  it("human, one setting: said on stderr, the chapter's words by the measurement, the comparison table", async () => {
    const res = await runCli(
      ["primary", "--url", server().url, "--persistence", "aof-always", "--kill-after", "500ms", "--trace", "off"],
      { env: { COLUMNS: "200" } },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/starting a throwaway redis-server per setting \(aof-always\)/);
    expect(res.stdout).toMatch(/redis-server \d+\.\d+\.\d+ \(/);
    expect(res.stdout).toContain("Shopping cart (with AOF persistence)");
    expect(res.stdout).toMatch(/appendfsync always/);
    expect(res.stdout).toMatch(/│ aof-always +│ \d+ +│ 0 +│ 0 +│/);
  });

  it("a binary that is not redis-server: the scenario is skipped with the reason, the command exits 1", async () => {
    const res = await runCli([
      "primary",
      "--url",
      server().url,
      "--persistence",
      "none",
      "--server-binary",
      "/nonexistent/redis-server",
      "--json",
    ]);
    expect(res.code).toBe(1);
    const report = parseJsonOutput<Report>(res);
    expect(report.scenarios[0]).toMatchObject({
      status: "skipped",
      skipped: expect.stringMatching(/--server-binary \/nonexistent\/redis-server does not run as redis-server/),
    });
    expect(report.scenarios[0]!.steps).toEqual([]);
  });

  it("usage errors: a bad setting, a bad save rule, a kill moment out of range (exit 2)", async () => {
    for (const args of [
      ["--persistence", "aof-no"],
      ["--rdb-save", "1"],
      ["--kill-after", "10ms"],
    ]) {
      const res = await runCli(["primary", "--url", server().url, ...args]);
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("without a redis-server binary on PATH", () => {
  it("smoke skips the scenarios that start their own servers, with the reason; the rest runs (exit 0)", async () => {
    const res = await runCli(
      ["smoke", "--url", server().url, "--only", "primary/*,cache/sidecar,cache/remote", "--json"],
      { env: { PATH: "/nonexistent" } },
    );
    expect(res.code, res.stderr).toBe(0);
    const report = parseJsonOutput<Report>(res);
    const status = Object.fromEntries(report.scenarios.map((s) => [s.id, s.status]));
    expect(status).toEqual({
      "primary/none": "skipped",
      "primary/rdb": "skipped",
      "primary/aof-everysec": "skipped",
      "primary/aof-always": "skipped",
      "cache/sidecar": "skipped",
      "cache/remote": "passed",
    });
    for (const s of report.scenarios.filter((r) => r.status === "skipped"))
      expect(s.skipped).toMatch(/needs a redis-server binary .*--server-binary names one/);
  });
});
