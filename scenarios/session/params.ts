import type { ScenarioContext } from "../../src/runner/types.js";

export interface SessionParams {
  /** Session lifetime, whole seconds (SET … EX takes seconds). */
  ttlSeconds: number;
  /** Simulated app servers, each its own connection (session/hash). */
  servers: number;
  /** Users logged in at once (session/hash, session/read-latency). */
  sessions: number;
  /** Sequential session reads timed (session/read-latency). */
  reads: number;
}

export const defaultParams: SessionParams = {
  ttlSeconds: 3600,
  servers: 3,
  sessions: 3,
  reads: 2000,
};

export const variants = ["string", "hash", "lost-update", "read-latency"] as const;
export type SessionVariant = (typeof variants)[number];

export const CHAPTER = "4.3 Session management";

/** `<prefix>:session:<id>`, as the chapter names it. Single-key operations only, so no hash tag is needed. */
export function sessionKey(ctx: ScenarioContext<SessionParams>, id: string): string {
  return ctx.keys.key("session", id);
}

export const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];

export function userName(i: number): string {
  return USERS[i] ?? `user-${i + 1}`;
}

/** `1h`, `55m`, `59m 59.8s`, `300ms`: a duration the way a person reads it. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = ms;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.round(rest / 100) / 10;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s) parts.push(`${s}s`);
  return parts.join(" ") || "0s";
}

/** A session id shortened for tables (the trace has it whole). */
export const shortId = (id: string): string => `${id.slice(0, 8)}…`;

export { round } from "../../src/stats.js";

/** `PTTL key` as a number (-2: no key, -1: no TTL). */
export async function pttl(
  redis: { call(command: string, ...args: string[]): Promise<unknown> },
  key: string,
): Promise<number> {
  return Number(await redis.call("PTTL", key));
}
