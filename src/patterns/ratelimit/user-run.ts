/**
 * Running one request of a sequence against the user's limiter, as user-check.ts judges it: what the limiter said,
 * or the error it gave, or where the app died between two commands (crash injection); and what it left in Redis.
 */
import { isConnectionLost } from "../../redis/classify-error.js";
import { scanPrefix } from "../../redis/cleanup.js";
import type { RedisCaller } from "../../redis/types.js";
import type { KeyInfo, Observation, SeqRequest } from "./user-check.js";
import type { LimitConfig, UserLimiter } from "./user-script.js";

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
