import { PATTERNS } from "../doctor/requirements.js";
import {
  AuthError,
  CheckFailedError,
  ConnectError,
  DependencyError,
  InterruptedError,
  exitCodeOf,
  markReported,
} from "../errors.js";
import { connectFromOptions } from "./connect-from-options.js";
import type { Connection } from "../redis/connection.js";
import { KeySpace, newRunPrefix, validatePrefix } from "../redis/keys.js";
import { watchForeignKeys } from "../redis/ownership.js";
import { DEFAULT_RUN_FOOTPRINT } from "./eviction-guard.js";
import { claimRunPrefix } from "./claim-prefix.js";
import { versionAtLeast } from "../redis/server-info.js";
import { LEFT_KEYS_EXPIRY, cleanupCommand, cleanupWithReconnect } from "./run-cleanup.js";
import { runFootprint } from "../runner/footprint.js";
import { CommandRecorder, type RecordedCommand } from "../redis/recorder.js";
import { TtlGuard } from "../redis/ttl-guard.js";
import type { ClockMode } from "../runner/clock.js";
import { SCHEMA_VERSION, checkFailures, scriptsUsed, type RunReport } from "../runner/report.js";
import { runScenario, scenarioError, type RunEnv, type RunEvent, type ScenarioRun } from "../runner/runner.js";
import { stallHookFrom } from "../runner/stalls.js";
import { FULL_SUPPORT, supportFromFacts, supportFromVersion } from "../runner/support.js";
import type { ScenarioResult, ScenarioStatus, TableData } from "../runner/types.js";
import type { GlobalOptions } from "./options/common.js";
import { createRenderer } from "./render/index.js";
import type { Renderer } from "./render/renderer.js";
import { watchInterrupts } from "./interrupt.js";
import { flagOfParam } from "./param-flags.js";
import { delayedProgress } from "./render/progress.js";
import { redactUrl } from "../redis/redact.js";

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
  /**
   * Ask the server what it can run first (doctor's probe: version, Lua, command table, ACL), so a scenario whose
   * needs are missing is skipped with the reason instead of failing (smoke). Otherwise the version decides.
   */
  probe?: boolean;
  /**
   * Statuses that fail the run besides failed and errored. By default a skipped scenario does (the user asked for it
   * and it could not run); smoke passes none, or skipped and inconclusive with --strict.
   */
  alsoFail?: readonly ScenarioStatus[];
}

/** Whether a scenario's status fails the run. */
export function failsRun(result: ScenarioResult, alsoFail: readonly ScenarioStatus[] = []): boolean {
  return result.status === "failed" || result.status === "errored" || alsoFail.includes(result.status);
}

/**
 * Connect, run the scenarios, clean up (also after a failure or Ctrl-C), render, and throw the error that decides
 * the exit code. Signals reach it through watchInterrupts (src/cli/interrupt.ts), as they reach the tour.
 */
