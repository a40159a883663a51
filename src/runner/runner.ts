import type { Redis } from "ioredis";
import { keepEvidence } from "../check-failure.js";
import { DependencyError, InterruptedError, ScriptLoadError } from "../errors.js";
import { deleteKeys } from "../redis/cleanup.js";
import { classifyStepError, describeServerError, replyCode } from "../redis/classify-error.js";
import { connectTarget } from "../redis/connect.js";
import type { ClientOptions, Connection, Target } from "../redis/connection.js";
import type { KeySpace } from "../redis/keys.js";
import { KEPT_TTL_MS, capTtl, type PrefixClaim } from "../redis/ownership.js";
import type { CommandRecorder, RecordedCommand } from "../redis/recorder.js";
import type { TtlGuard } from "../redis/ttl-guard.js";
import { clockFor, type ClockMode } from "./clock.js";
import { startStallMonitor } from "./stalls.js";
import { supportFromVersion, unmetNeeds, type ServerSupport } from "./support.js";
import type {
  CheckResult,
  MetricValue,
  NameParam,
  ScenarioContext,
  ScenarioDef,
  ScenarioResult,
  StepResult,
  TableData,
} from "./types.js";

export interface RunEnv {
  redis: Redis;
  recorder: CommandRecorder;
  keys: KeySpace;
  target: Target;
  signal: AbortSignal;
  clockMode: ClockMode;
  /** What the server can run (smoke: doctor's probe; otherwise its version). Everything when absent. */
  support?: ServerSupport;
  /** Open another recorded connection to the same server (closed by whoever owns the connection). */
  newClient(label: string, options?: ClientOptions): Promise<Redis>;
  /** The run's hold on its prefix (src/redis/ownership.ts): released, or turned into a kept marker, by cleanupRun. */
  claim?: PrefixClaim;
  /** Gives every key the run writes a TTL (src/redis/ttl-guard.ts); stopped by cleanupRun. */
  ttl?: TtlGuard;
  /** How messages name a parameter (the CLI: its flag); the parameter's own name when absent. */
  nameParam?: NameParam;
  /** Tests only: called at each `ctx.stalls.point(name)`, e.g. to busy-wait there (a stalled machine, on purpose). */
  stallHook?: (scenario: string, point: string) => void;
}

/** Events for live renderers (spinner, tour): the runner itself never prints. */
export type RunEvent =
  | { type: "scenario-start"; id: string; title: string }
  | { type: "step-start"; id: string; index: number; total: number; title: string }
  | { type: "step-progress"; id: string; done: number; total: number; label?: string }
  | { type: "step-end"; id: string; step: StepResult }
  | { type: "scenario-end"; result: ScenarioResult };

/** What to do with the next step: run it, leave it out, or end the scenario here (teardown still runs). */
export type StepAction = "run" | "skip" | "stop";

/** Optional hooks for an interactive caller (the tour); other callers pass none and every step runs. */
export interface RunHooks {
  /** Called before each step; may wait for the user. */
  beforeStep?(info: {
    id: string;
    index: number;
    total: number;
    title: string;
    say?: string;
  }): StepAction | Promise<StepAction>;
}

/** A scenario with the parameters to run it with. Built with `planRun`, which checks the two belong together. */
export interface ScenarioRun {
  // The run list mixes scenarios with different parameter and state types; `planRun` is where they are checked.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  def: ScenarioDef<any, any>;
  params: unknown;
}

export function planRun<P, S>(def: ScenarioDef<P, S>, params: P): ScenarioRun {
  return { def, params };
}

