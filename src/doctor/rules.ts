/**
 * The rules that turn server facts into a verdict per pattern. Pure: facts in, verdicts out, nothing sent, nothing
 * printed; the unit tests feed hand-written facts.
 *
 * Levels: "unsupported" (the pattern cannot run here), "warning" (it runs, but a variant is unavailable or its data is
 * at risk: eviction, no persistence), "info" (worth knowing, verdict stays ok: a fallback in use, something unknown).
 * A pattern's verdict is its worst finding; `doctor` exits 1 when any verdict is not ok.
 */
import { isPermissionDenied } from "../redis/classify-error.js";
import { clusterWarnings } from "./cluster.js";
import { UNKNOWN, briefError, durability, versionAtLeast, type DoctorFacts, type Durability } from "./facts.js";
import {
  COMMANDS,
  PATTERN_SPECS,
  type CommandLabel,
  type PatternName,
  type PatternSpec,
  type Use,
} from "./requirements.js";

export type FindingLevel = "info" | "warning" | "unsupported";
export type Verdict = "ok" | "warning" | "unsupported";

export interface Finding {
  level: FindingLevel;
  text: string;
}

export interface PatternVerdict {
  pattern: PatternName;
  verdict: Verdict;
  /** One line: the findings that decided the verdict (or, when ok, what is worth knowing). */
  reason: string;
  findings: Finding[];
}

/** Above this the clocks are said to differ (beyond the measurement's own uncertainty). */
export const CLOCK_SKEW_NOTE_MS = 1_000;

/** Whether a command form can be sent, and why not. */
export type Availability = { available: true; unverified: boolean } | { available: false; why: string };

export function commandAvailability(label: CommandLabel, facts: DoctorFacts): Availability {
  const spec = COMMANDS[label] as (typeof COMMANDS)[CommandLabel] & {
    since?: string;
    script?: true;
    timeInScript?: true;
  };
  if (spec.script && facts.lua.runs === false) {
    const error = briefError(facts.lua.runsError ?? "");
    if (isPermissionDenied(error)) return { available: false, why: `denied to ${aclUser(facts)} (${error})` };
    return { available: false, why: `Lua scripts do not run here${error ? ` (${error})` : ""}` };
  }
  if (spec.timeInScript && facts.lua.time === false)
    return {
      available: false,
      why: `a script cannot call TIME${facts.lua.timeError ? ` (${briefError(facts.lua.timeError)})` : ""}`,
    };
  if (
    spec.since &&
    facts.server.redisVersion !== UNKNOWN &&
    versionAtLeast(facts.server.redisVersion, spec.since) === false
  ) {
    return {
      available: false,
      why: `needs Redis ${shortVersion(spec.since)} (this server: ${facts.server.redisVersion})`,
    };
  }
  const name = spec.argv[0]!.toLowerCase();
  if (facts.commandTable !== UNKNOWN && facts.commandTable[name] === false) {
    return { available: false, why: "not on this server (renamed or disabled)" };
  }
  const acl = facts.acl.commands[label];
  if (acl?.permission === "denied")
    return {
      available: false,
      why: `denied to ${aclUser(facts)}${facts.acl.method === "probe" && acl.detail ? `: ${acl.detail}` : ""}`,
    };
  if (acl?.permission === "not-found") return { available: false, why: "not on this server (renamed or disabled)" };
  const unverified =
    acl === undefined ||
    acl.permission === UNKNOWN ||
    (spec.since !== undefined && versionAtLeast(facts.server.redisVersion, spec.since) === UNKNOWN);
  return { available: true, unverified };
}

/** "GETEX, BLMOVE need Redis 6.2 (this server: 6.0.16)": labels grouped by the reason they are missing. */
function describeMissing(missing: { label: CommandLabel; why: string }[]): string {
  const byWhy = new Map<string, string[]>();
  for (const { label, why } of missing) byWhy.set(why, [...(byWhy.get(why) ?? []), label]);
  return [...byWhy.entries()].map(([why, labels]) => `${labels.join(", ")}: ${why}`).join("; ");
}

function useFindings(use: Use, facts: DoctorFacts): Finding[] {
  const missing = use.commands.flatMap((label) => {
    const a = commandAvailability(label, facts);
    return a.available ? [] : [{ label, why: a.why }];
  });
  if (missing.length === 0) return [];
  const what = describeMissing(missing);
  if (use.fallback) {
    const fallbackMissing = use.fallback.commands.flatMap((label) => {
      const a = commandAvailability(label, facts);
      return a.available ? [] : [{ label, why: a.why }];
    });
    if (fallbackMissing.length === 0)
      return [{ level: "info", text: `${what} → the tool uses ${use.fallback.text} instead` }];
    const text =
      `${use.variant ?? "core"} unavailable: ${what}; the fallback (${use.fallback.text}) ` +
      `too: ${describeMissing(fallbackMissing)}`;
    return [{ level: use.variant ? "warning" : "unsupported", text }];
  }
  if (use.variant) return [{ level: "warning", text: `${use.variant} unavailable: ${what}` }];
  return [{ level: "unsupported", text: `cannot run: ${what}` }];
}

