/**
 * `ratelimit --script` (scenarios/ratelimit/user-script.ts): its parameters, the state its steps share, and how a
 * request sequence is shown (one line, or a table with the violating request marked).
 */
import {
  type CheckConfig,
  type Observation,
  type SeqRequest,
  type Violation,
  type ViolationKind,
} from "../../src/patterns/ratelimit/user-check.js";
import type { FuzzResult, Shrunk } from "../../src/patterns/ratelimit/user-fuzz.js";
import type { UserLimiter } from "../../src/patterns/ratelimit/user-script.js";
import type { ClockMode } from "../../src/runner/clock.js";
import type { ScenarioContext, TableData } from "../../src/runner/types.js";
import { fmtTime, limitLabel } from "./algorithm-run.js";

export interface UserScriptParams {
  /** The limiter (not serialised into the report: the scripts' source is in `scripts`). */
  limiter: UserLimiter;
  config: CheckConfig;
  /** Requests per client in each traffic phase. */
  requestsPerClient: number;
  /** Clients of the "many clients" phase (alice, bob, …). */
  clients: string[];
  /** App instances, each on its own connection, in the concurrent phase. */
  instances: number;
  cost: number;
  clock: ClockMode;
  /** Random sequences to try after the phases (0: none), from `seed`. */
  fuzz: number;
  seed: number;
  /** Longest fast-check may spend shrinking one violation (and on the whole fuzz run), ms. */
  shrinkTimeMs: number;
  fuzzTimeMs: number;
}

export interface Evidence {
  phase: string;
  violation: Violation;
  requests: SeqRequest[];
  /** Sequential phases can be replayed; a race between app instances may not be. */
  replayable: boolean;
}

export interface UserScriptState {
  runs: number;
  requests: number;
  evidence: Map<ViolationKind, Evidence>;
  shrunk: Map<ViolationKind, Shrunk>;
  fuzz?: FuzzResult;
  concurrent?: { expected: number; allowed: number[]; sent: number };
}

/** Params as the report shows them: everything but the limiter object, which is named instead. */
export function userScriptParams(p: Omit<UserScriptParams, never>): UserScriptParams {
  Object.defineProperty(p, "toJSON", {
    enumerable: false,
    value: () => {
      const { limiter, ...rest } = p;
      return { limiter: limiter.name, ...rest };
    },
  });
  return p;
}

export function promiseLabel(c: CheckConfig): string {
  if (c.contract === "bucket") return `a bucket of ${c.capacity}, refilled at ${c.refillPerSec}/s`;
  return `${limitLabel({ limit: c.limit, windowMs: c.windowMs } as never)} (${c.semantics})`;
}

const decisionMark = (o: Observation | undefined): string =>
  !o ? "" : o.crashed ? "† app died" : o.error ? "! error" : o.allowed ? "✓ allowed" : "✗ rejected";

/** The shortest sequence, one line: `alice 10:30:59.500 ✓ · alice 10:31:00.000 ✗ …`. */
export function sequenceText(requests: readonly SeqRequest[], observed: readonly Observation[]): string {
  return requests
    .map((r, i) => {
      const o = observed[i];
      const mark = !o ? "" : o.crashed ? " †" : o.error ? " !" : o.allowed ? " ✓" : " ✗";
      const crash = r.crashAfter ? ` (dies after ${r.crashAfter} command${r.crashAfter > 1 ? "s" : ""})` : "";
      return `${r.client} ${fmtTime(o?.at ?? r.at)}${r.cost !== 1 ? ` cost ${r.cost}` : ""}${crash}${mark}`;
    })
    .join(" · ");
}

export function sequenceTable(title: string, s: Shrunk): TableData {
  return {
    title,
    columns: ["#", "client", "time", "cost", "decision", ""],
    rows: s.requests.map((r, i) => [
      i + 1,
      r.client,
      fmtTime(s.observed[i]?.at ?? r.at),
      r.cost,
      decisionMark(s.observed[i]) + (r.crashAfter ? ` after ${r.crashAfter}` : ""),
      s.violation.index === i ? "← here" : "",
    ]),
  };
}

export function rootOf(ctx: ScenarioContext<UserScriptParams>): string {
  return `${ctx.keys.prefix}:ratelimit:script`;
}

export function register(ctx: ScenarioContext<UserScriptParams>, key: string): void {
  if (key.startsWith(`${ctx.keys.prefix}:`)) ctx.keys.key(key.slice(ctx.keys.prefix.length + 1));
}

export function remember(
  state: UserScriptState,
  phase: string,
  violations: Violation[],
  requests: SeqRequest[],
  replayable: boolean,
) {
  for (const v of violations) {
    if (!state.evidence.has(v.kind)) state.evidence.set(v.kind, { phase, violation: v, requests, replayable });
  }
}

export function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<ViolationKind>();
  return violations.filter((v) => !seen.has(v.kind) && seen.add(v.kind));
}
