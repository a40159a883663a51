/**
 * `lock --acquire-script …` (scenarios/lock/user-script.ts): its parameters, the state its steps share, the checks'
 * names, and how a worker's operations are written in a reproduction.
 */
import type { Redis } from "ioredis";
import type { UserLock } from "../../src/patterns/lock/user-script.js";
import type { SeqRange } from "../../src/runner/evidence.js";

export interface UserLockParams {
  lock: UserLock;
  /** File names, for the title. */
  names: string[];
  workers: number;
  increments: number;
  /** The TTL of the expiry probe (real time). */
  ttlMs: number;
  /** How long the holder stalls in the expiry probe; longer than ttlMs. */
  pauseMs: number;
  resource: string;
  /** Random operation sequences to try (0: none), from `seed`. */
  fuzz: number;
  seed: number;
}

/** One thing a worker did, for the reproduction: `worker-2 release(token-2) → 1`. */
export interface Op {
  who: string;
  what: string;
  reply: string;
}

export interface Finding {
  check: string;
  ok: boolean;
  /** What should have happened, and what did. */
  expected: string;
  actual: string;
  ops: Op[];
  /** The part of the trace the probe sent (its evidence), when it was one probe. */
  at?: SeqRange;
}

export interface LockScriptState {
  workers: Redis[];
  probes: number;
  findings: Finding[];
  notes: string[];
}

/** Params as the report shows them: the scripts are in `scripts`, so only their names here. */
export function userLockParams(p: UserLockParams): UserLockParams {
  Object.defineProperty(p, "toJSON", {
    enumerable: false,
    value: () => {
      const { lock: _lock, ...rest } = p;
      return rest;
    },
  });
  return p;
}

/** The TTL of the ownership probes: long enough that nothing expires by accident, however slow the machine. */
export const PROBE_TTL_MS = 10_000;

export const CHECKS = {
  acquire: "a free lock is acquired, and it has a TTL (no deadlock if the holder dies)",
  exclusion: "mutual exclusion: a held lock is refused to another worker",
  foreignRelease: "a non-owner's release is refused, and the lock stays with its owner",
  ownRelease: "the owner's release frees the lock",
  foreignExtend: "a non-owner's extension is refused, and the TTL stays",
  ownExtend: "the owner's extension renews the TTL",
  expiry: "expiry while working is detected: the late release answers 0 and leaves the next owner's lock",
  watchdog: "with extensions, a holder that works longer than the TTL keeps the lock",
  workers: "concurrent workers: never two holders at once, no lost increment",
  keys: "every key the scripts write is the lock key or under it, with a TTL",
  fuzz: (n: number, seed: number) => `${n} random sequences of acquire/release/extend by 3 workers (seed ${seed})`,
} as const;

export function opsText(ops: readonly Op[]): string {
  return ops.map((o) => `${o.who} ${o.what} → ${o.reply}`).join(" · ");
}

export const show = (v: unknown): string =>
  v === null || v === undefined ? "nil" : typeof v === "string" ? (/^-?\d+$/.test(v) ? v : `"${v}"`) : String(v);