function evictionFindings(spec: PatternSpec, facts: DoctorFacts): Finding[] {
  const { policy, maxmemory } = facts.memory;
  const hasLoss = spec.eviction.ttlKeys !== undefined || spec.eviction.plainKeys !== undefined;
  if (policy === UNKNOWN) {
    return hasLoss
      ? [{ level: "info", text: "maxmemory-policy unknown (CONFIG GET and INFO refused): eviction risk not checked" }]
      : [];
  }
  // Without a memory limit nothing is ever evicted, whatever the policy says.
  if (maxmemory === 0) return [];
  const limit = maxmemory === UNKNOWN ? "" : ` (maxmemory ${formatBytes(maxmemory)})`;
  if (policy.startsWith("allkeys-")) {
    const losses = [spec.eviction.plainKeys, spec.eviction.ttlKeys].filter((t): t is string => t !== undefined);
    if (losses.length === 0)
      return [
        {
          level: "info",
          text: `maxmemory-policy ${policy}${limit} evicts entries when memory is full: what a cache wants`,
        },
      ];
    return [{ level: "warning", text: `maxmemory-policy ${policy}${limit} can evict any key: ${losses.join("; ")}` }];
  }
  if (policy.startsWith("volatile-")) {
    if (spec.eviction.ttlKeys === undefined) return [];
    return [
      {
        level: "warning",
        text: `maxmemory-policy ${policy}${limit} evicts keys that have a TTL: ${spec.eviction.ttlKeys}`,
      },
    ];
  }
  if (policy === "noeviction" && !hasLoss) {
    return [
      {
        level: "info",
        text:
          `maxmemory-policy noeviction${limit}: once memory is full, cache writes fail with OOM (allkeys-lru or ` +
          `allkeys-lfu suits a dedicated cache)`,
      },
    ];
  }
  return [];
}

function describeDurability(d: Durability, facts: DoctorFacts): string {
  const save = facts.persistence.rdbSave;
  switch (d) {
    case "none":
      return `no persistence (save "", appendonly no)`;
    case "rdb":
      return `RDB snapshots only (save "${save}")`;
    case "aof-no":
      return "AOF with appendfsync no";
    case "aof-everysec":
      return "AOF with appendfsync everysec";
    case "aof-always":
      return "AOF with appendfsync always";
    case "aof":
      return "AOF (appendfsync unknown)";
    default:
      return "persistence unknown";
  }
}

/** The `primary --persistence` setting closest to a durability, for naming the measurement. */
function measuredSetting(d: Durability): string | null {
  switch (d) {
    case "none":
    case "rdb":
    case "aof-everysec":
    case "aof-always":
      return d;
    case "aof":
    case "aof-no":
      return "aof-everysec";
    default:
      return null;
  }
}

function restartFindings(spec: PatternSpec, facts: DoctorFacts): Finding[] {
  const findings = restartFindingsOf(spec, facts);
  const by = spec.restart?.measuredBy;
  const setting = measuredSetting(durability(facts.persistence));
  if (!by || !setting) return findings;
  const see = `(a crash under this setting, measured: ${by} --persistence ${setting})`;
  if (findings.length === 0)
    return [
      {
        level: "info",
        text:
          `${describeDurability(durability(facts.persistence), facts)}: a crash loses no acknowledged write; ` +
          `each write waits for an fsync ${see}`,
      },
    ];
  return findings.map((f) => ({ ...f, text: `${f.text} ${see}` }));
}

function restartFindingsOf(spec: PatternSpec, facts: DoctorFacts): Finding[] {
  if (!spec.restart) return [];
  const d = durability(facts.persistence);
  const how = describeDurability(d, facts);
  const scope = spec.restart.variant ? `${spec.restart.variant}: ` : "";
  if (!spec.restart.risk) {
    return d === "none" ? [{ level: "info", text: `${how}: ${spec.restart.text}` }] : [];
  }
  switch (d) {
    case "none":
      return [{ level: "warning", text: `${scope}${how}: on a restart ${spec.restart.text}` }];
    case "rdb":
      return [
        {
          level: "warning",
          text: `${scope}${how}: a crash loses what was written since the last snapshot; ${spec.restart.text}`,
        },
      ];
    case "aof-no":
      return [
        {
          level: "warning",
          text: `${scope}${how}: the OS decides when the AOF reaches the disk (often 30 s); a crash can lose that much`,
        },
      ];
    case "aof-everysec":
    case "aof":
      return [{ level: "info", text: `${scope}${how}: a crash loses at most about a second of writes` }];
    case "aof-always":
      return [];
    default:
      return [
        {
          level: "info",
          text: `${scope}persistence unknown (CONFIG GET refused; INFO shows no AOF): check it before relying on it`,
        },
      ];
  }
}

