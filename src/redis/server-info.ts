/**
 * Reading what a server says about itself: INFO text as fields, which server and mode it names, its CPU time so far,
 * and version numbers compared. Pure: the callers send INFO (and decide what a refusal means).
 */

/** INFO text as key → value (sections merged). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** How a server runs, from INFO; "unknown" where INFO did not say (or was refused). */
export type ServerMode = "standalone" | "cluster" | "replica" | "sentinel" | "unknown";

export interface ServerIdentity {
  /** "Redis", "Valkey", "Dragonfly", "KeyDB", "Garnet", "Kvrocks", … */
  name: string;
  /** The server's own version (Valkey's valkey_version, Dragonfly's dragonfly_version, …); "unknown" if unsaid. */
  version: string;
  /** The Redis version it claims compatibility with (redis_version); what command availability is judged by. */
  redisVersion: string;
}

/**
 * Which server this is. Compatible servers report a `redis_version` for clients and their own version in a field
 * of their own (valkey_version, dragonfly_version, garnet_version, kvrocks_version); KeyDB only shows in the name of
 * its executable or config file.
 */
export function identifyServer(info: Record<string, string>): ServerIdentity {
  const redisVersion = info.redis_version ?? "unknown";
  const own: [string, string][] = [
    ["valkey_version", "Valkey"],
    ["dragonfly_version", "Dragonfly"],
    ["garnet_version", "Garnet"],
    ["kvrocks_version", "Kvrocks"],
  ];
  for (const [field, name] of own) {
    const version = info[field];
    if (version !== undefined) return { name, version, redisVersion };
  }
  if (info.server_name?.toLowerCase() === "valkey") return { name: "Valkey", version: redisVersion, redisVersion };
  if (/keydb/i.test(`${info.executable ?? ""} ${info.config_file ?? ""}`))
    return { name: "KeyDB", version: redisVersion, redisVersion };
  return { name: "Redis", version: redisVersion, redisVersion };
}

/** Mode from INFO (server and replication sections): cluster or sentinel from redis_mode, replica from the role. */
export function serverMode(info: Record<string, string>): ServerMode {
  if (info.role === "slave" || info.role === "replica") return "replica";
  if (info.redis_mode === "sentinel") return "sentinel";
  if (info.redis_mode === "cluster" || info.cluster_enabled === "1") return "cluster";
  if (info.redis_mode === "standalone" || info.role === "master") return "standalone";
  return "unknown";
}

/**
 * CPU seconds the server has used so far, from INFO cpu: its main thread's (used_cpu_{sys,user}_main_thread,
 * Redis ≥ 6.2), else the whole process's; null when INFO does not say.
 */
export function serverCpuSecondsOf(info: Record<string, string>): number | null {
  const field = (name: string) => {
    const m = /^[\d.]+/.exec(info[name] ?? "");
    return m ? Number(m[0]) : undefined;
  };
  const sys = field("used_cpu_sys_main_thread") ?? field("used_cpu_sys");
  const user = field("used_cpu_user_main_thread") ?? field("used_cpu_user");
  return sys === undefined || user === undefined ? null : sys + user;
}

/** A version as numbers ("7.0.15" → [7, 0, 15]); null when it does not start with one ("unknown", "df-v1"). */
export function parseVersion(version: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

/** The version in `redis-server --version`'s banner ("Redis server v=7.0.15 sha=…" → "7.0.15"); "unknown" if none. */
export function versionFromBanner(banner: string): string {
  return /v=(\S+)/.exec(banner)?.[1] ?? "unknown";
}

/** True when `version` is at least `since` ("7.0.15" ≥ "6.2"); undefined when either does not parse. */
export function versionAtLeast(version: string, since: string): boolean | undefined {
  const have = parseVersion(version);
  const need = parseVersion(since);
  if (!have || !need) return undefined;
  for (let i = 0; i < 3; i++) {
    if (have[i]! !== need[i]!) return have[i]! > need[i]!;
  }
  return true;
}
