import { versionAtLeast as atLeast } from "../../redis/server-info.js";
/**
 * Which queue commands the server has, from its version. Redis 6.2 added BLMOVE (replacing the deprecated
 * BRPOPLPUSH), XAUTOCLAIM and XPENDING's IDLE filter; Redis 6.0 made blocking timeouts fractional (`0.1` seconds).
 */
export interface QueueFeatures {
  /** BLMOVE (≥ 6.2); else BRPOPLPUSH. */
  blmove: boolean;
  /** XAUTOCLAIM (≥ 6.2); else XPENDING + XCLAIM. */
  xautoclaim: boolean;
  /** BRPOP/BLMOVE take fractional seconds (≥ 6.0); else whole seconds, at least 1. */
  fractionalTimeouts: boolean;
}

/** At least major.minor; undefined when the version is unknown (INFO refused) or not numeric. */
export function versionAtLeast(version: string, major: number, minor: number): boolean | undefined {
  return atLeast(version, `${major}.${minor}`);
}

/**
 * The features of a server of this version. An unknown version is assumed current; the pattern functions fall back
 * to the older command when the server answers "unknown command".
 */
export function queueFeatures(version: string): QueueFeatures {
  return {
    blmove: versionAtLeast(version, 6, 2) ?? true,
    xautoclaim: versionAtLeast(version, 6, 2) ?? true,
    fractionalTimeouts: versionAtLeast(version, 6, 0) ?? true,
  };
}

/**
 * A blocking command's timeout argument in seconds. Never 0 (that blocks forever, past the client's command
 * timeout); on servers before 6.0, whole seconds only, so at least 1.
 */
export function blockingTimeout(ms: number, fractional: boolean): string {
  if (!fractional) return String(Math.max(1, Math.ceil(ms / 1000)));
  return String(Math.max(1, Math.round(ms)) / 1000);
}
