/**
 * The property-based search (fast-check) over a user's limiter: random traffic (bursts, clocks behind, costs, an app
 * that dies between commands), and the shrinking that turns a violation into the shortest sequence that still shows
 * it. The caller runs the requests (see `SequenceRunner`); user-check.ts judges them.
 */
import fc from "fast-check";
import type { Observation, SeqRequest, Violation, ViolationKind } from "./user-check.js";

/**
 * Random traffic as fast-check generates it: gaps between requests (so bursts, steady streams and quiet stretches
 * all come up), some requests stamped by a clock that is behind, some costing more, some where the app dies.
 */
export interface TrafficValue {
  /** The first request's offset from a window edge. */
  start: number;
  steps: { c: number; gap: number; cost: number; crash: number; back: number }[];
}

/**
 * A sequence as it is shrunk: each request at its own offset from a window edge, sent in array order (an offset
 * lower than the one before is a clock that is behind). Dropping a request leaves the others where they were.
 */
export type SequenceValue = { c: number; t: number; cost: number; crash: number }[];

export interface SpaceOptions {
  clients: readonly string[];
  windowMs: number;
  maxCost: number;
  maxLength: number;
  /** The limiter sends several commands per request: try the app dying between them. */
  crash: boolean;
  /** Random clocks: some requests carry a clock that is behind. */
  skew: boolean;
}

const crashArb = (on: boolean) =>
  on
    ? fc.oneof({ arbitrary: fc.constant(0), weight: 5 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 })
    : fc.constant(0);

export function trafficArbitrary(o: SpaceOptions): fc.Arbitrary<TrafficValue> {
  const w = o.windowMs;
  const gap = fc.oneof(
    { arbitrary: fc.constant(0), weight: 2 },
    { arbitrary: fc.integer({ min: 0, max: Math.max(1, Math.ceil(w / 20)) }), weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: 2 * w }), weight: 1 },
  );
  const step = fc.record({
    c: fc.integer({ min: 0, max: Math.max(0, o.clients.length - 1) }),
    gap,
    cost: o.maxCost > 1 ? fc.integer({ min: 1, max: o.maxCost }) : fc.constant(1),
    crash: crashArb(o.crash),
    back: o.skew
      ? fc.oneof(
          { arbitrary: fc.constant(0), weight: 6 },
          { arbitrary: fc.integer({ min: 1, max: Math.max(1, Math.floor(w / 2)) }), weight: 1 },
        )
      : fc.constant(0),
  });
  return fc.record({
    start: fc.integer({ min: 0, max: w - 1 }),
    steps: fc.array(step, { minLength: 1, maxLength: o.maxLength }),
  });
}

/** Generated traffic → requests, with times counted from `base` (a window edge). */
export function trafficRequests(value: TrafficValue, base: number, clients: readonly string[]): SeqRequest[] {
  let t = base + value.start;
  return value.steps.map((s) => {
    t += s.gap;
    return {
      client: clients[s.c] ?? clients[0]!,
      at: t - s.back,
      cost: s.cost,
      ...(s.crash > 0 ? { crashAfter: s.crash } : {}),
    };
  });
}

function sequenceArbitrary(o: SpaceOptions, maxT: number): fc.Arbitrary<SequenceValue> {
  return fc.array(
    fc.record({
      c: fc.integer({ min: 0, max: Math.max(0, o.clients.length - 1) }),
      t: fc.integer({ min: 0, max: maxT }),
      cost: fc.integer({ min: 1, max: Math.max(1, o.maxCost) }),
      crash: fc.integer({ min: 0, max: o.crash ? 3 : 0 }),
    }),
    { minLength: 1, maxLength: o.maxLength },
  );
}

/** A window edge at or before every request, so shrunk times stay aligned with the limiter's windows. */
function baseOf(requests: readonly SeqRequest[], windowMs: number): number {
  const first = Math.min(...requests.map((r) => r.at));
  return Math.floor(first / windowMs) * windowMs;
}

/** Run a sequence in a fresh namespace and judge it. `inspect`: also SCAN its keys (needed for ttl and keys). */
export type SequenceRunner = (
  requests: SeqRequest[],
  inspect: boolean,
) => Promise<{ observed: Observation[]; violations: Violation[] }>;

export interface Shrunk {
  kind: ViolationKind;
  violation: Violation;
  requests: SeqRequest[];
  observed: Observation[];
  /** How many candidates fast-check tried on the way. */
  shrinks: number;
  /** Shrinking stopped at the time limit: shorter may exist. */
  interrupted: boolean;
}

const needsKeys = (kind: ViolationKind) => kind === "ttl" || kind === "namespace";

