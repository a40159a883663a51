import { replyCode } from "./classify-error.js";
import { UsageError } from "../errors.js";
import { deleteKeys, scanPrefixOnAll } from "./cleanup.js";
import {
  describeMarker,
  markerKey,
  markerRunIsAlive,
  parseMarker,
  releaseMarker,
  RUN_MARKER_TTL_MS,
  type RunMarker,
} from "./ownership.js";
import type { Redis } from "ioredis";
import type { RedisCaller } from "./types.js";

/** What `cleanup --prefix` will delete, decided from the prefix's run marker, never from a pattern alone. */
export interface CleanupPlan {
  prefix: string;
  marker: RunMarker;
  /** The marker's exact value: it is deleted at the end only if it still holds this. */
  markerValue: string;
  /** Keys that exist and that the run left: what will be deleted. */
  keys: string[];
  /** Keys under the prefix that the marker does not vouch for (written by something else): left alone. */
  left: string[];
}

/**
 * Decide what to delete under `prefix`. A prefix without a redis-patterns marker is refused (its keys are not
 * provably the tool's). A kept run's marker lists the keys it created: those that still exist are deleted, anything
 * else under the prefix is left. A run that died without reaching its end (its marker is still "running") created
 * every key under the prefix, which was empty when it claimed it; such a marker is only taken over once its run is
 * gone (same host, no such pid), or with `force` for a run on another host.
 */
export async function planCleanup(
  redis: Redis,
  masters: readonly RedisCaller[],
  prefix: string,
  force = false,
): Promise<CleanupPlan> {
  const key = markerKey(prefix);
  let value: unknown;
  try {
    value = await redis.call("GET", key);
  } catch (err) {
    if (replyCode(err) !== "WRONGTYPE") throw err;
  }
  const marker = parseMarker(value);
  if (!marker) {
    throw new UsageError(
      `cleanup refused: ${prefix} holds no redis-patterns run marker (${key}), so nothing under it is provably ` +
        `this tool's; nothing deleted`,
    );
  }
  if (marker.state === "running") {
    const alive = markerRunIsAlive(marker);
    if (alive === true)
      throw new UsageError(`cleanup refused: ${prefix} is in use by a live ${describeMarker(marker)}; nothing deleted`);
    if (alive === "unknown" && !force) {
      const ttl = Number(await redis.call("PTTL", key));
      throw new UsageError(
        `cleanup refused: ${prefix} is held by ${describeMarker(marker)}, which may still be running; ` +
          `its marker expires within ${Math.ceil((ttl > 0 ? ttl : RUN_MARKER_TTL_MS) / 1000)} s unless ` +
          `renewed. If that run is gone, add --force`,
      );
    }
  }
  const found = (await scanPrefixOnAll(masters, prefix)).filter((k) => k !== key);
  if (marker.state === "kept") {
    const manifest = new Set(marker.keys ?? []);
    return {
      prefix,
      marker,
      markerValue: value as string,
      keys: found.filter((k) => manifest.has(k)),
      left: found.filter((k) => !manifest.has(k)),
    };
  }
  return { prefix, marker, markerValue: value as string, keys: found, left: [] };
}

/** Delete the plan's keys, then the marker (if it is unchanged). Returns how many keys were deleted. */
export async function executeCleanup(redis: Redis, plan: CleanupPlan): Promise<number> {
  const deleted = await deleteKeys(redis, plan.keys);
  await releaseMarker(redis, plan.prefix, plan.markerValue);
  return deleted;
}
