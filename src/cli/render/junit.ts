import { checkFailure, errorFailure, type RunReport } from "../../runner/report.js";
import { failureText } from "./failure.js";
import type { ScenarioResult } from "../../runner/types.js";

function esc(text: string): string {
  return (
    text
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      // XML 1.0 forbids most control characters even when escaped.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
  );
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** Why a skipped or inconclusive scenario showed nothing; undefined for the other statuses. */
function notRun(s: ScenarioResult): string | undefined {
  if (s.status === "skipped") return s.skipped ?? "skipped";
  if (s.status === "inconclusive") return `inconclusive: ${s.inconclusive ?? "this machine was too slow"}`;
  return undefined;
}

function testcase(s: ScenarioResult, prefix: string): string {
  const pattern = s.id.split("/")[0] ?? s.id;
  const open = `    <testcase classname="redis-patterns.${esc(pattern)}" name="${esc(s.id)}" time="${seconds(s.ms)}">`;
  const body: string[] = [];
  const why = notRun(s);
  // Skipped and inconclusive are <skipped>, unless they fail the run (smoke --strict): then a <failure> CI counts.
  if (why !== undefined && s.ok) body.push(`      <skipped message="${esc(why)}"/>`);
  if (why !== undefined && !s.ok)
    body.push(
      `      <failure message="${esc(`${why} (--strict)`)}" ` +
        `type="${s.status === "skipped" ? "Skipped" : "Inconclusive"}">${esc(why)}</failure>`,
    );
  const stopped = errorFailure(s);
  if (s.error && stopped) {
    // Where it happened and what the server was sent, then its words, then the evidence as a failed check's (the
    // step's last commands with their replies): enough to act on from the CI page alone.
    const where = [
      s.errorAt ? `step: ${s.errorAt.step}` : "",
      s.errorAt?.command ? `command: ${s.errorAt.command}` : "",
      `error: ${s.error}`,
      ...failureText(stopped, prefix).evidence,
    ].filter(Boolean);
    body.push(`      <error message="${esc(s.error)}" type="ScenarioError">${esc(where.join("\n"))}</error>`);
  }
  for (const failure of s.checks.filter((c) => !c.ok).map((c) => checkFailure(s.id, c))) {
    const f = failureText(failure, prefix);
    const text = [
      f.expected !== undefined ? `expected: ${f.expected}` : "",
      f.actual !== undefined ? `actual: ${f.actual}` : "",
      f.detail ?? "",
      ...f.evidence,
    ].filter(Boolean);
    body.push(`      <failure message="${esc(failure.check)}" type="CheckFailed">${esc(text.join("\n"))}</failure>`);
  }
  const passed = s.checks.filter((c) => c.ok).map((c) => `✓ ${c.name}`);
  if (passed.length > 0) body.push(`      <system-out>${esc(passed.join("\n"))}</system-out>`);
  return body.length === 0 ? `${open}</testcase>` : [open, ...body, "    </testcase>"].join("\n");
}

/**
 * The smoke report as JUnit XML, which CI systems display: a testsuite per pattern, a testcase per scenario, failed
 * checks as <failure> with their expected and actual values and evidence (failureText, as the terminal words them),
 * a scenario that stopped on an error as <error> (where, the error, and its evidence: errorFailure), a skipped or
 * inconclusive one as <skipped message="why">, or as <failure> when it fails the run (smoke --strict).
 */
export function toJunit(report: RunReport): string {
  const byPattern = new Map<string, ScenarioResult[]>();
  for (const s of report.scenarios) {
    const pattern = s.id.split("/")[0] ?? s.id;
    byPattern.set(pattern, [...(byPattern.get(pattern) ?? []), s]);
  }
  const count = (list: ScenarioResult[]) => ({
    tests: list.length,
    failures: list.filter((s) => !s.error && (s.checks.some((c) => !c.ok) || (notRun(s) !== undefined && !s.ok)))
      .length,
    errors: list.filter((s) => s.error).length,
    skipped: list.filter((s) => notRun(s) !== undefined && s.ok).length,
    time: seconds(list.reduce((n, s) => n + s.ms, 0)),
  });
  const total = count(report.scenarios);
  const suites = [...byPattern].map(([pattern, list]) => {
    const c = count(list);
    return [
      `  <testsuite name="${esc(pattern)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" ` +
        `skipped="${c.skipped}" time="${c.time}">`,
      ...list.map((s) => testcase(s, report.prefix)),
      "  </testsuite>",
    ].join("\n");
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="redis-patterns smoke" tests="${total.tests}" failures="${total.failures}" ` +
      `errors="${total.errors}" skipped="${total.skipped}" time="${total.time}">`,
    ...suites,
    `</testsuites>`,
    "",
  ].join("\n");
}
