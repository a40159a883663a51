/**
 * Ask a server what `doctor` needs to know: INFO, CONFIG GET, two tiny scripts, TIME, PINGs, COMMAND INFO and the
 * ACL. Read-only: nothing here writes a key (ACL DRYRUN names sample keys without touching them). Every command
 * goes through the given client, so a recorded client records all of it.
 *
 * A refusal (an error reply: NOPERM, unknown command, a disabled CONFIG) becomes "unknown" in the facts, with the
 * server's words in `unknowns`. Anything else (the connection broke, a timeout) is thrown for the caller to report.
 */
import {
  UNKNOWN,
  asAppendFsync,
  identifyServer,
  memoryFromInfo,
  usedMemory,
  parseConfigReply,
  parseInfo,
  percentile,
  persistenceFromInfo,
  serverMode,
  yesNo,
  type AclFacts,
  type ClockFacts,
  type DoctorFacts,
  type LatencyFacts,
  type LuaFacts,
  type MemoryFacts,
  type PersistenceFacts,
} from "./facts.js";
import { COMMANDS, commandsFor, type CommandLabel, type PatternName } from "./requirements.js";
import { round } from "../stats.js";
import { probeDryrun, probeGetUser, probeKeyspace } from "./probe-acl.js";
import { attempt, attemptAll, type DoctorClient } from "./probe-call.js";

export type { DoctorClient } from "./probe-call.js";

export interface ProbeOptions {
  patterns: readonly PatternName[];
  /** How many PINGs the latency figures are taken over. */
  pings: number;
  /**
   * Prefix of the sample key names ACL DRYRUN checks (key patterns such as ~app:* apply to them); nothing is
   * written.
   */
  prefix: string;
  /** This machine's clock, ms since the epoch with sub-millisecond resolution. */
  now?: () => number;
  /** TIME samples for the clock skew (the one with the shortest round trip counts). */
  timeSamples?: number;
  /** Called as each probe starts, so the caller can group the trace by probe. */
  onStep?: (title: string) => void;
}

const defaultNow = (): number => performance.timeOrigin + performance.now();

/** Gather the facts. Sends only reads (INFO, CONFIG GET, EVAL of two read-only scripts, TIME, PING, COMMAND, ACL). */
export async function collectFacts(redis: DoctorClient, options: ProbeOptions): Promise<DoctorFacts> {
  const now = options.now ?? defaultNow;
  const step = options.onStep ?? (() => {});
  const unknowns: DoctorFacts["unknowns"] = [];
  const refused = (what: string, error: string) => unknowns.push({ what, reason: error });

  step("server (INFO)");
  const infoReply = await attempt(redis, ["INFO"]);
  let info: Record<string, string> = {};
  if (infoReply.ok) info = parseInfo(String(infoReply.value));
  else refused("INFO", infoReply.error);
  const server = infoReply.ok ? identifyServer(info) : { name: UNKNOWN, version: UNKNOWN, redisVersion: UNKNOWN };
  const mode = infoReply.ok ? serverMode(info) : UNKNOWN;

  step("configuration (CONFIG GET)");
  const { persistence, memory, replicaReadOnly } = await readConfig(redis, info, refused);

  step("Lua scripts (EVAL)");
  const lua = await probeLua(redis, refused);

  step("clock (TIME)");
  const clock = await probeClock(redis, now, options.timeSamples ?? 5, refused);

  step(`latency (${options.pings} × PING)`);
  const latency = await probeLatency(redis, options.pings, refused);

  const facts = { server, mode, replicaReadOnly, persistence, memory, lua, clock, latency };
  const labels = commandsFor(options.patterns);
  const names = {
    key: `${options.prefix}:doctor:{acl}:a`,
    key2: `${options.prefix}:doctor:{acl}:b`,
    channel: `${options.prefix}:doctor:channel`,
  };
  step("ACL permissions (ACL WHOAMI, ACL DRYRUN)");
  const dryrun = await probeDryrun(redis, labels, names, server.redisVersion, refused);
  if (dryrun.method === "dryrun") {
    // DRYRUN also names the commands the server does not have (renamed or disabled): no need to ask COMMAND INFO.
    const commandTable: Record<string, boolean> = {};
    for (const label of labels) {
      const name = COMMANDS[label].argv[0].toLowerCase();
      commandTable[name] = (commandTable[name] ?? true) && dryrun.commands[label]?.permission !== "not-found";
    }
    return { ...facts, commandTable, acl: dryrun, unknowns };
  }

  step("command table (COMMAND INFO)");
  const table = await readCommandTable(redis, labels, refused);
  let acl: AclFacts = dryrun;
  if (dryrun.method === "none" && dryrun.user !== UNKNOWN) {
    step("ACL permissions (ACL GETUSER)");
    acl = await probeGetUser(redis, labels, names, dryrun, table.categories, refused);
  }
  if (acl.method === "none") {
    step('key permissions (EXISTS, SETRANGE … "" under the prefix)');
    acl = await probeKeyspace(redis, labels, names, acl);
  }
  return { ...facts, commandTable: table.known, acl, unknowns };
}

const CONFIG_PARAMS = [
  "maxmemory",
  "maxmemory-policy",
  "save",
  "appendonly",
  "appendfsync",
  "replica-read-only",
] as const;

