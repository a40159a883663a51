/**
 * A scenario that stops on an error is a failure like a failed check: in --json's `failures` (check "the scenario ran
 * to the end", expected "no error", actual the error, evidence the last commands of the step it stopped in, the
 * refused one last with its error), in JUnit's <error> body and in the terminal, worded the same way
 * (src/cli/render/failure.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckFailedError } from "../../src/errors.js";
import { runFailure } from "../../src/cli/session.js";
import { ERROR_EVIDENCE_COMMANDS, RAN_TO_THE_END, type RunReport } from "../../src/runner/report.js";
import type { ScenarioResult } from "../../src/runner/types.js";
import { parseJsonOutput, runCli } from "../helpers/cli.js";
import { useRedisClient } from "../helpers/redis.js";

const { server, redis: admin } = useRedisClient();
const dir = mkdtempSync(join(tmpdir(), "errored-failure-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A user that may run everything but XINFO: analytics/timeseries passes the gate, then XINFO STREAM is refused. */
async function noXinfoUrl(): Promise<string> {
  await admin().call("ACL", "SETUSER", "noxinfo-ev", "reset", "on", ">pw", "~*", "&*", "+@all", "-xinfo");
  return `redis://noxinfo-ev:pw@${server().host}:${server().port}`;
}

describe("a scenario that stopped on an error", () => {
  it("is in --json's failures and JUnit's <error> with expected, actual and its evidence", async () => {
    const url = await noXinfoUrl();
    const junit = join(dir, "errored.xml");
    const only = ["--only", "analytics/counters,analytics/timeseries"];
    const result = await runCli(["smoke", ...only, "--json", "--junit", junit, "--url", url]);
    expect(result.code, result.stderr).toBe(4);
    const report = parseJsonOutput<RunReport>(result);
    const stopped = report.scenarios.find((s) => s.id === "analytics/timeseries")!;
    expect(stopped.status).toBe("errored");

    expect(report.failures).toHaveLength(1);
    const failure = report.failures[0]!;
    expect(failure).toMatchObject({
      scenario: "analytics/timeseries",
      check: RAN_TO_THE_END,
      expected: "no error",
      actual: stopped.error,
    });
    expect(failure.actual).toMatch(/NOPERM .*'xinfo/);
    expect(failure.detail).toBe(`stopped in "${stopped.errorAt!.step}" at: ${stopped.errorAt!.command}`);
    // The evidence: the last commands of the step, in trace order, the refused XINFO last with its error.
    const commands = failure.evidence!.commands!;
    expect(commands).toHaveLength(ERROR_EVIDENCE_COMMANDS);
    const step = stopped.steps.find((s) => s.title === stopped.errorAt!.step)!;
    expect(commands.map((c) => c.seq)).toEqual(step.commands.slice(-ERROR_EVIDENCE_COMMANDS).map((c) => c.seq));
    expect(commands.at(-1)).toMatchObject({ argv: ["XINFO", "STREAM", expect.stringMatching(/^rp:/)] });
    expect(commands.at(-1)!.error).toMatch(/^NOPERM/);
    expect(commands.slice(0, -1).every((c) => c.error === undefined && c.reply !== undefined)).toBe(true);

    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(/<testsuites [^>]*tests="2" failures="0" errors="1"/);
    const body = /<error message="[^"]*" type="ScenarioError">([^<]*)<\/error>/.exec(xml)?.[1] ?? "";
    const lines = body.split("\n");
    expect(lines.slice(0, 3).map((l) => l.split(":")[0])).toEqual(["step", "command", "error"]);
    expect(lines.slice(3)).toHaveLength(ERROR_EVIDENCE_COMMANDS);
    expect(lines.at(-1)).toMatch(/^evidence: #\d+ main XINFO STREAM rp:…:metrics:\{cpu\} → \(error\) NOPERM/);
  });

  it("is in the terminal with its evidence, as a failed check is", async () => {
    const url = await noXinfoUrl();
    const result = await runCli(["smoke", "--only", "analytics/timeseries", "--width", "200", "--url", url]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stdout).toMatch(
      new RegExp(
        /stopped: permission denied: NOPERM[^\n]*\n {4}in "[^\n]+" at: XINFO STREAM[^\n]*\n/.source +
          /( {8}evidence: #\d+ [^\n]*\n)+/.source,
      ),
    );
    const evidence = result.stdout.split("\n").filter((l) => /^ {8}evidence: #/.test(l));
    expect(evidence).toHaveLength(ERROR_EVIDENCE_COMMANDS);
    expect(evidence.at(-1)).toMatch(/XINFO STREAM rp:…:metrics:\{cpu\} → \(error\) NOPERM/);
    // At 80 columns an evidence line wraps under its text, not under "evidence:".
    const narrow = await runCli(["smoke", "--only", "analytics/timeseries", "--width", "80", "--url", url]);
    const out = narrow.stdout.split("\n");
    const refused = out.findIndex((l) => /^ {8}evidence: #\d+ main XINFO STREAM/.test(l));
    expect(refused, narrow.stdout).toBeGreaterThan(0);
    expect(out[refused + 1]).toMatch(/^ {18}\S/);
    for (const line of out) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});

describe("the error a run that is not ok ends with", () => {
  it("carries an errored scenario's failure in CheckFailedError, before the failed checks", () => {
    const base = { title: "t", explain: "e", params: {}, metrics: {}, figures: [], ms: 1 };
    const errored: ScenarioResult = {
      ...base,
      id: "x/errored",
      ok: false,
      status: "errored",
      steps: [
        {
          title: "s",
          notes: [],
          tables: [],
          ms: 1,
          commands: [{ seq: 7, client: "main", argv: ["GET", "k"], error: "WRONGTYPE no", ms: 0.1 }],
        },
      ],
      checks: [{ name: "c", ok: false, expected: 1, actual: 0 }],
      error: "wrong kind of value: WRONGTYPE no",
      errorAt: { step: "s", command: "GET k" },
    };
    const err = runFailure([errored], [], undefined);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect((err as CheckFailedError).failures).toEqual([
      {
        scenario: "x/errored",
        check: RAN_TO_THE_END,
        expected: "no error",
        actual: "wrong kind of value: WRONGTYPE no",
        detail: 'stopped in "s" at: GET k',
        evidence: { commands: [{ seq: 7, client: "main", argv: ["GET", "k"], error: "WRONGTYPE no" }] },
      },
      { scenario: "x/errored", check: "c", expected: 1, actual: 0 },
    ]);
  });
});
