import { describe, expect, it } from "vitest";
import { ANSI, NOWHERE, parseJsonOutput, runCli, scanKeys } from "../helpers/cli.js";
import { expectPassingReport, usePatternCli } from "../helpers/pattern-cli.js";
import { testPrefix } from "../helpers/redis.js";
import type { RunReport as Report } from "../../src/runner/report.js";

/** `redis-patterns queue` as a user runs it: human output, --json, usage errors. */
const { redis, run } = usePatternCli("queue");

const KINDS = ["list", "reliable", "stream"];

describe("queue, human output", () => {
  it("with no flags: the three kinds, the same crashes, and a table where only the list loses messages", async () => {
    const prefix = testPrefix("queue-human");
    const result = await run(["--prefix", prefix, "--trace", "off"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(ANSI);
    for (const kind of KINDS) expect(result.stdout).toContain(`━━ queue/${kind} · `);
    const at = result.stdout.indexOf("The same crashes, three queues");
    expect(at).toBeGreaterThan(0);
    const table = result.stdout.slice(at).split("\n");
    const header = new RegExp(
      /│ queue\s+│ produced\s+│ acknowledged\s+│ never acknowledged\s+│ dead-lettered\s+/.source +
        /│ lost\s+│ redelivered\s+│ duplicates\s+│ throughput/.source,
    );
    expect(table.some((l) => header.test(l))).toBe(true);
    const row = (kind: string) =>
      table
        .find((l) => l.startsWith(`│ ${kind} `))!
        .split("│")
        .map((c) => c.trim());
    // (empty), queue, produced, acknowledged, never acknowledged, dead-lettered, lost, redelivered, duplicates,
    // throughput, checks: the four fates add up to what was produced.
    const tp = expect.stringMatching(/^[\d,]+$/);
    expect(row("list").slice(2, 10)).toEqual(["12", "8", "2", "0", "2", "0", "0", tp]);
    expect(row("reliable").slice(2, 10)).toEqual(["12", "12", "0", "0", "0", "4", "2", tp]);
    expect(row("stream").slice(2, 10)).toEqual(["12", "11", "0", "1", "0", "6", "2", tp]);
    for (const kind of KINDS) {
      const [produced, ...fates] = row(kind).slice(2, 7).map(Number);
      expect(fates.reduce((a, b) => a + b, 0)).toBe(produced);
      expect(row(kind)[10]).toMatch(/^\d+\/\d+ ✓$/);
    }
    expect(result.stdout).toContain("a consumer that crashes after BRPOP loses messages (the pitfall)");
    expect(result.stdout).toMatch(/✓ all checks passed \(3 scenarios, \d+ commands\)/);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("--kind stream: every command, labelled by consumer", async () => {
    const result = await run(["--kind", "stream"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/XGROUP CREATE \S+ email-workers \$ MKSTREAM/);
    expect(result.stdout).toMatch(
      /\[stream:consumer-1\] XREADGROUP GROUP email-workers consumer-1 COUNT 3 BLOCK 100 STREAMS \S+ >/,
    );
    expect(result.stdout).toMatch(
      /\[stream:consumer-2-restarted\] XREADGROUP GROUP email-workers consumer-2 COUNT 3 STREAMS \S+ 0 /,
    );
    expect(result.stdout).toMatch(/\[stream:consumer-3\] XAUTOCLAIM \S+ email-workers consumer-3 150 0-0 COUNT 100/);
    expect(result.stdout).toMatch(/XPENDING \S+ email-workers/);
    expect(result.stdout).toContain(
      "m-0012 failed on delivery 3 of 3: moved to the dead-letter stream and acknowledged",
    );
    expect(result.stdout).not.toContain("The same crashes, three queues");
  });
});

describe("queue --json", () => {
  it("one document: each kind ok, the metrics the issue names, the comparison, no key left", async () => {
    const prefix = testPrefix("queue-json");
    const result = await run(["--json", "--prefix", prefix]);
    const report = expectPassingReport(result, "queue");
    expect(report.scenarios.map((s) => s.id)).toEqual(KINDS.map((k) => `queue/${k}`));
    for (const s of report.scenarios) {
      expect(s.ok, s.id).toBe(true);
      for (const m of ["produced", "acked", "redelivered", "deadLettered", "lost", "duplicates", "throughput"])
        expect(s.metrics[m], `${s.id} ${m}`).not.toBeUndefined();
      expect(s.figures).toHaveLength(1);
      expect(s.figures[0]!.agrees).toBe(true);
    }
    const lost = Object.fromEntries(report.scenarios.map((s) => [s.id, s.metrics.lost]));
    expect(lost).toEqual({ "queue/list": 2, "queue/reliable": 0, "queue/stream": 0 });
    expect(report.summary?.rows).toHaveLength(3);
    expect(report.cleanup.deleted).toBeGreaterThan(0);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("--kind list --no-crash: nothing lost, and no crash steps", async () => {
    const result = await run(["--json", "--kind", "list", "--no-crash", "--consumers", "4", "--messages", "40"]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report>(result);
    const [s] = report.scenarios;
    expect(s!.metrics).toMatchObject({ produced: 40, acked: 40, lost: 0, duplicates: 0, crashed: 0, consumers: 4 });
    expect(s!.steps.some((st) => st.title.includes("crash"))).toBe(false);
    expect(report.summary).toBeUndefined();
  });
});

describe("queue usage errors exit 2 before connecting", () => {
  it.each([
    { args: ["--kind", "kafka"], says: /unknown queue kind "kafka": choose one of list, reliable, stream/ },
    { args: ["--consumers", "1"], says: /--consumers must be at least 2 with a crash/ },
    { args: ["--messages", "5"], says: /--messages must be at least 2 × --batch \(6\)/ },
    { args: ["--block", "3s"], says: /--block 3000ms must stay well under --timeout 5000ms/ },
    { args: ["--visibility", "-5ms"], says: /invalid duration "-5ms"/ },
  ])("queue $args", async ({ args, says }) => {
    const result = await runCli(["queue", ...args, ...NOWHERE]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(says);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
