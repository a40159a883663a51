/**
 * What the server can run, as the scenarios see it: whether a command form (a label of doctor's COMMANDS table) can
 * be sent, and if not, why, in words a skip reason can carry. `smoke` builds it from doctor's facts (version, Lua,
 * the command table, the ACL), the pattern commands from the version the connection saw. Unknown counts as available:
 * the scenario tries, and a refusal is then an error with the server's words.
 */
import { UNKNOWN, parseVersion, versionAtLeast, type DoctorFacts } from "../doctor/facts.js";
import { COMMANDS, type CommandLabel } from "../doctor/requirements.js";
import { commandAvailability } from "../doctor/rules.js";

export type { CommandLabel } from "../doctor/requirements.js";

/** A scenario that runs a Lua script needs both: the tool sends EVALSHA, and EVAL when the server answers NOSCRIPT. */
export const SCRIPTS: readonly CommandLabel[] = ["EVALSHA", "EVAL"];

export interface ServerSupport {
  /** The server as the reasons name it, e.g. "Redis 6.0.9" or "Valkey 8.0.1 (Redis 7.2.4)". */
  readonly server: string;
  /** Whether the form can be sent here (true when unknown). */
  has(label: CommandLabel): boolean;
  /** Why it cannot, e.g. "needs Redis ≥ 6.2; this server is Redis 6.0.9"; undefined when it can. */
  missing(label: CommandLabel): string | undefined;
}

function since(label: CommandLabel): string | undefined {
  return (COMMANDS[label] as { since?: string }).since;
}

/** "6.2.0" → "6.2". */
function shortVersion(version: string): string {
  const v = parseVersion(version);
  return v ? (v[2] === 0 ? `${v[0]}.${v[1]}` : v.join(".")) : version;
}

function tooOld(label: CommandLabel, redisVersion: string, server: string): string | undefined {
  const need = since(label);
  if (!need || versionAtLeast(redisVersion, need) !== false) return undefined;
  return `needs Redis ≥ ${shortVersion(need)}; this server is ${server}`;
}

/** From the version alone (what the connection's INFO said): the pattern commands, which probe nothing more. */
export function supportFromVersion(target: { server: string; version: string }): ServerSupport {
  const server = `${target.server} ${target.version}`;
  const missing = (label: CommandLabel) => tooOld(label, target.version, server);
  return { server, has: (label) => missing(label) === undefined, missing };
}

/** From doctor's facts: the version, whether scripts run, renamed or disabled commands, and the ACL user's rights. */
export function supportFromFacts(facts: DoctorFacts): ServerSupport {
  const { name, version, redisVersion } = facts.server;
  const server =
    name === UNKNOWN
      ? "this server"
      : version !== redisVersion && redisVersion !== UNKNOWN
        ? `${name} ${version} (Redis ${redisVersion})`
        : `${name} ${version}`;
  const missing = (label: CommandLabel): string | undefined => {
    const old = redisVersion === UNKNOWN ? undefined : tooOld(label, redisVersion, server);
    if (old) return old;
    const availability = commandAvailability(label, facts);
    return availability.available ? undefined : availability.why;
  };
  return { server, has: (label) => missing(label) === undefined, missing };
}

/** Every form counted as available (unit tests of steps, callers that know the server has everything). */
export const FULL_SUPPORT: ServerSupport = { server: "this server", has: () => true, missing: () => undefined };

/**
 * Why a scenario cannot run here, or undefined when it can: its needs grouped by reason, e.g.
 * "ZRANGE … BYSCORE, COPY: needs Redis ≥ 6.2; this server is Redis 6.0.9".
 */
export function unmetNeeds(needs: readonly CommandLabel[], support: ServerSupport): string | undefined {
  const byWhy = new Map<string, CommandLabel[]>();
  for (const label of needs) {
    const why = support.missing(label);
    if (why !== undefined) byWhy.set(why, [...(byWhy.get(why) ?? []), label]);
  }
  if (byWhy.size === 0) return undefined;
  return [...byWhy].map(([why, labels]) => `${labels.join(", ")}: ${why}`).join("; ");
}