export async function runScenario(
  run: ScenarioRun,
  env: RunEnv,
  onEvent: (event: RunEvent) => void = () => {},
  hooks: RunHooks = {},
): Promise<ScenarioResult> {
  const { def, params } = run;
  const support = env.support ?? supportFromVersion(env.target);
  const title = typeof def.title === "function" ? def.title(params, support) : def.title;
  const started = performance.now();
  const result: ScenarioResult = {
    id: def.id,
    title,
    explain: def.explain,
    ...(def.chapter ? { chapter: def.chapter } : {}),
    ok: true,
    status: "passed",
    params: params as Record<string, unknown>,
    steps: [],
    metrics: {},
    checks: [],
    figures: [],
    ms: 0,
  };
  env.keys.owner = def.id;
  onEvent({ type: "scenario-start", id: def.id, title });
  const needs = typeof def.needs === "function" ? def.needs(params) : (def.needs ?? []);
  const nameParam: NameParam = env.nameParam ?? ((param) => param);
  const unmet = unmetNeeds(needs, support) ?? def.unavailable?.(params, support, nameParam);
  if (unmet !== undefined) {
    // Nothing is sent: the server was asked once, by the probe, and it lacks what the scenario cannot do without.
    result.status = "skipped";
    result.skipped = unmet;
    result.ms = performance.now() - started;
    onEvent({ type: "scenario-end", result });
    return result;
  }
  const scenarioMark = env.recorder.mark();
  // Whether this process kept time during the scenario: asked by the timing-sensitive ones (ctx.stalls).
  const stalls = startStallMonitor({ hook: (point) => env.stallHook?.(def.id, point) });
  let current: StepResult | undefined;
  // Connections to other servers (ctx.connectTo), closed in the teardown step so their QUIT is in the trace.
  const others: Connection[] = [];
  const ctx: ScenarioContext<unknown> = {
    params,
    nameParam,
    redis: env.redis,
    keys: env.keys,
    clock: clockFor(env.clockMode),
    target: env.target,
    signal: env.signal,
    server: support,
    stalls,
    fallback: (text) => {
      const list = (result.fallbacks ??= []);
      if (!list.includes(text)) list.push(text);
      current?.notes.push(`fallback: ${text}`);
    },
    inconclusive: (reason) => {
      result.inconclusive = result.inconclusive ? `${result.inconclusive}; ${reason}` : reason;
    },
    note: (text) => current?.notes.push(text),
    progress: (done, total, label) =>
      onEvent({ type: "step-progress", id: def.id, done, total, ...(label !== undefined ? { label } : {}) }),
    table: (table: TableData) => current?.tables.push(table),
    plot: (plot) => {
      if (current) (current.plots ??= []).push(plot);
    },
    metric: (name: string, value: MetricValue) => {
      result.metrics[name] = value;
    },
    check: (name, ok, { evidence, ...details }) => {
      // Evidence is kept for a failed check only (and only then computed): a passing run's report stays as it was.
      const kept = ok ? undefined : keepEvidence(typeof evidence === "function" ? evidence() : evidence);
      const check: CheckResult = {
        name,
        ok,
        ...details,
        ...(kept && Object.keys(kept).length > 0 ? { evidence: kept } : {}),
      };
      result.checks.push(check);
      return ok;
    },
    figure: (figure) => result.figures.push(figure),
    commands: () => withoutHandshake(env.recorder.since(scenarioMark)),
    connect: (label, options) => env.newClient(label, options),
    connectTo: async (url, label, options) => {
      const connection = await connectTarget({
        url,
        label,
        timeoutMs: options?.connectTimeoutMs ?? options?.timeoutMs ?? 2_000,
        ...(options?.timeoutMs !== undefined ? { commandTimeoutMs: options.timeoutMs } : {}),
        recorder: env.recorder,
        recordNode: true,
      });
      others.push(connection);
      return connection.redis;
    },
    external: (client, argv, run, reply) => env.recorder.external(client, "db", argv, run, reply),
  };

  let failure: { err: unknown } | undefined;
  let state: unknown;
  try {
    state = def.init(params);
    const steps = def.steps(params, support);
    for (const [index, step] of steps.entries()) {
      if (env.signal.aborted) throw new InterruptedError();
      if (hooks.beforeStep) {
        const action = await hooks.beforeStep({
          id: def.id,
          index,
          total: steps.length,
          title: step.title,
          ...(step.say ? { say: step.say } : {}),
        });
        if (env.signal.aborted) throw new InterruptedError();
        if (action === "stop") break;
        if (action === "skip") continue;
      }
      onEvent({ type: "step-start", id: def.id, index, total: steps.length, title: step.title });
      const mark = env.recorder.mark();
      const stepStarted = performance.now();
      current = {
        title: step.title,
        ...(step.say ? { say: step.say } : {}),
        commands: [],
        notes: [],
        tables: [],
        ms: 0,
      };
      result.steps.push(current);
      try {
        await step.run(ctx, state);
      } catch (err) {
        current.error = err instanceof Error ? describeServerError(err) : String(err);
        const refused = refusedCommand(env.recorder.since(mark));
        result.errorAt = { step: step.title, ...(refused ? { command: shortArgv(refused.argv) } : {}) };
        throw err;
      } finally {
        // All of it, including the handshake of a connection the step opened (ctx.connect): it went over the wire.
        current.commands = env.recorder.since(mark);
        current.ms = performance.now() - stepStarted;
        onEvent({ type: "step-end", id: def.id, step: current });
      }
    }
  } catch (err) {
    failure = { err };
  }
  if (def.teardown || others.length > 0) {
    // A last step, shown only when it sent or said something. After Ctrl-C the recorder refuses new commands; the
    // teardown must still reach the database (DROP TABLE), so the gate is lifted for it, as for the key cleanup.
    const step: StepResult = { title: "Teardown", commands: [], notes: [], tables: [], ms: 0 };
    current = step;
    const aborted = env.signal.aborted;
    if (aborted) env.recorder.setAbortSignal(undefined);
    const mark = env.recorder.mark();
    const stepStarted = performance.now();
    try {
      await def.teardown?.(ctx, state);
    } catch (err) {
      step.error = err instanceof Error ? err.message : String(err);
      if (failure === undefined) {
        failure = { err };
        result.errorAt = { step: "Teardown" };
      }
    } finally {
      await Promise.all(others.map((c) => c.close().catch(() => {})));
      if (aborted) env.recorder.setAbortSignal(env.signal);
      step.commands = env.recorder.since(mark);
      step.ms = performance.now() - stepStarted;
      if (step.commands.length > 0 || step.notes.length > 0 || step.tables.length > 0 || step.error) {
        result.steps.push(step);
        onEvent({ type: "step-end", id: def.id, step });
      }
    }
  }
  stalls.stop();
  result.ms = performance.now() - started;
  if (failure !== undefined) {
    const mapped = classifyStepError(failure.err);
    result.ok = false;
    result.status = "errored";
    result.error = mapped instanceof Error ? mapped.message : String(mapped);
    errorsOf.set(result, mapped);
    if (mapped instanceof InterruptedError || mapped instanceof DependencyError || mapped instanceof ScriptLoadError) {
      onEvent({ type: "scenario-end", result });
      throw mapped;
    }
  } else if (!result.checks.every((c) => c.ok)) {
    result.ok = false;
    result.status = "failed";
  } else if (result.inconclusive !== undefined) {
    result.status = "inconclusive";
  }
  onEvent({ type: "scenario-end", result });
  return result;
}

