import { describe, expect, it } from "vitest";
import { toJunit } from "../../src/cli/render/junit.js";
import { checkFailures, type RunReport } from "../../src/runner/report.js";
import type { ScenarioResult } from "../../src/runner/types.js";

function scenario(id: string, over: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    id,
    title: id,
    explain: "",
    ok: true,
    status: "passed",
    params: {},
    steps: [],
    metrics: {},
    checks: [],
    figures: [],
    ms: 12,
    ...over,
  };
}

function report(scenarios: ScenarioResult[]): RunReport {
  return {
    schemaVersion: 1,
    ok: scenarios.every((s) => s.ok),
    command: "smoke",
    target: { url: "redis://x", server: "Redis", version: "7", mode: "standalone", embedded: false },
    prefix: "rp:x",
    setup: { commands: [] },
    scenarios,
    failures: checkFailures(scenarios),
    scripts: [],
    cleanup: { kept: false, keys: 0, deleted: 0, commands: [] },
  };
}

describe("toJunit", () => {
  it("one testsuite per pattern, failures carrying the failed check's expected and actual values", () => {
    const xml = toJunit(
      report([
        scenario("ratelimit/a", { checks: [{ name: "ok one", ok: true }] }),
        scenario("ratelimit/b", {
          ok: false,
          status: "failed",
          checks: [{ name: 'never > limit & "<b>"', ok: false, expected: "≤ 10", actual: 20 }],
        }),
        scenario("lock/c", { ok: false, status: "errored", error: "connection <lost>" }),
      ]),
    );
    expect(xml).toContain(
      '<testsuites name="redis-patterns smoke" tests="3" failures="1" errors="1" skipped="0" time="0.036">',
    );
    expect(xml).toContain('<testsuite name="ratelimit" tests="2" failures="1" errors="0" skipped="0" time="0.024">');
    expect(xml).toContain('<testsuite name="lock" tests="1" failures="0" errors="1"');
    expect(xml).toContain(
      '<failure message="never &gt; limit &amp; &quot;&lt;b&gt;&quot;" type="CheckFailed">' +
        "expected: &quot;≤ 10&quot;\nactual: 20</failure>",
    );
    expect(xml).toContain('<error message="connection &lt;lost&gt;" type="ScenarioError">');
    expect(xml).toContain("<system-out>✓ ok one</system-out>");
  });

  it("a skipped scenario carries its reason; an error names the step, the command sent and the server's words", () => {
    const xml = toJunit(
      report([
        scenario("analytics/timeseries", {
          status: "skipped",
          skipped: "needs XADD: Redis ≥ 5.0; this server is Redis 4.0.14",
        }),
        scenario("queue/list", {
          ok: false,
          status: "errored",
          error: "OOM command not allowed when used memory > 'maxmemory'.",
          errorAt: { step: "Producers push", command: "LPUSH rp:1:q m1" },
        }),
      ]),
    );
    expect(xml).toContain('tests="2" failures="0" errors="1" skipped="1"');
    expect(xml).toContain('<skipped message="needs XADD: Redis ≥ 5.0; this server is Redis 4.0.14"/>');
    expect(xml).toMatch(
      /type="ScenarioError">step: Producers push\ncommand: LPUSH rp:1:q m1\nerror: OOM command not allowed/,
    );
  });

  it("with --strict a skipped or inconclusive scenario (not ok) is a <failure> with its reason, not <skipped>", () => {
    const xml = toJunit(
      report([
        scenario("analytics/timeseries", {
          ok: false,
          status: "skipped",
          skipped: "ZRANGE … BYSCORE: needs Redis ≥ 6.2; this server is Redis 6.0.9",
        }),
        scenario("lock/watchdog", {
          ok: false,
          status: "inconclusive",
          inconclusive: "the event loop stalled 400 ms",
        }),
        scenario("cache/invalidate-ttl", { status: "inconclusive", inconclusive: "slow" }),
      ]),
    );
    expect(xml).toContain('tests="3" failures="2" errors="0" skipped="1"');
    expect(xml).toContain(
      '<failure message="ZRANGE … BYSCORE: needs Redis ≥ 6.2; this server is Redis 6.0.9 (--strict)" type="Skipped">',
    );
    expect(xml).toContain(
      '<failure message="inconclusive: the event loop stalled 400 ms (--strict)" type="Inconclusive">',
    );
    expect(xml).toContain('<skipped message="inconclusive: slow"/>');
    expect(xml.match(/<skipped /g)).toHaveLength(1);
  });
});
