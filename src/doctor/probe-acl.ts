/**
 * What the ACL user may run, for doctor: ACL DRYRUN (Redis ≥ 7), else the rules ACL GETUSER shows, else harmless
 * reads and empty writes under the prefix. Nothing is written: the sample key names are only named.
 */
import { isPermissionDenied, isRefusedCommand, isUnknownCommand } from "../redis/classify-error.js";
import { checkAcl, parseGetUser } from "./acl.js";
import { UNKNOWN, briefError, versionAtLeast, type AclFacts, type Permission } from "./facts.js";
import { CHANNEL, COMMANDS, KEY, KEY2, sampleArgv, type CommandLabel } from "./requirements.js";
import { attempt, attemptAll, type DoctorClient, type Outcome } from "./probe-call.js";

export interface SampleNames {
  key: string;
  key2: string;
  channel: string;
}

/**
 * The ACL user, and what it may run according to ACL DRYRUN (Redis ≥ 7). Method "none" when DRYRUN is missing or
 * refused (probeGetUser may still read the rules), "no-acl" before Redis 6.
 */
export async function probeDryrun(
  redis: DoctorClient,
  labels: readonly CommandLabel[],
  names: SampleNames,
  redisVersion: string,
  refused: (what: string, error: string) => void,
): Promise<AclFacts> {
  const sample = { key: names.key, channel: names.channel };
  const whoami = await attempt(redis, ["ACL", "WHOAMI"]);
  if (!whoami.ok) {
    if (isUnknownCommand(whoami.error) && versionAtLeast(redisVersion, "6.0.0") !== true) {
      // Before Redis 6 there are no ACLs: whoever is connected may run every command the server has.
      return {
        user: "default",
        method: "no-acl",
        commands: Object.fromEntries(labels.map((l) => [l, { permission: "allowed" as Permission }])),
      };
    }
    refused("ACL WHOAMI", whoami.error);
    return {
      user: UNKNOWN,
      method: "none",
      reason: `ACL WHOAMI refused: ${briefError(whoami.error)}`,
      commands: {},
      sample,
    };
  }
  const user = String(whoami.value);
  const [firstLabel, ...rest] = labels;
  if (!firstLabel) return { user, method: "dryrun", commands: {}, sample };
  if (versionAtLeast(redisVersion, "7.0.0") === false) {
    return {
      user,
      method: "none",
      reason: `ACL DRYRUN needs Redis 7 (this server: ${redisVersion})`,
      commands: {},
      sample,
    };
  }
  // One DRYRUN first: when the user may not run it, the other checks would only repeat the refusal.
  const first = await attempt(redis, ["ACL", "DRYRUN", user, ...sampleArgv(firstLabel, names)]);
  if (!first.ok && isRefusedCommand(first.error)) {
    refused("ACL DRYRUN", first.error);
    return { user, method: "none", reason: `ACL DRYRUN refused: ${briefError(first.error)}`, commands: {}, sample };
  }
  const others = await attemptAll(
    redis,
    rest.map((l) => ["ACL", "DRYRUN", user, ...sampleArgv(l, names)]),
  );
  const commands: AclFacts["commands"] = {};
  [first, ...others].forEach((outcome, i) => (commands[labels[i]!] = dryrunPermission(outcome)));
  return { user, method: "dryrun", commands, sample };
}

/**
 * Without ACL DRYRUN or GETUSER (the user may not run ACL commands, or a server before Redis 7 that hides the
 * rules), a real probe of the tool's keyspace: `EXISTS <prefix>:doctor:{acl}:a` needs read access to the key, and
 * `SETRANGE <key> 0 ""` write access, and neither changes anything (an empty SETRANGE creates no key and changes no
 * value). A key the user may not touch (NOPERM) makes every command that names a key denied, with the server's
 * words; the command-level rules stay unknown.
 */
export async function probeKeyspace(
  redis: DoctorClient,
  labels: readonly CommandLabel[],
  names: SampleNames,
  previous: AclFacts,
): Promise<AclFacts> {
  const [read, write] = await attemptAll(redis, [
    ["EXISTS", names.key],
    ["SETRANGE", names.key, "0", ""],
  ]);
  const refusal = [read, write].find((o) => o && !o.ok && isPermissionDenied(o.error) && /key/i.test(o.error));
  if (!refusal || refusal.ok) return previous;
  const detail = `${briefError(refusal.error)} (a probe of ${names.key})`;
  const commands: AclFacts["commands"] = { ...previous.commands };
  for (const label of labels) {
    if (COMMANDS[label].argv.some((a) => a === KEY || a === KEY2)) commands[label] = { permission: "denied", detail };
  }
  return { ...previous, method: "probe", commands };
}

/** The user's rules from ACL GETUSER, applied here to each command the patterns send (acl.ts). */
export async function probeGetUser(
  redis: DoctorClient,
  labels: readonly CommandLabel[],
  names: SampleNames,
  previous: AclFacts,
  categories: Record<string, string[]>,
  refused: (what: string, error: string) => void,
): Promise<AclFacts> {
  const user = String(previous.user);
  const getuser = await attempt(redis, ["ACL", "GETUSER", user]);
  if (!getuser.ok || getuser.value === null) {
    const why = getuser.ok ? "ACL GETUSER found no such user" : briefError(getuser.error);
    if (!getuser.ok) refused("ACL GETUSER", getuser.error);
    return { ...previous, reason: `${previous.reason ?? "ACL DRYRUN unavailable"}; ACL GETUSER refused: ${why}` };
  }
  const parsed = parseGetUser(getuser.value);
  const commands: AclFacts["commands"] = {};
  for (const label of labels) {
    const spec = COMMANDS[label];
    const argv = sampleArgv(label, names);
    const keys = argv.filter((_, i) => spec.argv[i] === KEY || spec.argv[i] === KEY2);
    const channels = argv.filter((_, i) => spec.argv[i] === CHANNEL);
    commands[label] = checkAcl(parsed, {
      argv,
      categories: categories[spec.argv[0].toLowerCase()] ?? null,
      keys,
      channels,
    });
  }
  return { user, method: "getuser", commands, sample: previous.sample };
}

/** ACL DRYRUN answers OK, or a bulk string saying what is denied; an error reply when the command does not exist. */
function dryrunPermission(outcome: Outcome): { permission: Permission; detail?: string } {
  if (outcome.ok) {
    const text = String(outcome.value);
    return text === "OK" ? { permission: "allowed" } : { permission: "denied", detail: text };
  }
  if (isUnknownCommand(outcome.error) || /not found/i.test(outcome.error))
    return { permission: "not-found", detail: outcome.error };
  return { permission: UNKNOWN, detail: outcome.error };
}
