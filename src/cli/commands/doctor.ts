import { CheckFailedError, InterruptedError, exitCodeOf, markReported } from "../../errors.js";
import {
  collectClusterFacts,
  collectFacts,
  countVerdicts,
  evaluatePatterns,
  PATTERNS,
  type DoctorFacts,
} from "../../doctor/index.js";
import { classifyRedisError } from "../../redis/classify-error.js";
import { connectFromOptions } from "../connect-from-options.js";
import { watchInterrupts } from "../interrupt.js";
import { newRunPrefix } from "../../redis/keys.js";
import { CommandRecorder } from "../../redis/recorder.js";
import type { DoctorCliOptions } from "../options/doctor.js";
import { printDoctorReport, type DoctorReport } from "../render/doctor.js";
import { writeNotice } from "../notice.js";
import { round } from "../../stats.js";

/**
 * `redis-patterns doctor`: read the server (nothing is written), judge each pattern, print the facts, the verdicts
 * and (with --trace) the exact trace. Exit 0 when no pattern is unsupported; 1 when one is, or with --strict when one
 * has a warning (at risk: no persistence, an evicting policy);
 * connection and auth problems keep their codes (3, 4). Refused configuration reads are facts ("unknown"), not errors.
 */
export async function doctorCommand(opts: DoctorCliOptions): Promise<void> {
  const patterns = opts.only ?? [...PATTERNS];
  const recorder = new CommandRecorder();
  const connection = await connectFromOptions(opts, {
    recorder,
    notice: (message) => writeNotice(message),
  });
  const setup = recorder.since(0);
  const start = recorder.mark();

  // Nothing to clean up, but a Ctrl-C still closes the connection (and stops a throwaway server) before exiting.
  const controller = new AbortController();
  recorder.setAbortSignal(controller.signal);
  const interrupts = watchInterrupts(() => controller.abort());

  const steps: { title: string; ms: number; commands: number }[] = [];
  let stepStarted = { at: performance.now(), mark: start };
  const endStep = () => {
    const last = steps[steps.length - 1];
    if (last) {
      last.ms = round(performance.now() - stepStarted.at, 3);
      last.commands = recorder.mark() - stepStarted.mark;
    }
  };
  let facts: DoctorFacts | undefined;
  let fatal: unknown;
  try {
    facts = await collectFacts(connection.redis, {
      patterns,
      pings: opts.pings,
      prefix: opts.prefix ?? newRunPrefix(),
      onStep: (title) => {
        endStep();
        steps.push({ title, ms: 0, commands: 0 });
        stepStarted = { at: performance.now(), mark: recorder.mark() };
      },
    });
    if (connection.target.mode === "cluster") {
      // Health of the whole cluster, and one MOVED reply shown on purpose (a read sent to a master that is not the
      // owner).
      endStep();
      steps.push({
        title: "cluster (CLUSTER INFO, CLUSTER SHARDS, a read sent to the wrong master)",
        ms: 0,
        commands: 0,
      });
      stepStarted = { at: performance.now(), mark: recorder.mark() };
      const masters = connection
        .masters()
        .map((client) => ({ address: `${client.options.host}:${client.options.port}`, client }));
      facts.cluster = await collectClusterFacts(
        connection.redis,
        masters,
        `${opts.prefix ?? newRunPrefix()}:doctor:redirect`,
      );
    }
    endStep();
  } catch (err) {
    endStep();
    fatal = controller.signal.aborted
      ? new InterruptedError()
      : classifyRedisError(err, { display: connection.target.url, password: undefined });
  } finally {
    interrupts.dispose();
  }
  await connection.close();

  const verdicts = facts ? evaluatePatterns(facts, patterns) : [];
  const counts = countVerdicts(verdicts);
  const failing = verdicts.filter(
    (v) => v.verdict === "unsupported" || (opts.strict === true && v.verdict === "warning"),
  );
  const report: DoctorReport = {
    schemaVersion: 1,
    ok: fatal === undefined && failing.length === 0,
    command: "doctor",
    target: connection.target,
    setup: { commands: setup },
    ...(facts ? { doctor: { patterns, facts, verdicts, counts, steps } } : {}),
    commands: recorder.since(start),
    ...(fatal !== undefined
      ? { error: { message: fatal instanceof Error ? fatal.message : String(fatal), exitCode: exitCodeOf(fatal) } }
      : {}),
  };
  printDoctorReport(report, { ...opts, showProbes: opts.traceExplicit === true && opts.trace !== "off" });
  if (fatal !== undefined) {
    markReported(fatal);
    throw fatal;
  }
  if (!report.ok) {
    const err = new CheckFailedError(
      `${failing.length} of ${verdicts.length} pattern${verdicts.length === 1 ? "" : "s"} ` +
        `${opts.strict ? "unsupported or at risk (--strict)" : "unsupported"}: ` +
        failing.map((v) => `${v.pattern} (${v.verdict})`).join(", "),
      // Each verdict that fails the run, in the shape a scenario's failed check has: the findings are the evidence.
      failing.map((v) => ({
        scenario: "doctor",
        check: `${v.pattern} can run on this server`,
        expected: opts.strict ? "ok" : "ok or warning",
        actual: v.verdict,
        detail: v.reason,
        evidence: { values: Object.fromEntries(v.findings.map((f, i) => [`finding ${i + 1} (${f.level})`, f.text])) },
      })),
    );
    markReported(err);
    throw err;
  }
}
