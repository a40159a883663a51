/**
 * The invariants a rate limiter must keep, checked on what a user's limiter decided, and the property-based search
 * (fast-check) that turns a violation into the shortest request sequence that still shows it.
 *
 * No printing and no scenario context here: the caller runs the requests (see `SequenceRunner`) and this module
 * judges them, generates traffic, and shrinks.
 */
import fc from "fast-check";
import { isConnectionLost } from "../../redis/classify-error.js";
import { scanPrefix } from "../../redis/cleanup.js";
import type { RedisCaller } from "../../redis/types.js";
import { fixedWindowIndex } from "./fixed-window.js";
import {
  allowedPerAlignedWindow,
  maxInAnyWindow,
  modelFixedWindow,
  modelSlidingCounter,
  modelSlidingLog,
  modelTokenBucket,
  type ModelRequest,
} from "./model.js";
import type { RateLimitAlgorithm } from "./index.js";
import type { LimitConfig, UserLimiter } from "./user-script.js";

/** What the limiter promises: at most `limit` in any window of that length, in each calendar window, or a bucket. */
export const semanticsNames = ["sliding", "fixed", "bucket"] as const;
export type Semantics = (typeof semanticsNames)[number];

export interface CheckConfig extends LimitConfig {
  semantics: Semantics;
  /** A reference algorithm whose decisions must match exactly (--model); without it, liveness is judged locally. */
  model?: RateLimitAlgorithm;
}

/** One request of a sequence. `crashAfter` > 0: the app dies after that many of its commands for this request. */
export interface SeqRequest {
  client: string;
  at: number;
  cost: number;
  crashAfter?: number;
}

export interface Observation {
  /** null: no decision (the app died mid-request, or the call failed). */
  allowed: boolean | null;
  remaining: number | null;
  /** The time actually sent (in real time it is the wall clock when the request went out). */
  at: number;
  crashed?: boolean;
  error?: string;
}

export interface KeyInfo {
  key: string;
  /** PTTL: -1 no expiry, -2 gone. */
  pttl: number;
}

export const violationKinds = ["error", "over-limit", "liveness", "model", "negative", "ttl", "namespace"] as const;
export type ViolationKind = (typeof violationKinds)[number];

export interface Violation {
  kind: ViolationKind;
  message: string;
  client?: string;
  /** Index of the request that shows it, when one does. */
  index?: number;
}

/** The default reference for each promise: what an exact limiter with that promise decides. */
export function referenceFor(config: CheckConfig): RateLimitAlgorithm {
  if (config.model) return config.model;
  return config.semantics === "bucket" ? "token-bucket" : config.semantics === "fixed" ? "fixed-window" : "sliding-log";
}

export function checkName(kind: ViolationKind, config: CheckConfig): string {
  switch (kind) {
    case "error":
      return "every call answers as the contract says (no error reply, no crash of the script)";
    case "over-limit":
      return config.semantics === "bucket"
        ? "never more than capacity + refill × elapsed allowed"
        : config.semantics === "fixed"
          ? "never more than the limit in a calendar window (fixed)"
          : "never more than the limit in any window, wherever it starts (sliding)";
    case "liveness":
      return "a client with room left is never rejected (liveness)";
    case "model":
      return `decides exactly as the ${config.model ?? referenceFor(config)} model`;
    case "negative":
      return "what is left (remaining / tokens) is never negative";
    case "ttl":
      return "every key the script writes has a TTL";
    case "namespace":
      return "keys only under the client's key (KEYS[1])";
  }
}

/** The kinds checked for this configuration, in report order. */
export function kindsFor(config: CheckConfig): ViolationKind[] {
  return violationKinds.filter((k) => (config.model ? k !== "liveness" : k !== "model"));
}

function modelDecisions(algo: RateLimitAlgorithm, requests: ModelRequest[], config: CheckConfig): boolean[] {
  const window = { limit: config.limit, windowMs: config.windowMs };
  switch (algo) {
    case "fixed-window":
      return modelFixedWindow(requests, window).map((r) => r.allowed);
    case "sliding-log":
      return modelSlidingLog(requests, window).map((r) => r.allowed);
    case "sliding-counter":
      return modelSlidingCounter(requests, window).map((r) => r.allowed);
    case "token-bucket":
      return modelTokenBucket(
        requests,
        config.contract === "bucket"
          ? { ratePerSec: config.refillPerSec, burst: config.capacity }
          : { ratePerSec: (config.limit * 1000) / config.windowMs, burst: config.limit },
      ).map((r) => r.allowed);
  }
}

