import type { ClusterFacts } from "./cluster.js";
import { versionAtLeast as atLeast, type ServerIdentity, type ServerMode } from "../redis/server-info.js";
/**
 * What `doctor` learns about a server, as plain data, and the pure functions that read it out of INFO and CONFIG
 * replies. Anything the server refused to tell is "unknown", with the refusal kept in `unknowns`: a managed service
 * that disables CONFIG is a fact to report, not an error.
 */

export type Unknown = "unknown";
export const UNKNOWN: Unknown = "unknown";

export type { ServerMode };

/** Which server, its own version and the Redis version it claims (src/redis/server-info.ts). */
export type ServerFacts = ServerIdentity;

export type AppendFsync = "always" | "everysec" | "no";

export interface PersistenceFacts {
  /** RDB snapshot schedule as CONFIG GET save returns it ("" = no snapshots). */
  rdbSave: string | Unknown;
  aof: boolean | Unknown;
  appendfsync: AppendFsync | Unknown;
  /** Where the values came from: CONFIG GET, or INFO persistence when CONFIG was refused. */
  source: "config" | "info" | "none";
}

export interface MemoryFacts {
  /** Bytes; 0 = no limit. */
  maxmemory: number | Unknown;
  policy: string | Unknown;
  source: "config" | "info" | "none";
  /** INFO memory's used_memory, bytes: with maxmemory, the headroom left before the policy applies. */
  used?: number;
}

export interface LuaFacts {
  /** `EVAL "return 1" 0` answered 1. */
  runs: boolean | Unknown;
  runsError?: string;
  /** `EVAL "return redis.call('TIME')" 0` answered a time. */
  time: boolean | Unknown;
  timeError?: string;
}

export interface ClockFacts {
  /** Server clock minus this machine's clock, in ms (positive: the server is ahead), from the fastest TIME sample. */
  skewMs: number;
  /** Half the round trip of that sample: the skew is known to ± this much. */
  uncertaintyMs: number;
  samples: number;
}

export interface LatencyFacts {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export type Permission = "allowed" | "denied" | "not-found" | Unknown;

export interface AclFacts {
  /** ACL WHOAMI; "default" on servers without ACLs (before Redis 6). */
  user: string | Unknown;
  /** How the permissions were read: ACL DRYRUN (Redis ≥ 7), ACL GETUSER evaluated here, not at all, or no ACLs. */
  method: "dryrun" | "getuser" | "probe" | "none" | "no-acl";
  /** Why the permissions are unknown (method "none"). */
  reason?: string;
  /** Per command label: what the ACL says about the sample argv, with the server's words when denied. */
  commands: Record<string, { permission: Permission; detail?: string }>;
  /** The sample key and channel the checks named (key patterns and channel rules apply to them). */
  sample?: { key: string; channel: string };
}

export interface DoctorFacts {
  server: ServerFacts;
  mode: ServerMode;
  /** Only meaningful for a replica: writes are refused when true. */
  replicaReadOnly: boolean | Unknown;
  persistence: PersistenceFacts;
  memory: MemoryFacts;
  lua: LuaFacts;
  clock: ClockFacts | Unknown;
  latency: LatencyFacts | Unknown;
  /** Commands the server knows by name (COMMAND INFO); a renamed or disabled command is false. */
  commandTable: Record<string, boolean> | Unknown;
  acl: AclFacts;
  /** Every read the server refused, with its answer. */
  unknowns: { what: string; reason: string }[];
  /** On a Redis Cluster: its health (src/doctor/cluster.ts). */
  cluster?: ClusterFacts;
}

export { identifyServer, parseInfo, serverMode } from "../redis/server-info.js";

export { parseVersion } from "../redis/server-info.js";

/** True when `version` is at least `since`; "unknown" when the version does not parse. */
export function versionAtLeast(version: string, since: string): boolean | Unknown {
  return atLeast(version, since) ?? UNKNOWN;
}

/** CONFIG GET's flat [name, value, …] reply as a map (lower-case names). */
export function parseConfigReply(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i]).toLowerCase()] = String(reply[i + 1]);
  return out;
}

/** Persistence from INFO persistence, when CONFIG GET is refused: AOF on or off; the RDB schedule is not in INFO. */
export function persistenceFromInfo(info: Record<string, string>): PersistenceFacts {
  const aof = info.aof_enabled === undefined ? UNKNOWN : info.aof_enabled === "1";
  return { rdbSave: UNKNOWN, aof, appendfsync: UNKNOWN, source: aof === UNKNOWN ? "none" : "info" };
}

export function memoryFromInfo(info: Record<string, string>): MemoryFacts {
  const maxmemory = info.maxmemory !== undefined && /^\d+$/.test(info.maxmemory) ? Number(info.maxmemory) : UNKNOWN;
  const policy = info.maxmemory_policy ?? UNKNOWN;
  return {
    maxmemory,
    policy,
    source: maxmemory === UNKNOWN && policy === UNKNOWN ? "none" : "info",
    ...usedMemory(info),
  };
}

/** `{ used }` from INFO's used_memory, or nothing when INFO did not say. */
export function usedMemory(info: Record<string, string>): { used?: number } {
  return info.used_memory !== undefined && /^\d+$/.test(info.used_memory) ? { used: Number(info.used_memory) } : {};
}

export function asAppendFsync(value: string | undefined): AppendFsync | Unknown {
  return value === "always" || value === "everysec" || value === "no" ? value : UNKNOWN;
}

/** "yes"/"no" as a boolean; anything else unknown. */
export function yesNo(value: string | undefined): boolean | Unknown {
  return value === "yes" ? true : value === "no" ? false : UNKNOWN;
}

/** A server error without the echo of the arguments ("ERR unknown command 'EVAL', with args beginning with: …"). */
export function briefError(message: string): string {
  return message.replace(/,? with args beginning with:.*$/s, "").trim();
}

export { percentileOfSorted as percentile } from "../stats.js";

/** How a persistence setup protects writes against a crash, from the strongest setting known. */
export type Durability = "aof-always" | "aof-everysec" | "aof-no" | "aof" | "rdb" | "none" | Unknown;

export function durability(p: PersistenceFacts): Durability {
  if (p.aof === true) {
    if (p.appendfsync === "always") return "aof-always";
    if (p.appendfsync === "everysec") return "aof-everysec";
    if (p.appendfsync === "no") return "aof-no";
    return "aof"; // only INFO said AOF is on: the fsync policy is unknown
  }
  if (p.rdbSave === UNKNOWN || p.aof === UNKNOWN) return UNKNOWN;
  return p.rdbSave.trim() === "" ? "none" : "rdb";
}