async function readConfig(
  redis: DoctorClient,
  info: Record<string, string>,
  refused: (what: string, error: string) => void,
): Promise<{ persistence: PersistenceFacts; memory: MemoryFacts; replicaReadOnly: boolean | typeof UNKNOWN }> {
  // One parameter per CONFIG GET: servers before 7.0 take a single pattern. One round trip all the same.
  const replies = await attemptAll(
    redis,
    CONFIG_PARAMS.map((p) => ["CONFIG", "GET", p]),
  );
  const config: Record<string, string> = {};
  CONFIG_PARAMS.forEach((param, i) => {
    const reply = replies[i]!;
    if (!reply.ok) refused(`CONFIG GET ${param}`, reply.error);
    else Object.assign(config, parseConfigReply(reply.value));
  });

  const fromInfo = persistenceFromInfo(info);
  const aofConfig = yesNo(config.appendonly);
  const persistence: PersistenceFacts =
    config.save !== undefined || aofConfig !== UNKNOWN
      ? {
          rdbSave: config.save ?? UNKNOWN,
          aof: aofConfig !== UNKNOWN ? aofConfig : fromInfo.aof,
          appendfsync: asAppendFsync(config.appendfsync),
          source: "config",
        }
      : fromInfo;

  const memoryInfo = memoryFromInfo(info);
  const maxmemory =
    config.maxmemory !== undefined && /^\d+$/.test(config.maxmemory) ? Number(config.maxmemory) : undefined;
  const policy = config["maxmemory-policy"];
  const memory: MemoryFacts =
    maxmemory !== undefined || policy !== undefined
      ? {
          maxmemory: maxmemory ?? memoryInfo.maxmemory,
          policy: policy ?? memoryInfo.policy,
          source: "config",
          ...usedMemory(info),
        }
      : memoryInfo;

  const replicaReadOnly = yesNo(config["replica-read-only"] ?? config["slave-read-only"]);
  return { persistence, memory, replicaReadOnly };
}

async function probeLua(redis: DoctorClient, refused: (what: string, error: string) => void): Promise<LuaFacts> {
  const runs = await attempt(redis, ["EVAL", "return 1", "0"]);
  if (!runs.ok) {
    refused("EVAL", runs.error);
    return { runs: false, runsError: runs.error, time: UNKNOWN };
  }
  if (Number(runs.value) !== 1)
    return { runs: false, runsError: `EVAL "return 1" answered ${JSON.stringify(runs.value)}`, time: UNKNOWN };
  const time = await attempt(redis, ["EVAL", "return redis.call('TIME')", "0"]);
  if (!time.ok) return { runs: true, time: false, timeError: time.error };
  const ok = Array.isArray(time.value) && time.value.length === 2;
  return ok
    ? { runs: true, time: true }
    : { runs: true, time: false, timeError: `answered ${JSON.stringify(time.value)}` };
}

async function probeClock(
  redis: DoctorClient,
  now: () => number,
  samples: number,
  refused: (what: string, error: string) => void,
): Promise<ClockFacts | typeof UNKNOWN> {
  let best: { skewMs: number; rttMs: number } | undefined;
  for (let i = 0; i < samples; i++) {
    const sent = now();
    const reply = await attempt(redis, ["TIME"]);
    const received = now();
    if (!reply.ok) {
      refused("TIME", reply.error);
      return UNKNOWN;
    }
    const [seconds, micros] = Array.isArray(reply.value) ? reply.value.map(Number) : [NaN, NaN];
    if (!Number.isFinite(seconds) || !Number.isFinite(micros)) return UNKNOWN;
    const serverMs = seconds! * 1000 + micros! / 1000;
    const rttMs = received - sent;
    // The server read its clock somewhere within the round trip; the middle is the best guess, ± half the trip.
    const skewMs = serverMs - (sent + rttMs / 2);
    if (!best || rttMs < best.rttMs) best = { skewMs, rttMs };
  }
  if (!best) return UNKNOWN;
  return { skewMs: round(best.skewMs), uncertaintyMs: round(best.rttMs / 2), samples };
}

async function probeLatency(
  redis: DoctorClient,
  pings: number,
  refused: (what: string, error: string) => void,
): Promise<LatencyFacts | typeof UNKNOWN> {
  const times: number[] = [];
  for (let i = 0; i < pings; i++) {
    const started = performance.now();
    const reply = await attempt(redis, ["PING"]);
    const ms = performance.now() - started;
    if (!reply.ok) {
      refused("PING", reply.error);
      return UNKNOWN;
    }
    times.push(ms);
  }
  if (times.length === 0) return UNKNOWN;
  times.sort((a, b) => a - b);
  return {
    samples: times.length,
    p50Ms: round(percentile(times, 50)),
    p99Ms: round(percentile(times, 99)),
    maxMs: round(times[times.length - 1]!),
  };
}

/** Which command names the server knows (a renamed or disabled command is unknown to it), with their ACL categories. */
async function readCommandTable(
  redis: DoctorClient,
  labels: readonly CommandLabel[],
  refused: (what: string, error: string) => void,
): Promise<{ known: Record<string, boolean> | typeof UNKNOWN; categories: Record<string, string[]> }> {
  const names = [...new Set(labels.map((l) => COMMANDS[l].argv[0].toLowerCase()))];
  // COMMAND INFO without names lists every command: nothing to ask.
  if (names.length === 0) return { known: {}, categories: {} };
  const reply = await attempt(redis, ["COMMAND", "INFO", ...names]);
  if (!reply.ok || !Array.isArray(reply.value)) {
    refused("COMMAND INFO", reply.ok ? `answered ${JSON.stringify(reply.value)}` : reply.error);
    return { known: UNKNOWN, categories: {} };
  }
  const known: Record<string, boolean> = {};
  const categories: Record<string, string[]> = {};
  names.forEach((name, i) => {
    const entry = (reply.value as unknown[])[i];
    known[name] = Array.isArray(entry);
    if (Array.isArray(entry) && Array.isArray(entry[6])) categories[name] = entry[6].map(String);
  });
  return { known, categories };
}