/** The error object a scenario ended with (not in the report, which carries its message): for the exit code. */
const errorsOf = new WeakMap<ScenarioResult, unknown>();

export function scenarioError(result: ScenarioResult): unknown {
  return errorsOf.get(result);
}

/**
 * The command the server refused in a step: the last one with an error, except that for a transaction it is the
 * queued command the server objected to (OOM, a wrong type), not the EXEC that then reported EXECABORT.
 */
function refusedCommand(commands: readonly RecordedCommand[]): RecordedCommand | undefined {
  const last = commands.findLast((c) => c.error !== undefined);
  if (!last?.batch || replyCode(last.error) !== "EXECABORT") return last;
  return commands.find((c) => c.batch?.id === last.batch!.id && c.error !== undefined && c !== last) ?? last;
}

/**
 * An argv for one line: arguments longer than `longest` (a script's source, a big value) cut to their start and size.
 */
export function shortArgv(argv: readonly string[], longest = 60): string {
  return argv
    .map((a) => (a.length > longest ? `${a.slice(0, 40).replace(/\s+/g, " ")}…(${a.length} bytes)` : a))
    .join(" ");
}

/** What the scenario itself sent: not the connection handshake, not the run's TTL guard (src/redis/ttl-guard.ts). */
function withoutHandshake(commands: RecordedCommand[]): RecordedCommand[] {
  return commands.filter((c) => c.phase === undefined);
}

export interface CleanupResult {
  /** Whether the run's keys were kept (--keep). */
  kept: boolean;
  keys: number;
  deleted: number;
  /** Keys the run named but did not create (a command failed on them with WRONGTYPE): left as they were. */
  left?: string[];
  commands: RecordedCommand[];
  error?: string;
  /** When the cleanup could not finish: the `redis-patterns cleanup …` command that removes what is left. */
  command?: string;
}

/**
 * Delete every key the run created, unless asked to keep them; then give up the prefix (its marker). Runs after
 * success, failure and Ctrl-C alike. A key the run named but found holding something else is never deleted. With
 * --keep the kept keys' TTLs are capped to KEPT_TTL_MS and the marker lists them, for `cleanup --prefix`.
 */
export async function cleanupRun(
  env: Pick<RunEnv, "redis" | "recorder" | "keys" | "claim" | "ttl">,
  keep: boolean,
): Promise<CleanupResult> {
  env.ttl?.stop();
  const named = env.keys.created();
  const keys = env.keys.deletable(named);
  const foreign = env.keys.foreignKeys();
  const left = foreign.length > 0 ? { left: foreign } : {};
  // Cleanup must run even after Ctrl-C: lift the recorder's abort gate for it.
  env.recorder.setAbortSignal(undefined);
  const mark = env.recorder.mark();
  let deleted = 0;
  try {
    if (keep) {
      if (env.claim) {
        const existing = await capTtl(env.redis, keys, KEPT_TTL_MS, env.ttl?.ours());
        await env.claim.keep(existing);
      }
      return { kept: true, keys: named.length, deleted: 0, ...left, commands: env.recorder.since(mark) };
    }
    deleted = await deleteKeys(env.redis, keys);
    await env.claim?.release();
    return { kept: false, keys: named.length, deleted, ...left, commands: env.recorder.since(mark) };
  } catch (err) {
    return {
      kept: keep,
      keys: named.length,
      deleted,
      ...left,
      commands: env.recorder.since(mark),
      error: err instanceof Error ? err.message : String(err),
    };
  }
}