export async function runSession(opts: GlobalOptions, given: SessionPlan): Promise<void> {
  const plan = { ...given, alsoFail: given.alsoFail ?? (["skipped"] as const) };
  const renderer = await createRenderer(opts, {
    compact: plan.compact,
    scenarios: plan.runs.length,
    comparison: plan.summarize !== undefined,
  });
  const opened = await openRun(opts, {
    notice: (message) => renderer.notice(message),
    waitMs: plan.waitMs,
    maxKeys: plan.maxKeys,
    clockMode: plan.clockMode,
    probe: plan.probe,
    footprint: runFootprint(plan.runs),
  });
  const { connection, recorder, prefix, setup, controller } = opened;
  // Ctrl-C, SIGTERM or SIGHUP (a closed terminal): the run stops and its keys are cleaned up; a second one stops
  // waiting for that (the entry point exits 130 and the throwaway servers are stopped on the way out).
  const interrupts = watchInterrupts(() => {
    renderer.notice("interrupted: cleaning up the run's keys (Ctrl-C again to quit at once)");
    controller.abort();
  });
  let ran: Ran;
  try {
    ran = await Promise.race([runAndClean(opts, plan, opened, renderer), interrupts.forced]);
  } catch (err) {
    // A second Ctrl-C: no cleanup. The last line says what is left where, and how to remove it.
    if (err instanceof InterruptedError && opts.keep !== true && !connection.target.embedded)
      err.message =
        `interrupted before the cleanup: the run's keys under ${prefix} are left (${LEFT_KEYS_EXPIRY}); remove ` +
        `them with: ${cleanupCommand(opts, prefix)}`;
    throw err;
  } finally {
    interrupts.dispose();
  }
  const { results, cleanup } = ran;
  let fatal = ran.fatal;
  if (controller.signal.aborted && !(fatal instanceof InterruptedError)) fatal = new InterruptedError();

  // A skipped or inconclusive scenario that fails this run (smoke --strict) is not ok in the report either, so JSON,
  // JUnit (<failure>, not <skipped>) and the human summary say the same.
  for (const r of results) if (failsRun(r, plan.alsoFail)) r.ok = false;
  // A run stopped by something every scenario needed (the database behind the cache) has nothing to compare.
  const summary = fatal instanceof DependencyError ? undefined : plan.summarize?.(results);
  const ok = fatal === undefined && !results.some((r) => failsRun(r, plan.alsoFail)) && cleanup.error === undefined;
  // A cleanup that could not finish is named last, whatever else ended the run (Ctrl-C too): the prefix and the
  // command.
  if (fatal instanceof Error && cleanup.error !== undefined)
    fatal.message = `${fatal.message}; cleanup: ${cleanup.error}`;
  const failure = fatal ?? (ok ? undefined : runFailure(results, plan.alsoFail, cleanup.error));
  // A run that failed because of errors (not only checks) says so in the report: its message and exit code.
  const reportError = fatal ?? (results.some((r) => r.error) ? failure : undefined);
  const report: RunReport = {
    schemaVersion: SCHEMA_VERSION,
    ok,
    command: plan.command,
    target: connection.target,
    prefix,
    setup: { commands: setup },
    scenarios: results,
    failures: checkFailures(results),
    ...(summary ? { summary } : {}),
    scripts: scriptsUsed(recorder.commands),
    cleanup,
    ...(fatal instanceof InterruptedError ? { interrupted: true } : {}),
    ...(reportError !== undefined
      ? { error: { message: errorMessage(reportError), exitCode: exitCodeOf(reportError) } }
      : {}),
  };
  renderer.finish(report);
  plan.onReport?.(report);
  if (failure !== undefined) {
    markReported(failure);
    throw failure;
  }
}

/** What a session's run leaves for the report: the results, the error that stopped it, the cleanup. */
interface Ran {
  results: ScenarioResult[];
  fatal: unknown;
  cleanup: RunReport["cleanup"];
}

/** The scenarios one after the other, then the cleanup (also after a failure or Ctrl-C) and the closing QUITs. */
async function runAndClean(
  opts: GlobalOptions,
  plan: SessionPlan,
  { connection, recorder, prefix, env }: OpenRun,
  renderer: Renderer,
): Promise<Ran> {
  const results: ScenarioResult[] = [];
  let fatal: unknown;
  renderer.header(connection.target, prefix, opts.keep === true);
  // Results are collected from the events, so a scenario stopped by Ctrl-C or a lost connection is reported too.
  const onEvent = (event: RunEvent) => {
    if (event.type === "scenario-end") results.push(event.result);
    renderer.event(event);
  };
  try {
    // One scenario's error (a refused command, NOPERM, OOM, a dropped connection) ends that scenario only: the next
    // one runs, on a re-opened connection if it was lost. Only Ctrl-C stops the run.
    let lost: unknown;
    for (const run of plan.runs) {
      if (lost !== undefined || connection.redis.status !== "ready") {
        try {
          if (await connection.reconnect()) renderer.notice(`reconnected to ${connection.target.url}`);
          lost = undefined;
        } catch (err) {
          lost = err;
          onEvent({ type: "scenario-end", result: unreachable(run, err) });
          continue;
        }
      }
      const result = await runScenario(run, env, onEvent);
      if (scenarioError(result) instanceof ConnectError && connection.redis.status !== "ready") lost = true;
    }
  } catch (err) {
    fatal = err;
  } finally {
    renderer.stopProgress();
  }
  // The cleanup needs a connection too: re-opened if lost, retried through a stall, else the command to finish it.
  const closing = recorder.mark();
  const cleanup = await cleanupWithReconnect(connection, env, opts.keep === true, {
    timeoutMs: opts.timeout,
    notice: (message) => renderer.notice(message),
    command: cleanupCommand(opts, prefix),
    expiry: LEFT_KEYS_EXPIRY,
  });
  await connection.close();
  // QUIT goes over the wire too: the trace of the cleanup phase ends with each connection's QUIT.
  cleanup.commands = recorder.since(closing);
  return { results, fatal, cleanup };
}

/**
 * Why a run that finished is not ok, as one error: every problem named, and the exit code of the worst kind, a
 * permission (4) over a connection problem (3) over a failed check (1).
 */
