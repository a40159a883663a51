/**
 * Every scenario on a real Redis Cluster (3 masters, 1 replica each, local redis-server processes), with the trace
 * checked against MONITOR on every node: for each node, what `--json` says was sent to that node is what that node
 * received, command for command (compared as multisets per node: connections to one node run concurrently, so only
 * the order within a connection is fixed, and a node's lines do not say which trace label a connection had).
 *
 * Left out of the comparison, each for a reason MONITOR has (see monitor.test.ts): admin commands (CONFIG GET),
 * commands rejected before they run (MOVED is one: a redirection is decided before the command runs), and commands
 * queued in a transaction whose EXEC was aborted. Lines a replica shows for what its master replicates come from the
 * master's address and are not the CLI's.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashTagOf } from "../../src/redis/keys.js";
import type { RecordedCommand } from "../../src/redis/recorder.js";
import type { RunReport } from "../../src/runner/report.js";
import { plainClient, useLocalCluster, useRedisServer } from "../helpers/redis.js";
import { assertBuilt, runCli } from "../helpers/cli.js";
import { MonitorTap, type MonitorLine } from "./monitor-tap.js";

const cluster = useLocalCluster(3, 1);
const standalone = useRedisServer();
const REJECTED_BEFORE_RUNNING = new RegExp(
  "^(MOVED|ASK|CROSSSLOT|TRYAGAIN|CLUSTERDOWN|ERR unknown command|ERR unknown subcommand|" +
    "ERR wrong number of arguments|NOPERM|NOAUTH|READONLY|EXECABORT)",
);

interface NodeTap {
  address: string;
  tap: MonitorTap;
  control: Redis;
  own: string;
}

const taps: NodeTap[] = [];

beforeAll(async () => {
  assertBuilt();
  for (const node of cluster().nodes) {
    const tap = await MonitorTap.open(node.host, node.port);
    const control = plainClient(node);
    const info = String(await control.call("CLIENT", "INFO"));
    const own = /(?:^| )addr=(\S+)/.exec(info)?.[1] ?? "";
    taps.push({ address: `${node.host}:${node.port}`, tap, control, own });
  }
}, 60_000);

afterAll(async () => {
  for (const t of taps) {
    t.tap.close();
    await t.control.quit().catch(() => t.control.disconnect());
  }
});

/**
 * All MONITOR lines up to now on one node, then forget them (a unique ECHO from the control connection marks the
 * end).
 */
async function drain(t: NodeTap): Promise<MonitorLine[]> {
  const nonce = `drain-${randomBytes(8).toString("hex")}`;
  await t.control.call("ECHO", nonce);
  const marker = await t.tap.waitFor(
    (l) => l.source === t.own && l.argv[0]?.toUpperCase() === "ECHO" && l.argv[1] === nonce,
  );
  const lines = t.tap.lines.slice(0, t.tap.lines.indexOf(marker));
  t.tap.clear();
  return lines;
}

function allRecords(report: RunReport): RecordedCommand[] {
  return [
    ...report.setup.commands,
    ...report.scenarios.flatMap((s) => s.steps.flatMap((st) => st.commands)),
    ...report.cleanup.commands,
  ].filter((c) => c.source !== "db");
}

/** Commands queued in a transaction whose EXEC was aborted never ran. */
function ranOnServer(commands: readonly RecordedCommand[]): RecordedCommand[] {
  const aborted = new Set(
    commands
      .filter((c) => c.batch?.kind === "multi" && /^exec$/i.test(c.argv[0]!) && c.reply === null && !c.error)
      .map((c) => c.batch!.id),
  );
  return commands.filter((c) => !(c.batch && aborted.has(c.batch.id) && !/^(multi|exec)$/i.test(c.argv[0]!)));
}

const key = (argv: readonly string[]) => JSON.stringify([argv[0]!.toUpperCase(), ...argv.slice(1)]);

