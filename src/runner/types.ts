import type { Redis } from "ioredis";
import type { ClientOptions, Target } from "../redis/connection.js";
import type { KeySpace } from "../redis/keys.js";
import type { RecordedCommand, ReplyValue } from "../redis/recorder.js";
import type { Evidence, MeasuredValue } from "../check-failure.js";
import type { Clock } from "./clock.js";
import type { StallMonitor } from "./stalls.js";
import type { CommandLabel, ServerSupport } from "./support.js";

export type Cell = string | number | boolean | null;

/** A table a step produces; renderers decide how it looks (src/cli/render/table.ts, JSON, the tour). */
export interface TableData {
  title?: string;
  columns: string[];
  rows: Cell[][];
}

/**
 * A plot a step asks for, as data (in --json as it stands); the terminal draws it in Unicode blocks, or ASCII.
 * - timeline: events on a time axis (✓ passed / ✗ refused), with marked instants (window edges)
 * - histogram: the distribution of values (latencies)
 * - series: one value per trial against a band (an error within ±0.81%)
 * - spans: who held something when, one lane each (a lock's holders: overlaps are double holds)
 * - bars: labelled counts (the fate of every message)
 */
export type PlotData =
  | {
      kind: "timeline";
      title: string;
      /** Axis bounds and event times, in ms (scenario time). */
      from: number;
      to: number;
      marks: { at: number; label: string }[];
      events: { at: number; ok: boolean }[];
      okLabel: string;
      notOkLabel: string;
    }
  | {
      kind: "histogram";
      title: string;
      values: number[];
      /** How many times each value counts (an already bucketed histogram); 1 each when absent. */
      weights?: number[];
      unit: string;
      reference?: { value: number; label: string };
    }
  | {
      kind: "series";
      title: string;
      values: number[];
      unit: string;
      band: { low: number; high: number; label: string };
    }
  | {
      kind: "spans";
      title: string;
      from: number;
      to: number;
      lanes: { label: string; spans: { from: number; to: number }[] }[];
    }
  | { kind: "bars"; title: string; bars: { label: string; value: number }[] };

export interface CheckResult {
  name: string;
  ok: boolean;
  expected?: unknown;
  actual?: unknown;
  /** One line on why it matters or what went wrong. */
  detail?: string;
  /**
   * What proves the outcome: the trace's commands (by `seq`, with their replies) and the values it was judged on.
   * Every check gives it (CheckDetails); the report keeps it for a failed check only. See src/check-failure.ts.
   */
  evidence?: Evidence;
}

/**
 * What a scenario states with each check: what it expected, what the run saw, and the evidence (the trace's commands
 * the verdict rests on, the values judged). `evidence` may be a function: it is then called only when the check fails,
 * so a passing run does not pay for searching the trace. test/architecture/check-evidence.test.ts keeps every check
 * site giving all three.
 */
export interface CheckDetails {
  expected: unknown;
  actual: unknown;
  /** One line on why it matters or what went wrong. */
  detail?: string;
  evidence: Evidence | (() => Evidence);
}

export type MetricValue = MeasuredValue;

/** A figure the chapter quotes, next to what this run measured on this server. */
export interface Figure {
  /** What is measured, e.g. "memory of a 1M-member sorted set". */
  what: string;
  /** The chapter's figure as it stands there, e.g. "~100 MB". */
  chapter: string;
  /** The measurement, with its unit, e.g. "91.2 MB (extrapolated from 10,000 members)". */
  measured: string;
  /** Whether the measurement agrees with the chapter, where that can be judged. */
  agrees?: boolean;
  note?: string;
}

export interface StepResult {
  title: string;
  say?: string;
  commands: RecordedCommand[];
  notes: string[];
  tables: TableData[];
  /** Plots of this step's numbers (drawn in the terminal, data in --json). */
  plots?: PlotData[];
  ms: number;
  error?: string;
}

/**
 * How a scenario ended. passed: every check held. failed: a check did not hold. errored: a step threw (the server
 * refused a command, the connection dropped). skipped: the server lacks what the scenario needs (`skipped` says
 * what). inconclusive: the client machine was too slow to show the point (`inconclusive` says how slow); never a pass.
 */
export type ScenarioStatus = "passed" | "failed" | "errored" | "skipped" | "inconclusive";

export interface ScenarioResult {
  id: string;
  title: string;
  explain: string;
  chapter?: string;
  /**
   * Whether the scenario leaves the run ok: true when passed, also for skipped and inconclusive, which are not
   * failures unless `smoke --strict` (then false, and JUnit writes them as <failure>).
   */
  ok: boolean;
  status: ScenarioStatus;
  /** Why the scenario was skipped: the commands it needs and why this server lacks them. */
  skipped?: string;
  /** Why the run could not show the point (e.g. the event loop stalled longer than the lock's TTL). */
  inconclusive?: string;
  /** What was sent instead of a command this server lacks, e.g. "ZRANGEBYSCORE instead of ZRANGE … BYSCORE". */
  fallbacks?: string[];
  params: Record<string, unknown>;
  steps: StepResult[];
  metrics: Record<string, MetricValue>;
  checks: CheckResult[];
  /** The chapter's figures next to this run's measurements. */
  figures: Figure[];
  ms: number;
  error?: string;
  /** For an error: the step it happened in and the command the server refused (as sent), when there was one. */
  errorAt?: { step: string; command?: string };
}

/** What a step sees: the recorded client, the run's key space and clock, and ways to report. Nothing here prints. */
/**
 * Names a parameter in a message (a skip reason, an error, a note): its own name (`serverBinary`) unless the caller
 * words it otherwise (the CLI: its flag, `--server-binary`). Scenarios know no CLI flags.
 */
