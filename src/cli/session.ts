import { CheckFailedError, ExitCode, InterruptedError, UsageError, exitCodeOf, markReported } from "../errors.js";
import { scanPrefixOnAll } from "../redis/cleanup.js";
import { connectTarget, type Connection } from "../redis/connect.js";
import { KeySpace, newRunPrefix } from "../redis/keys.js";
import { CommandRecorder, type RecordedCommand } from "../redis/recorder.js";
import type { ClockMode } from "../runner/clock.js";
import { SCHEMA_VERSION, scriptsUsed, type RunReport } from "../runner/report.js";
import { cleanupRun, runScenario, type RunEnv, type RunEvent, type ScenarioRun } from "../runner/runner.js";
import type { ScenarioResult, TableData } from "../runner/types.js";
import type { GlobalOptions } from "./options/common.js";
import { createRenderer } from "./render/index.js";

export interface SessionPlan {
  /** The command as the user would name it, e.g. "ratelimit". */
  command: string;
  runs: ScenarioRun[];
  clockMode?: ClockMode;
  /** A table across all scenario results, shown after them (e.g. the --compare table). */
  summarize?: (results: ScenarioResult[]) => TableData | undefined;
  /** One line per scenario instead of its steps and trace (smoke). */
  compact?: boolean;
  /** At most this many keys for the whole run (smoke --max-keys). */
  maxKeys?: number;
  /** Wait this long for the server to accept connections (smoke --wait). */
  waitMs?: number;
  /** Given the finished report before the exit code is decided (smoke writes --junit from it). */
  onReport?: (report: RunReport) => void;
}

/**
 * Connect, run the scenarios, clean up (also after a failure or Ctrl-C), render, and throw the error that decides
 * the exit code. With the tour (src/cli/tour/tour.ts), the only places that wire signals to a run.
 */
export async function runSession(opts: GlobalOptions, plan: SessionPlan): Promise<void> {
  const renderer = await createRenderer(opts, { compact: plan.compact });
  const { connection, recorder, prefix, setup, controller, env } = await openRun(opts, {
    notice: (message) => renderer.notice(message),
    waitMs: plan.waitMs,
    maxKeys: plan.maxKeys,
    clockMode: plan.clockMode,
  });
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(ExitCode.interrupted);
    renderer.notice("interrupted: cleaning up the run's keys (Ctrl-C again to quit at once)");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const results: ScenarioResult[] = [];
  let fatal: unknown;
  renderer.header(connection.target, prefix, opts.keep === true);
  // Results are collected from the events, so a scenario stopped by Ctrl-C or a lost connection is reported too.
  const onEvent = (event: RunEvent) => {
    if (event.type === "scenario-end") results.push(event.result);
    renderer.event(event);
  };
  try {
    for (const run of plan.runs) await runScenario(run, env, onEvent);
  } catch (err) {
    fatal = err;
  } finally {
    renderer.stopProgress();
  }
  const closing = recorder.mark();
  const cleanup = await cleanupRun(env, opts.keep === true);
  await connection.close();
  // QUIT goes over the wire too: the trace of the cleanup phase ends with each connection's QUIT.
  cleanup.commands = recorder.since(closing);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (controller.signal.aborted && !(fatal instanceof InterruptedError)) fatal = new InterruptedError();

  const summary = plan.summarize?.(results);
  const report: RunReport = {
    schemaVersion: SCHEMA_VERSION,
    ok: fatal === undefined && results.every((r) => r.ok) && cleanup.error === undefined,
    command: plan.command,
    target: connection.target,
    prefix,
    setup: { commands: setup },
    scenarios: results,
    ...(summary ? { summary } : {}),
    scripts: scriptsUsed(recorder.commands),
    cleanup,
    ...(fatal instanceof InterruptedError ? { interrupted: true } : {}),
    ...(fatal !== undefined ? { error: { message: errorMessage(fatal), exitCode: exitCodeOf(fatal) } } : {}),
  };
  renderer.finish(report);
  plan.onReport?.(report);
  if (fatal !== undefined) {
    markReported(fatal);
    throw fatal;
  }
  if (!report.ok) {
    const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.id}: ${c.name}`));
    const errored = results.filter((r) => r.error).map((r) => `${r.id}: ${r.error}`);
    const cleanupError = cleanup.error ? [`cleanup: ${cleanup.error}`] : [];
    const all = [...errored, ...failed, ...cleanupError];
    const err = new CheckFailedError(`${all.length} problem${all.length === 1 ? "" : "s"}: ${all.join("; ")}`);
    markReported(err);
    throw err;
  }
}

/** A connected run: the recorded client, the run's key space and the abort controller Ctrl-C trips. */
export interface OpenRun {
  connection: Connection;
  recorder: CommandRecorder;
  prefix: string;
  /** The commands the connection handshake sent. */
  setup: RecordedCommand[];
  controller: AbortController;
  env: RunEnv;
}

/**
 * Connect to the target and set up a run (its prefix, refused when a user-chosen one already holds keys, its key
 * space and abort gate). Shared by runSession and the tour; the caller cleans up with cleanupRun and closes.
 */
export async function openRun(
  opts: GlobalOptions,
  run: { notice: (message: string) => void; waitMs?: number; maxKeys?: number; clockMode?: ClockMode },
): Promise<OpenRun> {
  const recorder = new CommandRecorder();
  const connection = await connectTarget({
    url: opts.url,
    cluster: opts.cluster,
    envUrl: process.env.REDIS_URL,
    embedded: opts.embedded,
    tlsCa: opts.tlsCa,
    insecure: opts.insecure,
    timeoutMs: opts.timeout,
    recorder,
    notice: run.notice,
    waitMs: run.waitMs,
  });
  const setup = recorder.since(0);
  const prefix = opts.prefix ?? newRunPrefix();
  if (opts.prefix) {
    // The run deletes every key it names at the end. That is only safe if nothing lived under the prefix before:
    // a user-chosen prefix could be an application's own. (A fresh random prefix is checked by construction.)
    const existing = await scanPrefixOnAll(connection.masters(), prefix, 5);
    if (existing.length > 0) {
      await connection.close();
      throw new UsageError(
        `--prefix ${prefix} already holds keys (${existing.slice(0, 3).join(", ")}${existing.length > 3 ? ", …" : ""}): ` +
          `choose another prefix, or remove a --keep run's leftovers with: redis-patterns cleanup --prefix ${prefix}`,
      );
    }
  }
  const controller = new AbortController();
  recorder.setAbortSignal(controller.signal);
  const env: RunEnv = {
    redis: connection.redis,
    recorder,
    keys: new KeySpace(prefix, run.maxKeys),
    target: connection.target,
    signal: controller.signal,
    clockMode: run.clockMode ?? "scenario",
    newClient: (label) => connection.newClient(label),
  };
  return { connection, recorder, prefix, setup, controller, env };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