function countOf(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

/** Differences between what the document says each node got and what each node's MONITOR showed. */
async function perNodeProblems(report: RunReport, lines: Map<string, MonitorLine[]>): Promise<string[]> {
  const problems: string[] = [];
  const control = taps[0]!.control;
  const flags = new Map<string, string[]>();
  const flagsOf = async (name: string): Promise<string[]> => {
    if (!flags.has(name)) {
      const [info] = (await control.call("COMMAND", "INFO", name)) as ([string, number, string[]] | null)[];
      flags.set(name, info ? info[2] : []);
    }
    return flags.get(name)!;
  };
  const records = ranOnServer(allRecords(report));
  const withoutNode = records.filter((c) => !c.node);
  if (withoutNode.length > 0)
    problems.push(`${withoutNode.length} command(s) without a node, e.g. ${key(withoutNode[0]!.argv)}`);
  const visible: RecordedCommand[] = [];
  for (const c of records) {
    if (c.error && REJECTED_BEFORE_RUNNING.test(c.error)) continue;
    const name = c.argv[0]!.toLowerCase();
    const sub = c.argv[1] ? await flagsOf(`${name}|${c.argv[1].toLowerCase()}`) : [];
    const f = sub.length > 0 ? sub : await flagsOf(name);
    if (f.includes("admin")) continue;
    visible.push(c);
  }
  const nodeAddresses = new Set(taps.map((t) => t.address));
  for (const t of taps) {
    const expected = countOf(visible.filter((c) => c.node === t.address).map((c) => key(c.argv)));
    const seen = countOf(
      (lines.get(t.address) ?? [])
        .filter((l) => l.source !== "lua" && l.source !== t.own && !nodeAddresses.has(l.source))
        .map((l) => key(l.argv)),
    );
    for (const k of new Set([...expected.keys(), ...seen.keys()])) {
      if ((expected.get(k) ?? 0) !== (seen.get(k) ?? 0))
        problems.push(
          `${t.address}: ${k.slice(0, 120)} document ×${expected.get(k) ?? 0}, MONITOR ×${seen.get(k) ?? 0}`,
        );
    }
  }
  return problems.slice(0, 20);
}

async function tracedRun(
  args: string[],
): Promise<{ report: RunReport; lines: Map<string, MonitorLine[]>; code: number | null; stderr: string }> {
  for (const t of taps) await drain(t);
  const result = await runCli([...args, "--json", "--url", cluster().seedUrl], { timeoutMs: 300_000 });
  const lines = new Map<string, MonitorLine[]>();
  for (const t of taps) lines.set(t.address, await drain(t));
  let report: RunReport;
  try {
    report = JSON.parse(result.stdout) as RunReport;
  } catch {
    throw new Error(`no JSON document (exit ${result.code}): ${result.stderr}\n${result.stdout.slice(0, 500)}`);
  }
  return { report, lines, code: result.code, stderr: result.stderr };
}

/** For each hash tag of the run's keys ("<pattern>/<tag>"), the nodes that served commands on it. */
function tagNodes(report: RunReport): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const c of allRecords(report)) {
    const key = c.argv[1];
    // PUBLISH/SUBSCRIBE name a channel, not a key: it has no slot (any node relays it).
    if (!c.node || c.error || !key?.startsWith(`${report.prefix}:`) || /subscribe|publish/i.test(c.argv[0]!)) continue;
    // A scenario's own servers (primary's throwaway redis-servers) are not the cluster's nodes.
    if (!taps.some((t) => t.address === c.node)) continue;
    if (key === `${report.prefix}:rp-run`) continue; // the run's marker (src/redis/ownership.ts), not a limiter key
    const tag = `${key.split(":")[2]}/${hashTagOf(key)}`;
    out.set(tag, (out.get(tag) ?? new Set()).add(c.node));
  }
  return out;
}