/**
 * The shortest sequence that still shows a violation of `kind`, starting from a sequence that does (`example`).
 * fast-check shrinks: drops requests, moves them earlier, lowers costs, removes crashes, and keeps any change that
 * still fails. Deterministic for a given seed.
 */
export async function shrinkViolation(
  kind: ViolationKind,
  example: readonly SeqRequest[],
  run: SequenceRunner,
  o: SpaceOptions & { seed: number; timeLimitMs: number },
): Promise<Shrunk | undefined> {
  if (example.length === 0) return undefined;
  const clients = [...new Set([...o.clients, ...example.map((r) => r.client)])];
  const base = baseOf(example, o.windowMs);
  const value: SequenceValue = example.map((r) => ({
    c: clients.indexOf(r.client),
    t: r.at - base,
    cost: r.cost,
    crash: r.crashAfter ?? 0,
  }));
  const maxT = Math.max(3 * o.windowMs, ...value.map((v) => v.t));
  const maxCost = Math.max(o.maxCost, ...value.map((v) => v.cost));
  const toReq = (v: SequenceValue): SeqRequest[] =>
    v.map((s) => ({
      client: clients[s.c]!,
      at: base + s.t,
      cost: s.cost,
      ...(s.crash > 0 ? { crashAfter: s.crash } : {}),
    }));
  let shrinks = 0;
  let interrupted = false;
  const arb = sequenceArbitrary({ ...o, clients, maxCost, maxLength: Math.max(o.maxLength, value.length) }, maxT);
  // fast-check shrinks a given example (one it did not generate) by dropping leading and middle elements but not the
  // last one; a second pass over the reversed sequence drops trailing ones. Both passes are fast-check's shrinking.
  const pass = async (start: SequenceValue, reversed: boolean): Promise<SequenceValue | undefined> => {
    const order = (v: SequenceValue) => (reversed ? [...v].reverse() : v);
    const property = fc.asyncProperty(arb, async (candidate) => {
      shrinks += 1;
      const { violations } = await run(toReq(order(candidate)), needsKeys(kind));
      return !violations.some((v) => v.kind === kind);
    });
    const details = await fc.check(property, {
      examples: [[order(start)]],
      numRuns: 1, // the example only: examples count towards numRuns
      seed: o.seed,
      interruptAfterTimeLimit: o.timeLimitMs,
      markInterruptAsFailure: false,
    });
    interrupted ||= details.interrupted;
    const found = details.counterexample?.[0];
    return details.failed && found ? order(found) : undefined;
  };
  const first = await pass(value, false);
  const found = first && first.length > 1 && !interrupted ? ((await pass(first, true)) ?? first) : first;
  if (!found) return undefined;
  // Replay the shortest once more, in fresh keys, for the report: its decisions and the violation.
  const requests = toReq(found);
  const { observed, violations } = await run(requests, true);
  const violation = violations.find((v) => v.kind === kind);
  if (!violation) return undefined;
  return { kind, violation, requests, observed, shrinks, interrupted };
}

export interface FuzzResult {
  runs: number;
  seed: number;
  /** The first failing sequence, shrunk. */
  failure?: Shrunk;
  /** How many requests the failing sequence had before shrinking. */
  failingLength?: number;
}

/**
 * `runs` random sequences (shapes, clients, costs, clocks, crashes) from `seed`; the first that fails is shrunk to
 * the shortest sequence showing the same kind of violation. The same seed generates the same sequences.
 */
export async function fuzz(
  runs: number,
  run: SequenceRunner,
  o: SpaceOptions & { base: number; seed: number; timeLimitMs: number; shrinkTimeLimitMs: number },
): Promise<FuzzResult> {
  let failing: { requests: SeqRequest[]; kind: ViolationKind } | undefined;
  const property = fc.asyncProperty(trafficArbitrary(o), async (value) => {
    const requests = trafficRequests(value, o.base, o.clients);
    const { violations } = await run(requests, true);
    if (violations.length > 0) failing = { requests, kind: violations[0]!.kind };
    return violations.length === 0;
  });
  // The first failure is enough: it is shrunk below in the representation that shrinks best.
  const details = await fc.check(property, {
    numRuns: runs,
    seed: o.seed,
    endOnFailure: true,
    interruptAfterTimeLimit: o.timeLimitMs,
    markInterruptAsFailure: false,
  });
  if (!details.failed || !failing) return { runs: details.numRuns, seed: o.seed };
  const failure = await shrinkViolation(failing.kind, failing.requests, run, {
    ...o,
    timeLimitMs: o.shrinkTimeLimitMs,
  });
  return {
    runs: details.numRuns,
    seed: o.seed,
    failingLength: failing.requests.length,
    ...(failure ? { failure } : {}),
  };
}
