import type { Redis } from "ioredis";
import { AuthError, ConnectError, InterruptedError, ScriptLoadError } from "../errors.js";
import { deleteKeys } from "../redis/cleanup.js";
import { connectTarget, type Connection, type Target } from "../redis/connect.js";
import type { KeySpace } from "../redis/keys.js";
import type { CommandRecorder, RecordedCommand } from "../redis/recorder.js";
import { clockFor, type ClockMode } from "./clock.js";
import type {
  CheckResult,
  MetricValue,
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
  /** Open another recorded connection to the same server (closed by whoever owns the connection). */
  newClient(label: string): Promise<Redis>;
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

/** Errors that end the whole run (no point in trying the next scenario) rather than fail one scenario. */
function isFatal(err: unknown): boolean {
  return (
    err instanceof InterruptedError ||
    err instanceof ConnectError ||
    err instanceof AuthError ||
    err instanceof ScriptLoadError
  );
}

/** A Redis error reply or socket failure during a step, mapped so NOPERM and lost connections end the run. */
function classifyStepError(err: unknown): unknown {
  if (!(err instanceof Error) || isFatal(err)) return err;
  if (/^NOPERM/.test(err.message)) return new AuthError(`permission denied: ${err.message}`, { cause: err });
  if (/^NOAUTH/.test(err.message)) return new AuthError(`authentication required: ${err.message}`, { cause: err });
  if (/Connection is closed|Command timed out|ECONNRESET|EPIPE|Stream isn't writeable/.test(err.message)) {
    return new ConnectError(`lost the server: ${err.message}`, { cause: err });
  }
  return err;
}

export async function runScenario(
  run: ScenarioRun,
  env: RunEnv,
  onEvent: (event: RunEvent) => void = () => {},
  hooks: RunHooks = {},
): Promise<ScenarioResult> {
  const { def, params } = run;
  const title = typeof def.title === "function" ? def.title(params) : def.title;
  const started = performance.now();
  const result: ScenarioResult = {
    id: def.id,
    title,
    explain: def.explain,
    ...(def.chapter ? { chapter: def.chapter } : {}),
    ok: true,
    params: params as Record<string, unknown>,
    steps: [],
    metrics: {},
    checks: [],
    figures: [],
    ms: 0,
  };
  env.keys.owner = def.id;
  onEvent({ type: "scenario-start", id: def.id, title });
  const scenarioMark = env.recorder.mark();
  let current: StepResult | undefined;
  // Connections to other servers (ctx.connectTo), closed in the teardown step so their QUIT is in the trace.
  const others: Connection[] = [];
  const ctx: ScenarioContext<unknown> = {
    params,
    redis: env.redis,
    keys: env.keys,
    clock: clockFor(env.clockMode),
    target: env.target,
    signal: env.signal,
    note: (text) => current?.notes.push(text),
    progress: (done, total, label) =>
      onEvent({ type: "step-progress", id: def.id, done, total, ...(label !== undefined ? { label } : {}) }),
    table: (table: TableData) => current?.tables.push(table),
    metric: (name: string, value: MetricValue) => {
      result.metrics[name] = value;
    },
    check: (name, ok, details = {}) => {
      const check: CheckResult = { name, ok, ...details };
      result.checks.push(check);
      return ok;
    },
    figure: (figure) => result.figures.push(figure),
    commands: () => withoutHandshake(env.recorder.since(scenarioMark)),
    connect: (label) => env.newClient(label),
    connectTo: async (url, label, options) => {
      const connection = await connectTarget({
        url,
        label,
        timeoutMs: options?.timeoutMs ?? 2_000,
        recorder: env.recorder,
        recordNode: true,
      });
      others.push(connection);
      return connection.redis;
    },
    external: (client, argv, run, reply) => env.recorder.external(client, "db", argv, run, reply),
  };

  const state = def.init(params);
  const steps = def.steps(params);
  let failure: { err: unknown } | undefined;
  try {
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
        current.error = err instanceof Error ? err.message : String(err);
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
      failure ??= { err };
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
  if (failure !== undefined) {
    const mapped = classifyStepError(failure.err);
    result.ok = false;
    result.error = mapped instanceof Error ? mapped.message : String(mapped);
    result.ms = performance.now() - started;
    if (isFatal(mapped)) {
      onEvent({ type: "scenario-end", result });
      throw mapped;
    }
  }
  result.ok = result.ok && result.checks.every((c) => c.ok);
  result.ms = performance.now() - started;
  onEvent({ type: "scenario-end", result });
  return result;
}

function withoutHandshake(commands: RecordedCommand[]): RecordedCommand[] {
  return commands.filter((c) => c.phase !== "handshake");
}

export interface CleanupResult {
  /** Whether the run's keys were kept (--keep). */
  kept: boolean;
  keys: number;
  deleted: number;
  commands: RecordedCommand[];
  error?: string;
}

/** Delete every key the run named, unless asked to keep them. Runs after success, failure and Ctrl-C alike. */
export async function cleanupRun(
  env: Pick<RunEnv, "redis" | "recorder" | "keys">,
  keep: boolean,
): Promise<CleanupResult> {
  const keys = env.keys.created();
  if (keep) return { kept: true, keys: keys.length, deleted: 0, commands: [] };
  // Cleanup must run even after Ctrl-C: lift the recorder's abort gate for it.
  env.recorder.setAbortSignal(undefined);
  const mark = env.recorder.mark();
  try {
    const deleted = await deleteKeys(env.redis, keys);
    return { kept: false, keys: keys.length, deleted, commands: env.recorder.since(mark) };
  } catch (err) {
    return {
      kept: false,
      keys: keys.length,
      deleted: 0,
      commands: env.recorder.since(mark),
      error: err instanceof Error ? err.message : String(err),
    };
  }
}