describe("the whole smoke suite on a 3×2 Redis Cluster", () => {
  it("a limiter per user: six clients' limiter keys spread over the masters; the trace matches MONITOR", async () => {
    const run = await tracedRun(["ratelimit", "--algo", "sliding-counter", "--clients", "6"]);
    expect(run.code, run.stderr).toBe(0);
    const tags = tagNodes(run.report);
    expect(tags.size).toBe(6);
    expect([...tags.values()].every((n) => n.size === 1)).toBe(true);
    expect(new Set([...tags.values()].flatMap((n) => [...n])).size).toBeGreaterThanOrEqual(2);
    expect(await perNodeProblems(run.report, run.lines)).toEqual([]);
  }, 60_000);

  it("passes, and every node received exactly what the trace says was sent to it", async () => {
    const run = await tracedRun(["smoke"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.ok).toBe(true);
    expect(run.report.target.mode).toBe("cluster");
    const failed = run.report.scenarios
      .filter((s) => !s.ok)
      .map(
        (s) =>
          `${s.id}: ${
            s.error ??
            s.checks
              .filter((c) => !c.ok)
              .map((c) => c.name)
              .join("; ")
          }`,
      );
    expect(failed).toEqual([]);
    expect(await perNodeProblems(run.report, run.lines)).toEqual([]);
    // The load spreads: the run's commands went to every master, not all to one.
    const masters = new Set(
      allRecords(run.report)
        .filter((c) => !c.phase && /^(GET|SET|EVALSHA|EVAL|ZADD|HSET|INCR|XADD|LPUSH|PFADD)$/i.test(c.argv[0]!))
        .filter((c) => taps.some((t) => t.address === c.node))
        .map((c) => c.node),
    );
    expect(masters.size).toBe(3);
    // Keys one operation touches share a slot; keys that need not, spread. The leaderboards (one per game) and the
    // cache entries (one per user) have fixed names and land on all three masters. Sessions are named by random
    // ids: their 11 tags fall on one master only with probability 3·(1/3)^11 ≈ 2·10⁻⁵, so at least two is asserted.
    const nodesOf = tagNodes(run.report);
    expect([...nodesOf.entries()].filter(([, nodes]) => nodes.size !== 1).map(([t]) => t)).toEqual([]);
    const spread = (pattern: string) =>
      new Set([...nodesOf.entries()].filter(([t]) => t.startsWith(`${pattern}/`)).flatMap(([, n]) => [...n])).size;
    expect(spread("leaderboard")).toBe(3);
    expect(spread("cache")).toBe(3);
    expect(spread("session")).toBeGreaterThanOrEqual(2);
    // No key is left on any master.
    for (const t of taps) {
      const [, keys] = (await t.control.call("SCAN", "0", "MATCH", `${run.report.prefix}:*`, "COUNT", "10000")) as [
        string,
        string[],
      ];
      expect(keys, t.address).toEqual([]);
    }
  }, 180_000);

  it("doctor reports the cluster's health and shows a MOVED redirection, then the read on the owner", async () => {
    const run = await tracedRun(["doctor"]);
    const doc = run.report as unknown as {
      doctor: {
        facts: {
          cluster: {
            state: string;
            slotsOk: number;
            shards: { master: string; replicas: unknown[] }[];
            redirect: { asked: string; owner: string; reply: string; key: string };
          };
        };
      };
      commands: RecordedCommand[];
    };
    const facts = doc.doctor.facts.cluster;
    expect(facts.state).toBe("ok");
    expect(facts.slotsOk).toBe(16384);
    expect(facts.shards).toHaveLength(3);
    expect(facts.shards.map((s) => s.replicas.length)).toEqual([1, 1, 1]);
    const redirect = facts.redirect;
    expect(redirect.reply).toMatch(/^MOVED \d+ /);
    expect(redirect.owner).not.toBe(redirect.asked);
    const gets = doc.commands.filter((c) => c.argv[0] === "GET" && c.argv[1] === redirect.key);
    expect(gets.map((c) => [c.node, c.error?.split(" ")[0] ?? "ok"])).toEqual([
      [redirect.asked, "MOVED"],
      [redirect.owner, "ok"],
    ]);
    // Who owns the slot, asked independently of the CLI.
    const slot = Number(await taps[0]!.control.call("CLUSTER", "KEYSLOT", redirect.key));
    const slots = (await taps[0]!.control.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
    const owner = slots.find(([a, b]) => slot >= a && slot <= b)![2];
    expect(redirect.owner).toBe(`${owner[0]}:${owner[1]}`);
    expect(
      await perNodeProblems(
        {
          ...run.report,
          setup: run.report.setup,
          scenarios: [],
          cleanup: { commands: doc.commands },
        } as unknown as RunReport,
        run.lines,
      ),
    ).toEqual([]);
  }, 60_000);
});

describe("connecting to a cluster, in process", () => {
  const connect = async (url: string | string[], cluster?: boolean) => {
    const { connectTarget } = await import("../../src/redis/connect.js");
    const { CommandRecorder } = await import("../../src/redis/recorder.js");
    const recorder = new CommandRecorder();
    const connection = await connectTarget({ url, cluster, timeoutMs: 5_000, recorder });
    return { connection, recorder };
  };

  it("is detected from one node's INFO, forced with --cluster, or implied by several seeds", async () => {
    const nodes = cluster().nodes;
    for (const [url, forced] of [
      [nodes[0]!.url, undefined],
      [nodes[1]!.url, true],
      [[nodes[2]!.url, nodes[3]!.url], undefined],
    ] as const) {
      const { connection } = await connect(url as string | string[], forced);
      try {
        expect(connection.target.mode).toBe("cluster");
        expect(connection.masters()).toHaveLength(3);
        expect((connection.redis as unknown as { isCluster?: boolean }).isCluster).toBe(true);
      } finally {
        await connection.close();
      }
    }
  }, 30_000);

  it("records a MOVED the cluster client follows: the error on the stale node, then the owner's command", async () => {
    const { connection, recorder } = await connect(cluster().seedUrl);
    const redis = connection.redis as unknown as { slots: string[][]; call(...a: string[]): Promise<unknown> };
    const key = `test:moved:${randomBytes(4).toString("hex")}`;
    try {
      const slot = Number(await redis.call("CLUSTER", "KEYSLOT", key));
      const owner = redis.slots[slot]![0]!;
      const stale = connection
        .masters()
        .map((m) => `${m.options.host}:${m.options.port}`)
        .find((a) => a !== owner)!;
      // Make the client's slot map stale, as after a resharding: it asks the wrong master first.
      redis.slots[slot] = [stale];
      const mark = recorder.mark();
      expect(await redis.call("GET", key)).toBeNull();
      const gets = recorder.since(mark).filter((c) => c.argv[0] === "GET");
      expect(gets.map((c) => [c.node, c.error ?? "ok"])).toEqual([
        [stale, `MOVED ${slot} ${owner}`],
        [owner, "ok"],
      ]);
      expect(gets[1]!.reply).toBeNull();
    } finally {
      await connection.close();
    }
  }, 30_000);

  it("finds a prefix's keys on every master (SCAN on each)", async () => {
    const { scanPrefixOnAll, deleteKeys } = await import("../../src/redis/cleanup.js");
    const { connection } = await connect(cluster().seedUrl);
    const prefix = `test:scan:${randomBytes(4).toString("hex")}`;
    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}:k${i}`);
    try {
      for (const k of keys) await connection.redis.call("SET", k, "1");
      const perMaster = await Promise.all(
        connection
          .masters()
          .map(
            async (m) =>
              ((await m.call("SCAN", "0", "MATCH", `${prefix}:*`, "COUNT", "1000")) as [string, string[]])[1].length,
          ),
      );
      expect(perMaster.filter((n) => n > 0).length).toBe(3);
      expect((await scanPrefixOnAll(connection.masters(), prefix)).sort()).toEqual([...keys].sort());
      expect(await deleteKeys(connection.redis, keys)).toBe(30);
      expect(await scanPrefixOnAll(connection.masters(), prefix)).toEqual([]);
    } finally {
      await connection.close();
    }
  }, 30_000);
});

describe("cleanup on a cluster", () => {
  it("finds a --keep run's keys on every master and deletes them all", async () => {
    const kept = await runCli(["leaderboard", "--keep", "--json", "--trace", "off", "--url", cluster().seedUrl]);
    expect(kept.code, kept.stderr).toBe(0);
    const prefix = (JSON.parse(kept.stdout) as RunReport).prefix;
    const onMasters = async () => {
      const counts: number[] = [];
      for (const t of taps) {
        const role = String(await t.control.call("ROLE"));
        if (!role.startsWith("master")) continue;
        const [, keys] = (await t.control.call("SCAN", "0", "MATCH", `${prefix}:*`, "COUNT", "100000")) as [
          string,
          string[],
        ];
        counts.push(keys.length);
      }
      return counts;
    };
    const before = await onMasters();
    expect(before.filter((n) => n > 0).length, "the kept keys are spread over several masters").toBeGreaterThanOrEqual(
      2,
    );
    const cleaned = await runCli(["cleanup", "--prefix", prefix, "--yes", "--json", "--url", cluster().seedUrl]);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    const doc = JSON.parse(cleaned.stdout) as { found: number; deleted: number };
    // Every key but the run's marker (<prefix>:rp-run), which cleanup removes after them.
    const total = before.reduce((a, b) => a + b, 0) - 1;
    expect(doc).toMatchObject({ found: total, deleted: total });
    expect(await onMasters()).toEqual([0, 0, 0]);
  }, 60_000);
});

describe("--cluster where there is no cluster", () => {
  it("exits 2 with --embedded, and on a standalone server, saying why", async () => {
    const embedded = await runCli(["ratelimit", "--cluster", "--embedded"]);
    expect(embedded.code).toBe(2);
    expect(embedded.stderr).toMatch(/--cluster needs --url/);
    const single = await runCli(["ratelimit", "--cluster", "--url", standalone().url]);
    expect(single.code).toBe(2);
    expect(single.stderr).toMatch(/is not in cluster mode .*cluster support disabled/);
  }, 30_000);
});