function serverFindings(facts: DoctorFacts): Finding[] {
  if (facts.mode === "sentinel") {
    return [
      { level: "unsupported", text: "this is a Sentinel, not a data server: point --url at the primary it names" },
    ];
  }
  if (facts.mode === "replica" && facts.replicaReadOnly !== false) {
    return [
      {
        level: "unsupported",
        text: "a read-only replica: every write is refused (READONLY); point --url at the primary",
      },
    ];
  }
  if (facts.cluster)
    return clusterWarnings(facts.cluster).map((text) => ({ level: "warning" as const, text: `cluster: ${text}` }));
  return [];
}

function clockFindings(spec: PatternSpec, facts: DoctorFacts): Finding[] {
  if (!spec.clockSensitive || facts.clock === UNKNOWN) return [];
  const beyond = Math.abs(facts.clock.skewMs) - facts.clock.uncertaintyMs;
  if (beyond <= CLOCK_SKEW_NOTE_MS) return [];
  const side = facts.clock.skewMs > 0 ? "behind" : "ahead of";
  return [
    {
      level: "info",
      text:
        `this machine's clock is ${(Math.abs(facts.clock.skewMs) / 1000).toFixed(1)} s ${side} the ` +
        `server's: ${spec.clockSensitive}`,
    },
  ];
}

function latencyFindings(spec: PatternSpec, facts: DoctorFacts): Finding[] {
  if (!spec.latencyClaim || facts.latency === UNKNOWN) return [];
  if (facts.latency.p50Ms <= spec.latencyClaim.p50Ms) return [];
  return [
    {
      level: "info",
      text:
        `PING p50 is ${facts.latency.p50Ms.toFixed(2)} ms from here: the chapter's ${spec.latencyClaim.text} ` +
        `will not hold over this link`,
    },
  ];
}

function knowledgeFindings(spec: PatternSpec, facts: DoctorFacts): Finding[] {
  const out: Finding[] = [];
  const labels = spec.uses.flatMap((u) => [...u.commands, ...(u.fallback?.commands ?? [])]);
  if (facts.acl.method === "probe") {
    out.push({
      level: "info",
      text:
        `${aclUser(facts)} may not run ACL commands: key access was probed (EXISTS, an empty SETRANGE), command ` +
        `permissions are unknown`,
    });
  } else if (facts.acl.method === "none") {
    out.push({
      level: "info",
      text:
        `permissions of ${aclUser(facts)} unknown (neither ACL DRYRUN nor ACL GETUSER answered): a command may ` +
        `still be denied at run time`,
    });
  } else {
    const unknown = [...new Set(labels)].filter((l) => facts.acl.commands[l]?.permission === UNKNOWN);
    if (unknown.length > 0)
      out.push({ level: "info", text: `ACL permission not established for ${unknown.join(", ")}` });
  }
  if (
    facts.server.redisVersion === UNKNOWN &&
    labels.some((l) => (COMMANDS[l] as { since?: string }).since !== undefined)
  ) {
    out.push({
      level: "info",
      text: "server version unknown (INFO refused): commands that need a recent Redis were not checked against it",
    });
  }
  return out;
}

/** The verdict for each pattern, in the order asked for. */
export function evaluatePatterns(facts: DoctorFacts, patterns: readonly PatternName[]): PatternVerdict[] {
  const server = serverFindings(facts);
  return patterns.map((pattern) => {
    const spec = PATTERN_SPECS[pattern];
    const findings: Finding[] = [
      ...server,
      ...spec.uses.flatMap((use) => useFindings(use, facts)),
      ...evictionFindings(spec, facts),
      ...restartFindings(spec, facts),
      ...clockFindings(spec, facts),
      ...latencyFindings(spec, facts),
      ...knowledgeFindings(spec, facts),
    ];
    const verdict: Verdict = findings.some((f) => f.level === "unsupported")
      ? "unsupported"
      : findings.some((f) => f.level === "warning")
        ? "warning"
        : "ok";
    const deciding = verdict === "ok" ? findings : findings.filter((f) => f.level === verdict);
    const commands = new Set(spec.uses.flatMap((u) => u.commands)).size;
    const reason =
      deciding.length > 0
        ? deciding.map((f) => f.text).join("; ")
        : `all ${commands} commands available; nothing at risk`;
    return { pattern, verdict, reason, findings };
  });
}

/** Counts per verdict. */
export function countVerdicts(verdicts: readonly PatternVerdict[]): Record<Verdict, number> {
  const out: Record<Verdict, number> = { ok: 0, warning: 0, unsupported: 0 };
  for (const v of verdicts) out[v.verdict] += 1;
  return out;
}

function aclUser(facts: DoctorFacts): string {
  return facts.acl.user === UNKNOWN ? "the connected ACL user" : `ACL user ${facts.acl.user}`;
}

function shortVersion(v: string): string {
  return v.replace(/\.0$/, "");
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3}gb`;
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}mb`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return `${bytes} bytes`;
}
