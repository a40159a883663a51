/**
 * The invariants a rate limiter must keep, checked on what a user's limiter decided: the verdict on one observed
 * sequence. Running a request is in user-run.ts; generating traffic and shrinking a violation in user-fuzz.ts.
 *
 * No printing and no scenario context here: the caller runs the requests and this module judges them.
 */
import { round } from "../../stats.js";
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
import type { LimitConfig } from "./user-script.js";

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
          message:
            `request ${x.i + 1} (${client}): the ${config.model} model ${expected[first] ? "allows" : "rejects"} it, ` +
            `the script ${x.o.allowed ? "allowed" : "rejected"} it`,
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
          message:
            `${w.total} allowed in the calendar window starting at ${new Date(w.windowStart).toISOString()}, ` +
            `limit ${limit}`,
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
          message:
            `${spent} tokens spent in ${sorted[j]!.at - sorted[i]!.at} ms (up to request ${sorted[j]!.i + 1}), ` +
            `at most ${round(budget)} possible`,
        };
      }
    }
  }
  return undefined;
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
        message:
          `request ${x.i + 1} was rejected with ${used} of ${limit} used in its ` +
          (config.semantics === "fixed" ? "calendar window" : `last ${windowMs} ms`),
      };
    }
  }
  return undefined;
}
