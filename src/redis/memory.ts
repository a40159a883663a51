import { isRefusedCommand } from "./classify-error.js";
import { parseInfo } from "./server-info.js";
import type { RedisCaller } from "./types.js";

/**
 * The eviction guard: on a server with a memory limit and an evicting policy, a run that fills the last free
 * megabytes makes Redis evict keys to make room, and with `allkeys-*` those are anybody's (issue 12, case 3). Before
 * its first write a run compares its estimated peak footprint with the room left and refuses when it could push the
 * server into eviction. Pure but for `readMemory`.
 */

/**
 * Upper estimates of what one element costs in the server (64-bit, jemalloc, Redis 6–8), overheads included. They
 * err on the large side: a guard that refuses a run that would have fitted costs a `--force`; one that lets through
 * a run that did not fit costs someone's keys.
 */
export const ELEMENT_BYTES = {
  /** A key with a short string value and a TTL: the key's dict entry, its object, the expires entry. */
  key: 192,
  /** A sorted-set member in skiplist encoding (dict entry, skiplist node, the member string). */
  zsetMember: 128,
  /** A set member in hashtable encoding (a short string such as an IP address). */
  setMember: 96,
  /** A hash field with a short value. */
  hashField: 96,
  /** A list element. */
  listItem: 64,
  /** A stream entry with a few short fields. */
  streamEntry: 160,
  /** A dense HyperLogLog (12,288 bytes of registers) and its key. */
  hll: 12_288 + 512,
} as const;

/** What a scenario without its own estimate is assumed to take: a few hundred small keys. */
export const DEFAULT_SCENARIO_FOOTPRINT = 128 * 1024;

/**
 * Room kept free beyond the footprint: the run's connections and their buffers (a large reply is held in the server
 * until read), the Lua script cache, fragmentation. Measured: the peak of used_memory over a run of `lock` or
 * `cache`, whose keys are a few hundred bytes, is 0.3–0.6 MiB above where it started (Redis 7.0).
 */
export const HEADROOM_RESERVE = 1024 * 1024;

/** What INFO memory says about the limit. `undefined` fields: not reported (an old server, a managed service). */
export interface ServerMemory {
  used: number;
  /** Bytes; 0 = no limit. */
  max: number;
  policy: string;
}

/** INFO memory of one server; undefined when INFO is refused (an ACL, a managed service) or says too little. */
export async function readMemory(redis: RedisCaller): Promise<ServerMemory | undefined> {
  let info: Record<string, string>;
  try {
    info = parseInfo(String(await redis.call("INFO", "memory")));
  } catch {
    return undefined;
  }
  const used = Number(info.used_memory);
  const max = Number(info.maxmemory);
  const policy = info.maxmemory_policy;
  if (!Number.isFinite(used) || !Number.isFinite(max) || policy === undefined) return undefined;
  return { used, max, policy };
}

/**
 * MEMORY USAGE of one key, every element measured (SAMPLES 0, not an estimate from a sample); null where the server
 * refuses the command (an ACL, a managed service).
 */
export async function memoryUsage(redis: RedisCaller, key: string): Promise<number | null> {
  try {
    return Number(await redis.call("MEMORY", "USAGE", key, "SAMPLES", "0"));
  } catch (err) {
    if (isRefusedCommand(err)) return null;
    throw err;
  }
}

/** Whether the policy evicts keys when memory is full (`noeviction` refuses writes instead). */
export function evictingPolicy(policy: string): boolean {
  return policy.startsWith("allkeys-") || policy.startsWith("volatile-");
}

/** Bytes left before the limit (negative past it); undefined without a limit. */
export function headroom(mem: ServerMemory): number | undefined {
  return mem.max > 0 ? mem.max - mem.used : undefined;
}

/**
 * Why a run of `footprint` bytes could make this server evict keys, as one line; undefined when it cannot (no limit,
 * a policy that does not evict, or room for the footprint plus the reserve).
 */
export function evictionRisk(mem: ServerMemory, footprint: number, where = ""): string | undefined {
  const room = headroom(mem);
  if (room === undefined || !evictingPolicy(mem.policy)) return undefined;
  const need = footprint + HEADROOM_RESERVE;
  if (need <= room) return undefined;
  const whose = mem.policy.startsWith("allkeys-")
    ? "any key, other data included"
    : "keys with a TTL: other data's and the run's own";
  return (
    `eviction risk${where ? ` at ${where}` : ""}: used ${formatBytes(mem.used)} of maxmemory ${formatBytes(mem.max)} ` +
    `with maxmemory-policy ${mem.policy} (evicts ${whose}); this run may need about ${formatBytes(need)} ` +
    `and only ${formatBytes(Math.max(0, room))} is free. Nothing was written; --force runs anyway`
  );
}

/** "900 B", "512.0 KiB", "1.4 MiB" (the CLI's byte format, src/cli/format.ts re-exports it). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The guard on every master the run may write to (a cluster's keys spread over them; each is judged as if it took
 * all of them): the first risk found, as one line, or `unknown` when a server would not say (INFO refused).
 */
export async function evictionRiskOn(
  masters: readonly RedisCaller[],
  footprint: number,
  nodeName: (master: RedisCaller, index: number) => string = () => "",
): Promise<{ risk?: string; unknown?: boolean }> {
  let unknown = false;
  for (const [i, master] of masters.entries()) {
    const mem = await readMemory(master);
    if (!mem) {
      unknown = true;
      continue;
    }
    const risk = evictionRisk(mem, footprint, masters.length > 1 ? nodeName(master, i) : "");
    if (risk) return { risk };
  }
  return unknown ? { unknown } : {};
}