/** Judge one run: the requests, what the limiter decided, and every key it left under the run's namespace. */
export function findViolations(
  config: CheckConfig,
  requests: readonly SeqRequest[],
  observed: readonly Observation[],
  keys: readonly KeyInfo[] | undefined,
  keyOf: (client: string) => string,
): Violation[] {
  const out: Violation[] = [];
  const clients = [...new Set(requests.map((r) => r.client))];
  observed.forEach((o, index) => {
    if (o.error !== undefined) out.push({ kind: "error", message: o.error, client: requests[index]!.client, index });
    if (o.remaining !== null && o.remaining < 0) {
      out.push({
        kind: "negative",
        message: `request ${index + 1} left ${o.remaining}`,
        client: requests[index]!.client,
        index,
      });
    }
  });
  for (const client of clients) {
    const mine = requests.map((r, i) => ({ r, o: observed[i]!, i })).filter((x) => x.r.client === client);
    const allowed = mine.filter((x) => x.o.allowed === true).map((x) => ({ at: x.o.at, cost: x.r.cost, i: x.i }));
    const over = overLimit(config, allowed);
    if (over) out.push({ kind: "over-limit", client, ...over });
    // After a request that died half-way, the key's state is unknown to any model: judge nothing after it.
    const crashed = mine.findIndex((x) => x.o.crashed === true || x.o.allowed === null);
    const judged = crashed < 0 ? mine : mine.slice(0, crashed);
    if (config.model) {
      const expected = modelDecisions(
        config.model,
        judged.map((x) => ({ id: client, now: x.o.at, cost: x.r.cost })),
        config,
      );
      const first = judged.findIndex((x, k) => x.o.allowed !== expected[k]);
      if (first >= 0) {
        const x = judged[first]!;
        out.push({
          kind: "model",
          client,
          index: x.i,
          message: `request ${x.i + 1} (${client}): the ${config.model} model ${expected[first] ? "allows" : "rejects"} it, the script ${x.o.allowed ? "allowed" : "rejected"} it`,
        });
      }
    } else {
      const starved = starvedRequest(
        config,
        judged.map((x) => ({ at: x.o.at, cost: x.r.cost, allowed: x.o.allowed === true, i: x.i })),
      );
      if (starved) out.push({ kind: "liveness", client, ...starved });
    }
  }
  for (const k of keys ?? []) {
    if (k.pttl === -1) out.push({ kind: "ttl", message: `${k.key} has no expiry (PTTL -1)` });
    const owner = clients.find((c) => k.key === keyOf(c) || k.key.startsWith(`${keyOf(c)}:`));
    if (!owner) out.push({ kind: "namespace", message: `${k.key} is not KEYS[1] nor under it` });
  }
  return out;
}

