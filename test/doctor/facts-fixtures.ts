/**
 * Hand-written doctor facts for the rule tests, without a server: a healthy Redis 7.2 to start from, a way to take
 * commands away from its ACL user, the verdicts evaluatePatterns gives for a set of facts, and verdict sets written
 * out by hand that more than one test expects.
 */
import type { DoctorFacts } from "../../src/doctor/facts.js";
import { COMMANDS, PATTERNS, type CommandLabel, type PatternName } from "../../src/doctor/requirements.js";
import { evaluatePatterns, type Verdict } from "../../src/doctor/rules.js";

/** A healthy Redis 7.2: AOF everysec, no memory limit, scripts run, every command allowed by ACL DRYRUN. */
export function healthy(): DoctorFacts {
  const labels = Object.keys(COMMANDS) as CommandLabel[];
  return {
    server: { name: "Redis", version: "7.2.4", redisVersion: "7.2.4" },
    mode: "standalone",
    replicaReadOnly: true,
    persistence: { rdbSave: "3600 1 300 100 60 10000", aof: true, appendfsync: "everysec", source: "config" },
    memory: { maxmemory: 0, policy: "noeviction", source: "config" },
    lua: { runs: true, time: true },
    clock: { skewMs: 0.2, uncertaintyMs: 0.1, samples: 5 },
    latency: { samples: 100, p50Ms: 0.1, p99Ms: 0.3, maxMs: 0.5 },
    commandTable: Object.fromEntries(labels.map((l) => [COMMANDS[l].argv[0].toLowerCase(), true])),
    acl: {
      user: "default",
      method: "dryrun",
      commands: Object.fromEntries(labels.map((l) => [l, { permission: "allowed" as const }])),
    },
    unknowns: [],
  };
}

export function deny(facts: DoctorFacts, ...labels: CommandLabel[]): DoctorFacts {
  for (const l of labels)
    facts.acl.commands[l] = {
      permission: "denied",
      detail: `This user has no permissions to run the '${l.toLowerCase()}' command`,
    };
  return facts;
}

export function verdicts(facts: DoctorFacts): Record<PatternName, Verdict> {
  return Object.fromEntries(evaluatePatterns(facts, PATTERNS).map((v) => [v.pattern, v.verdict])) as Record<
    PatternName,
    Verdict
  >;
}

/** Every pattern ok: what a healthy server gets. */
export const ALL_OK: Record<PatternName, Verdict> = {
  ratelimit: "ok",
  cache: "ok",
  session: "ok",
  leaderboard: "ok",
  hll: "ok",
  analytics: "ok",
  lock: "ok",
  queue: "ok",
  primary: "ok",
};

/** A policy that can evict any key: every pattern but the cache may lose keys it must keep. */
export const ANY_KEY_EVICTED: Partial<Record<PatternName, Verdict>> = {
  primary: "warning",
  ratelimit: "warning",
  session: "warning",
  leaderboard: "warning",
  hll: "warning",
  analytics: "warning",
  lock: "warning",
  queue: "warning",
};
