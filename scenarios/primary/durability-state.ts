/**
 * What the durability steps share: the workload's data (users, SKUs, flags, matches, each use case's share of the
 * writes), the state one run accumulates, and the connections to the throwaway server.
 */
import { isServerLoading } from "../../src/redis/classify-error.js";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Redis } from "ioredis";
import {
  FlagCache,
  USE_CASES,
  type PrimaryKeys,
  type StreamStats,
  type UseCase,
} from "../../src/patterns/primary/index.js";
import { parseInfo } from "../../src/redis/server-info.js";
import type { ThrowawayServer } from "../../src/redis/throwaway-server.js";
import { sleep } from "../../src/runner/clock.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import type { PrimaryParams } from "./params.js";

/** Share of the writes each use case sends (flags change rarely; carts and sessions often). */
export const WEIGHTS: Record<UseCase, number> = { cart: 0.35, flags: 0.05, game: 0.25, sessions: 0.35 };
export const USERS = ["alice", "bob", "carol"];
export const SKUS = ["sku-1001", "sku-1002", "sku-1003", "sku-1004", "sku-1005"];
export const FLAGS = ["checkout-v2", "dark-mode", "new-search", "free-shipping", "beta-recs"];
export const MATCHES = ["m1", "m2"];
export const SESSION_TTL_MS = 30 * 60_000;

interface Move {
  player: string;
  points: number;
  next: string;
}

interface Sample {
  /** Writes acknowledged (all use cases) before this INFO was sent. */
  ackedBefore: number;
  saves: number;
  inProgress: boolean;
  delayedFsync: number;
}

interface UseCaseOutcome {
  acked: number;
  recovered: number;
  unanswered: number;
  consistent: boolean;
}

export interface DurabilityState {
  binary?: { path: string; version: string; why: string };
  server?: ThrowawayServer;
  keys?: PrimaryKeys;
  flags?: FlagCache;
  stats: Partial<Record<UseCase, StreamStats>>;
  played: Map<string, Move[]>;
  sessions: string[];
  samples: Sample[];
  killAt?: number;
  killWall?: number;
  killAfterMs?: number;
  outcome: Partial<Record<UseCase, UseCaseOutcome>>;
  files: { name: string; bytes: number }[];
  serverRevAfter?: number;
  localRevAtKill?: number;
  keysAfter?: number;
  /** Every connection to the throwaway server, for the teardown. */
  clients: Redis[];
}

export type Ctx = ScenarioContext<PrimaryParams>;

export function allAckTimes(state: DurabilityState): number[] {
  return USE_CASES.flatMap((u) => state.stats[u]?.ackTimes ?? []);
}

export function totalAcked(state: DurabilityState): number {
  return USE_CASES.reduce((n, u) => n + (state.stats[u]?.acked ?? 0), 0);
}

/** Writes surely in the last snapshot: acknowledged before an INFO that saw no snapshot running yet (RDB). */
export function snapshotFloor(samples: readonly Sample[]): number {
  const last = samples[samples.length - 1];
  if (!last || last.saves === 0) return 0;
  const firstWithFinal = samples.findIndex((s) => s.saves === last.saves);
  let floor = 0;
  for (const s of samples.slice(0, firstWithFinal))
    if (s.saves === last.saves - 1 && !s.inProgress) floor = s.ackedBefore;
  return floor;
}

export function listFiles(dir: string): { name: string; bytes: number }[] {
  const out: { name: string; bytes: number }[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push({ name: relative(dir, path), bytes: statSync(path).size });
    }
  };
  walk(dir);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A recorded connection to the throwaway server, labelled with the setting; remembered for the teardown. */
export async function connect(
  ctx: Ctx,
  state: DurabilityState,
  url: string,
  label: string,
  options?: { timeoutMs?: number },
): Promise<Redis> {
  const redis = await ctx.connectTo(url, label, options);
  state.clients.push(redis);
  return redis;
}

/**
 * Connect to the restarted server. While it loads its files it answers LOADING (the connection's first PING gets
 * it too): try again every 20 ms, for up to 10 s; each attempt is in the trace.
 */
export async function reconnect(
  ctx: Ctx,
  state: DurabilityState,
  server: ThrowawayServer,
  label: string,
): Promise<Redis> {
  for (let i = 0; ; i++) {
    try {
      const redis = await connect(ctx, state, server.url, label, { timeoutMs: 5_000 });
      const info = parseInfo(String(await redis.call("INFO", "persistence")));
      if (info.loading !== "1") return redis;
      await redis.quit().catch(() => redis.disconnect());
    } catch (err) {
      if (!isServerLoading(err)) throw err;
    }
    if (i >= 500) throw new Error("the restarted server was still loading its files after 10 s");
    await sleep(20, ctx.signal);
  }
}
