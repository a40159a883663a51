/**
 * A lock the user wrote: acquire, release and (optionally) extend scripts called with a documented contract.
 *
 *   acquire  KEYS[1] the lock key, ARGV[1] the owner's token, ARGV[2] the TTL in ms → 1 or OK: acquired; 0 or nil: not
 *   release  KEYS[1], ARGV[1] the token → 1: released; 0: not released (not ours, or gone)
 *   extend   KEYS[1], ARGV[1] the token, ARGV[2] the new TTL in ms → 1: extended; 0: not (not ours, or gone)
 *
 * The checks (scenarios/lock/user-script.ts) call these as any app would: one EVALSHA per call.
 */
import { runScript, type LuaScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { loadLuaFile } from "../shared/user-file.js";

export interface UserLock {
  acquire: LuaScript;
  release: LuaScript;
  extend?: LuaScript;
}

/** Read the lock's scripts (an unreadable or empty file is a UserFileError naming its role). */
export function loadUserLock(paths: { acquire: string; release: string; extend?: string }): UserLock {
  return {
    acquire: loadLuaFile(paths.acquire, "acquire"),
    release: loadLuaFile(paths.release, "release"),
    ...(paths.extend ? { extend: loadLuaFile(paths.extend, "extend") } : {}),
  };
}

/** A reply the contract does not allow, e.g. an error reply or a table: reported with the reply. */
export class LockReplyError extends Error {
  override readonly name = "LockReplyError";
}

/** 1, "1", "OK" or true: yes; 0, "0", nil: no; anything else does not follow the contract. */
export function yes(reply: unknown, what: string): boolean {
  const v = Buffer.isBuffer(reply) ? reply.toString() : reply;
  if (v === 1 || v === "1" || v === "OK") return true;
  if (v === 0 || v === "0" || v === null || v === undefined) return false;
  throw new LockReplyError(`${what} answered ${JSON.stringify(v)}: expected 1/OK or 0/nil`);
}

export async function userAcquire(redis: RedisCaller, lock: UserLock, key: string, token: string, ttlMs: number) {
  return yes(await runScript(redis, lock.acquire, [key], [token, String(ttlMs)]), "the acquire script");
}

export async function userRelease(redis: RedisCaller, lock: UserLock, key: string, token: string) {
  return yes(await runScript(redis, lock.release, [key], [token]), "the release script");
}

export async function userExtend(redis: RedisCaller, lock: UserLock, key: string, token: string, ttlMs: number) {
  if (!lock.extend) throw new Error("this lock has no extend script");
  return yes(await runScript(redis, lock.extend, [key], [token, String(ttlMs)]), "the extend script");
}
