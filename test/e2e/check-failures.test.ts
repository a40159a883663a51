/**
 * A failed check is one structure (src/check-failure.ts): the human output, --json (`failures`, and the check's
 * `evidence`) and JUnit's <failure> body show the same expected, actual and evidence, from real failing runs.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { failureText } from "../../src/cli/render/failure.js";
import { toJunit } from "../../src/cli/render/junit.js";
import type { RunReport } from "../../src/runner/report.js";
import { ROOT, parseJsonOutput, runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";

const server = useRedisServer();
const dir = mkdtempSync(join(tmpdir(), "check-failures-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** JUnit's text with the XML entities undone. */
function unescapeXml(xml: string): string {
  return xml
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/** The lines a failure shows in every output: `expected: …`, `actual: …`, each evidence line. */
function failureLines(report: RunReport): string[][] {
  return report.failures.map((f) => {
    const t = failureText(f, report.prefix);
    return [`expected ${t.expected!}`, `actual ${t.actual!}`, ...t.evidence];
  });
}

describe("check failures: expected, actual and evidence, the same in human, --json and JUnit", () => {
  it("lock --no-renew: the double hold's evidence names the commands of the trace, with their replies", async () => {
    const args = ["lock", "--algo", "watchdog", "--no-renew", "--url", server().url];
    const json = await runCli([...args, "--json"]);
    expect(json.code, json.stderr).toBe(1);
    const report = parseJsonOutput<RunReport>(json);
    const scenario = report.scenarios[0]!;
    const doubleHold = report.failures.find((f) => f.check.startsWith("no double hold"));
    expect(doubleHold?.scenario).toBe("lock/watchdog");
    // The report's failures are its failed checks, evidence and all.
    const failedChecks = scenario.checks.filter((c) => !c.ok);
    expect(report.failures.map((f) => f.check)).toEqual(failedChecks.map((c) => c.name));
    expect(failedChecks.find((c) => c.name === doubleHold!.check)?.evidence).toEqual(doubleHold!.evidence);
    // The evidence is the trace: worker-1's and worker-2's SET NX both answered OK, and each is in the steps.
    const sets = (doubleHold!.evidence?.commands ?? []).filter((c) => c.argv[0] === "SET");
    expect(sets.map((c) => [c.client, c.reply])).toEqual([
      ["worker-1", "OK"],
      ["worker-2", "OK"],
    ]);
    const trace = new Map(scenario.steps.flatMap((s) => s.commands).map((c) => [c.seq, c]));
    for (const cmd of doubleHold!.evidence!.commands!) expect(trace.get(cmd.seq)?.argv).toEqual(cmd.argv);
    expect(doubleHold!.evidence?.values?.doubleHolds).toBe(1);

    // The human run is another run (other tokens, other sequence numbers): the same lines, by their shape.
    const human = await runCli([...args, "--width", "400"]);
    expect(human.code, human.stderr).toBe(1);
    expect(human.stdout).toMatch(/✗ no double hold: .* — expected 0, actual "1 double holds; worker-2 got the lock/);
    expect(human.stdout).toMatch(
      /evidence: #\d+ worker-1 SET rp:…:lock:watchdog:\{order-456\}:lock \w+ NX PX 150 → OK/,
    );
    expect(human.stdout).toMatch(
      /evidence: #\d+ worker-2 SET rp:…:lock:watchdog:\{order-456\}:lock \w+ NX PX 150 → OK/,
    );
    expect(human.stdout).toContain("evidence: doubleHolds = 1");

    // JUnit, from the same report, carries each failure's lines exactly as failureText words them.
    const xml = unescapeXml(toJunit(report));
    for (const lines of failureLines(report))
      for (const line of lines) expect(xml).toContain(line.replace(/^(expected|actual) /, "$1: "));
  });

  it("a user's lock release with no owner check: the probe's commands are the evidence, in every output", async () => {
    const lock = (name: string) => join(ROOT, "examples", "lock", `${name}.lua`);
    const args = ["lock", "--acquire-script", lock("acquire"), "--release-script", lock("release-no-owner-check")];
    const json = await runCli([...args, "--url", server().url, "--json"]);
    expect(json.code, json.stderr).toBe(1);
    const report = parseJsonOutput<RunReport>(json);
    const foreign = report.failures.find((f) => f.check.startsWith("a non-owner's release is refused"));
    expect(foreign?.scenario).toBe("lock/script");
    // The probe's own commands, as the trace has them: worker-2's release answered 1 (it deleted worker-1's lock).
    const commands = foreign?.evidence?.commands ?? [];
    const trace = new Map(report.scenarios[0]!.steps.flatMap((s) => s.commands).map((c) => [c.seq, c]));
    expect(commands.length).toBeGreaterThan(0);
    for (const cmd of commands) expect(trace.get(cmd.seq)?.argv).toEqual(cmd.argv);
    const released = commands.filter((c) => c.client === "worker-2" && c.argv[0] === "EVALSHA" && c.reply === 1);
    expect(released.length).toBeGreaterThan(0);
    expect(foreign?.evidence?.values?.sequence).toContain("worker-2 release(token-2) → yes");

    // The terminal and JUnit word the same failure with the same lines (another run: compared by shape).
    const junit = join(dir, "lock.xml");
    const human = await runCli([...args, "--url", server().url, "--width", "1000", "--junit", junit]);
    expect(human.code, human.stderr).toBe(1);
    expect(human.stdout).toMatch(/evidence: #\d+ worker-2 EVALSHA .* → \(integer\) 1/);
    expect(human.stdout).toContain('evidence: sequence = "');
    const xml = unescapeXml(readFileSync(junit, "utf8"));
    expect(xml).toMatch(/evidence: #\d+ worker-2 EVALSHA .* → \(integer\) 1/);
    const fromReport = unescapeXml(toJunit(report));
    for (const lines of failureLines(report))
      for (const line of lines) expect(fromReport).toContain(line.replace(/^(expected|actual) /, "$1: "));
  });

  it("a user's rate limiter that breaks the limit: the three outputs carry the same failure", async () => {
    const args = ["ratelimit", "--script", join(ROOT, "examples", "ratelimit", "fixed-window.lua"), "--limit", "3"];
    const junit = join(dir, "ratelimit.xml");
    const json = await runCli([...args, "--url", server().url, "--json"]);
    expect(json.code, json.stderr).toBe(1);
    const report = parseJsonOutput<RunReport>(json);
    expect(report.failures.map((f) => f.check)).toEqual([
      "never more than the limit in any window, wherever it starts (sliding)",
    ]);
    const values = report.failures[0]!.evidence?.values ?? {};
    expect(values["shortest sequence"]).toContain("alice 10:30:00.001 ✓ · alice 10:30:00.001 ✓");
    expect(values["requests in the sequence"]).toBe(4);

    // Scenario time: the same sequence, the same words, in the terminal and in the JUnit file of a human run.
    const human = await runCli([...args, "--url", server().url, "--width", "1000", "--junit", junit]);
    expect(human.code, human.stderr).toBe(1);
    const xml = unescapeXml(readFileSync(junit, "utf8"));
    const [lines] = failureLines(report);
    for (const line of lines!) {
      expect(human.stdout).toContain(line);
      expect(xml).toContain(line.replace(/^(expected|actual) /, "$1: "));
    }
  });
});