export type NameParam = (param: string) => string;

export interface ScenarioContext<P> {
  readonly params: P;
  /** How the caller names a parameter in a message (the CLI: its flag). */
  readonly nameParam: NameParam;
  readonly redis: Redis;
  readonly keys: KeySpace;
  readonly clock: Clock;
  readonly target: Target;
  readonly signal: AbortSignal;
  /** What this server can run: a step picks a fallback with `server.has("COPY")`. */
  readonly server: ServerSupport;
  /**
   * Whether this process kept time: `stalls.longest(from, to)` is the longest its event loop was stopped within a
   * window (performance.now() ms). A timing-sensitive step asks it before blaming the pattern for what it saw.
   */
  readonly stalls: StallMonitor;
  /** Record that a fallback was sent instead of a missing command (also a note on the current step). */
  fallback(text: string): void;
  /**
   * Mark the run inconclusive: the client machine was too slow to show the point (a real violation still fails its
   * check; this only stops a pass from being claimed on evidence the run could not produce).
   */
  inconclusive(reason: string): void;
  /** A line of narration attached to the current step (what happened, why it matters). */
  note(text: string): void;
  /**
   * How far a long step has got (e.g. a bulk load): passed on as a `step-progress` event for a progress bar; not in the
   * report.
   */
  progress(done: number, total: number, label?: string): void;
  table(table: TableData): void;
  /** A plot of numbers people would rather see than read (see PlotData). */
  plot(plot: PlotData): void;
  metric(name: string, value: MetricValue): void;
  /** Record a check with what was expected, what was seen and the evidence; returns `ok` so steps can branch on it. */
  check(name: string, ok: boolean, details: CheckDetails): boolean;
  /** Record the chapter's figure next to the measured one (shown as a table, and in --json as `figures`). */
  figure(figure: Figure): void;
  /** Commands this scenario has sent so far (not counting the connection handshake). */
  commands(): readonly RecordedCommand[];
  /**
   * Another recorded connection to the same server, for a second app instance or a worker: its commands appear
   * in the trace labelled with `label`. Closed when the run ends. `via` routes it through a local TCP forwarder (a
   * delay proxy standing for a network hop), with the same credentials.
   */
  connect(label: string, options?: ClientOptions): Promise<Redis>;
  /**
   * A recorded connection to ANOTHER server (a Redlock node, a replica the scenario started): its commands appear in
   * the trace labelled with `label`, each with the server's address as its `node`. `timeoutMs` bounds every command
   * (2 s by default); `connectTimeoutMs` the connect and its handshake (`timeoutMs` by default). Closed at the end of
   * the scenario (its QUIT is in the "Teardown" step). Rejects with a ConnectError when nothing answers.
   */
  connectTo(url: string, label: string, options?: { timeoutMs?: number; connectTimeoutMs?: number }): Promise<Redis>;
  /** Run a call to another system (the database behind a cache) and record it in the trace as `source: "db"`. */
  external<T>(client: string, argv: string[], run: () => Promise<T>, reply?: (value: T) => ReplyValue): Promise<T>;
}

export interface StepDef<P, S> {
  title: string;
  /** Plain-words narration shown before the step runs: why these commands, their cost, the trade-off. */
  say?: string;
  run(ctx: ScenarioContext<P>, state: S): Promise<void>;
}

/**
 * A scenario is data: an id matching its path under scenarios/, words for the reader, default parameters, and steps
 * built from the parameters. The same definition feeds the terminal, --json, the tour and smoke.
 */
export interface ScenarioDef<P, S = Record<string, never>> {
  id: string;
  /** With `server`, a title can name the fallback this server gets (BRPOPLPUSH where BLMOVE is missing). */
  title: string | ((params: P, server: ServerSupport) => string);
  explain: string;
  /** Where in the chapter it comes from, e.g. "4.2 Rate limiting". */
  chapter?: string;
  defaults: P;
  /**
   * Command forms (labels of src/doctor/requirements.ts) the scenario cannot do without, whatever its fallbacks:
   * on a server that lacks one (too old, renamed, no Lua, denied by the ACL) the scenario is skipped with the reason.
   */
  needs?: readonly CommandLabel[] | ((params: P) => readonly CommandLabel[]);
  /**
   * Any other reason this scenario cannot run here (no redis-server binary to start a replica, …): return the
   * reason, and the scenario is skipped with it, as for `needs`. Checked before anything is sent.
   */
  unavailable?(params: P, server: ServerSupport, nameParam: NameParam): string | undefined;
  /**
   * An upper estimate, in bytes, of the memory the scenario's keys take on the target at their peak, from its
   * parameters (ELEMENT_BYTES in src/redis/memory.ts): the eviction guard refuses a run that could make a server with
   * an evicting policy evict keys. DEFAULT_SCENARIO_FOOTPRINT when absent (a scenario of a few hundred small keys).
   */
  footprint?(params: P): number;
  /** Fresh mutable state shared by the steps of one run. */
  init(params: P): S;
  /** The steps; `server` lets a title name the fallback a step will send (BRPOPLPUSH where BLMOVE is missing). */
  steps(params: P, server: ServerSupport): StepDef<P, S>[];
  /**
   * Release what the steps took outside Redis (a database table, a temporary file, a background worker). Runs once
   * after the steps, also after a failed step or Ctrl-C; what it sends is reported as a last step, "Teardown".
   * Redis keys need none: the run deletes every key it named.
   */
  teardown?(ctx: ScenarioContext<P>, state: S): Promise<void>;
}

export function defineScenario<P, S>(def: ScenarioDef<P, S>): ScenarioDef<P, S> {
  return def;
}