function overLimit(
  config: CheckConfig,
  allowed: { at: number; cost: number; i: number }[],
): { message: string; index: number } | undefined {
  const { limit, windowMs } = config;
  if (config.semantics === "sliding") {
    const worst = maxInAnyWindow(allowed, windowMs);
    if (worst <= limit) return undefined;
    // The request that tipped it: the first allowed one whose window (ending at it) holds more than the limit.
    const sorted = [...allowed].sort((a, b) => a.at - b.at || a.i - b.i);
    for (let j = 0; j < sorted.length; j++) {
      const end = sorted[j]!;
      const total = sorted.filter((x, k) => k <= j && x.at > end.at - windowMs).reduce((n, x) => n + x.cost, 0);
      if (total > limit) {
        return {
          index: end.i,
          message: `${total} allowed within ${windowMs} ms (up to request ${end.i + 1}), limit ${limit}`,
        };
      }
    }
    return { index: sorted[sorted.length - 1]!.i, message: `${worst} allowed within ${windowMs} ms, limit ${limit}` };
  }
  if (config.semantics === "fixed") {
    for (const w of allowedPerAlignedWindow(allowed, windowMs)) {
      if (w.total > limit) {
        const inside = allowed.filter((x) => fixedWindowIndex(x.at, windowMs) * windowMs === w.windowStart);
        const last = inside.sort((a, b) => a.i - b.i)[inside.length - 1]!;
        return {
          index: last.i,
          message: `${w.total} allowed in the calendar window starting at ${new Date(w.windowStart).toISOString()}, limit ${limit}`,
        };
      }
    }
    return undefined;
  }
  // Bucket: between any two allowed requests, at most capacity + refill × elapsed tokens can have been spent.
  const sorted = [...allowed].sort((a, b) => a.at - b.at || a.i - b.i);
  for (let j = 0; j < sorted.length; j++) {
    let spent = 0;
    for (let i = j; i >= 0; i--) {
      spent += sorted[i]!.cost;
      const budget = config.capacity + (config.refillPerSec * (sorted[j]!.at - sorted[i]!.at)) / 1000;
      if (spent > budget + 1e-9) {
        return {
          index: sorted[j]!.i,
          message: `${spent} tokens spent in ${sorted[j]!.at - sorted[i]!.at} ms (up to request ${sorted[j]!.i + 1}), at most ${round(budget)} possible`,
        };
      }
    }
  }
  return undefined;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * Liveness without a model: a request rejected although the requests this limiter itself allowed leave room for it.
 * Sliding: what was allowed with a time after `at - window` (later times too: a clock may step back). Fixed: what
 * was allowed in the same calendar window. Bucket: the bucket that the allowed requests alone would have left.
 */
function starvedRequest(
  config: CheckConfig,
  seq: { at: number; cost: number; allowed: boolean; i: number }[],
): { message: string; index: number } | undefined {
  const { limit, windowMs } = config;
  let tokens = config.capacity;
  let ts: number | undefined;
  for (let k = 0; k < seq.length; k++) {
    const x = seq[k]!;
    const before = seq.slice(0, k).filter((y) => y.allowed);
    if (config.semantics === "bucket") {
      const last = ts ?? x.at;
      tokens = Math.min(config.capacity, tokens + (Math.max(0, x.at - last) * config.refillPerSec) / 1000);
      ts = Math.max(last, x.at);
      // A request stamped before one already seen (a clock that is behind) is not judged: buckets legitimately
      // differ on what such a request finds (whether a rejected request moved the refill time on, for one).
      const behind = x.at < last;
      if (!x.allowed && !behind && tokens >= x.cost + 1e-9 && x.cost <= config.capacity) {
        return {
          index: x.i,
          message: `request ${x.i + 1} was rejected with ${round(tokens)} tokens in the bucket for a cost of ${x.cost}`,
        };
      }
      if (x.allowed) tokens = Math.max(0, tokens - x.cost);
      continue;
    }
    const used =
      config.semantics === "fixed"
        ? before
            .filter((y) => fixedWindowIndex(y.at, windowMs) === fixedWindowIndex(x.at, windowMs))
            .reduce((n, y) => n + y.cost, 0)
        : before.filter((y) => y.at > x.at - windowMs).reduce((n, y) => n + y.cost, 0);
    if (!x.allowed && used + x.cost <= limit) {
      return {
        index: x.i,
        message: `request ${x.i + 1} was rejected with ${used} of ${limit} used in its ${config.semantics === "fixed" ? "calendar window" : `last ${windowMs} ms`}`,
      };
    }
  }
  return undefined;
}

// ---- running a sequence --------------------------------------------------------------------------------------------

/** The app died between two of its commands (crash injection). */
export class CrashError extends Error {
  override readonly name = "CrashError";
}

/** A caller that refuses every command after the first `after`: the app died there. */
export function crashingCaller(redis: RedisCaller, after: number): RedisCaller {
  let sent = 0;
  return {
    call(command, ...args) {
      if (sent >= after) return Promise.reject(new CrashError(`the app died after ${after} command(s)`));
      sent += 1;
      return redis.call(command, ...args);
    },
  };
}

/** Call the limiter for one request and record what it said. */
export async function observe(
  limiter: UserLimiter,
  redis: RedisCaller,
  config: LimitConfig,
  request: SeqRequest,
  key: string,
  now: number,
  requestId: string,
): Promise<Observation> {
  const caller =
    request.crashAfter && request.crashAfter > 0 && limiter.multiCommand
      ? crashingCaller(redis, request.crashAfter)
      : redis;
  try {
    const v = await limiter.decide(caller, { key, now, cost: request.cost, requestId, config });
    return { allowed: v.allowed, remaining: v.remaining, at: now };
  } catch (err) {
    if (err instanceof CrashError) return { allowed: null, remaining: null, at: now, crashed: true };
    // Connection trouble is not the script's fault: let it end the run.
    if (isConnectionLost(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return { allowed: null, remaining: null, at: now, error: `request ${request.client}@${now}: ${message}` };
  }
}

/** Every key under `root` and its PTTL. SCAN MATCH, never KEYS. */
export async function inspectNamespace(redis: RedisCaller, root: string): Promise<KeyInfo[]> {
  const keys = await scanPrefix(redis, root);
  const out: KeyInfo[] = [];
  for (const key of keys.sort()) out.push({ key, pttl: Number(await redis.call("PTTL", key)) });
  return out;
}

// ---- generation and shrinking ------------------------------------------------------------------------------------

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