export function runFailure(
  results: readonly ScenarioResult[],
  alsoFail: readonly ScenarioStatus[],
  cleanupError: string | undefined,
): Error {
  const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.id}: ${c.name}`));
  const errored = results.filter((r) => r.error).map((r) => `${r.id}: ${r.error}`);
  const other = results
    .filter((r) => !r.error && r.checks.every((c) => c.ok) && failsRun(r, alsoFail))
    .map((r) => `${r.id}: ${r.status}${r.skipped ? ` (${r.skipped})` : r.inconclusive ? ` (${r.inconclusive})` : ""}`);
  const all = [...errored, ...failed, ...other, ...(cleanupError ? [`cleanup: ${cleanupError}`] : [])];
  const message = `${all.length} problem${all.length === 1 ? "" : "s"}: ${all.join("; ")}`;
  const errors = results.map(scenarioError).filter((e) => e !== undefined);
  if (errors.some((e) => e instanceof AuthError)) return new AuthError(message);
  if (errors.some((e) => e instanceof ConnectError)) return new ConnectError(message);
  return new CheckFailedError(message, checkFailures(results));
}

/** The result of a scenario that could not start because the server could not be reached again. */
function unreachable(run: ScenarioRun, err: unknown): ScenarioResult {
  const title = typeof run.def.title === "function" ? run.def.title(run.params, FULL_SUPPORT) : run.def.title;
  return {
    id: run.def.id,
    title,
    explain: run.def.explain,
    ok: false,
    status: "errored",
    params: run.params as Record<string, unknown>,
    steps: [],
    metrics: {},
    checks: [],
    figures: [],
    ms: 0,
    error:
      `not run: the connection was lost and could not be re-opened ` +
      `(${err instanceof Error ? err.message : String(err)})`,
  };
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
  run: {
    notice: (message: string) => void;
    waitMs?: number;
    maxKeys?: number;
    clockMode?: ClockMode;
    probe?: boolean;
    /** The run's estimated peak memory on the target (runFootprint); the eviction guard's measure. */
    footprint?: number;
  },
): Promise<OpenRun> {
  const recorder = new CommandRecorder();
  // On a terminal, a spinner if connecting (or starting --embedded's server) takes more than a second.
  const url = [opts.url ?? "redis://127.0.0.1:6379"].flat().map(redactUrl).join(", ");
  const waiting = delayedProgress(opts, `connecting to ${opts.embedded ? "a throwaway redis-server" : url}`);
  const connection = await connectFromOptions(opts, { recorder, notice: run.notice, waitMs: run.waitMs }).finally(() =>
    waiting.stop(),
  );
  const prefix = opts.prefix ? validatePrefix(opts.prefix) : newRunPrefix();
  // smoke asks what the server can run once, as doctor does (reads only; ACL DRYRUN names keys under the prefix).
  // The probe is imported only then: other runs do not load it.
  const support = run.probe
    ? supportFromFacts(
        await (
          await import("../doctor/probe.js")
        )
          .collectFacts(connection.redis, { patterns: PATTERNS, pings: 3, timeSamples: 1, prefix })
          .catch(async (err: unknown) => {
            await connection.close();
            throw err;
          }),
      )
    : supportFromVersion(connection.target);
  // Before the first write: the eviction guard, then this run's marker under the prefix (or a refusal, exit 2 or 4).
  const claim = await claimRunPrefix(connection, prefix, {
    userPrefix: opts.prefix !== undefined,
    footprint: run.footprint ?? DEFAULT_RUN_FOOTPRINT,
    force: opts.force === true,
    notice: run.notice,
  });
  const setup = recorder.since(0);
  const controller = new AbortController();
  recorder.setAbortSignal(controller.signal);
  const env: RunEnv = {
    redis: connection.redis,
    recorder,
    keys: new KeySpace(prefix, run.maxKeys),
    target: connection.target,
    signal: controller.signal,
    clockMode: run.clockMode ?? "scenario",
    support,
    newClient: (label, options) => connection.newClient(label, options),
    claim,
    stallHook: stallHookFrom(process.env.REDIS_PATTERNS_TEST_STALL),
    nameParam: flagOfParam,
  };
  watchForeignKeys(recorder, env.keys);
  // Every key the run writes gets a TTL as it is written (unless its pattern gives one): a lost run self-cleans.
  env.ttl = new TtlGuard(
    env.keys,
    () => connection.redis,
    versionAtLeast(connection.target.version, "7.0") === true,
  ).start();
  recorder.setSendHook(env.ttl.onSent);
  return { connection, recorder, prefix, setup, controller, env };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
