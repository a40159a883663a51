/**
 * The trace is exact: what `--json` lists as sent is what the server received, command for command, argument for
 * argument. A MONITOR connection on a throwaway server watches the built CLI (a child process) and the two sequences
 * are compared.
 *
 * What MONITOR shows on Redis 7.0 (checked on this server by the first test, relied on by the others):
 *  - Commands are shown as the client sent them (argument case kept), in the order the server ran them.
 *  - AUTH and HELLO … AUTH are NOT hidden: they appear with the secret replaced by "(redacted)" (the trace writes
 *    "[redacted]"). The connection handshake (AUTH, SELECT, CLIENT SETNAME) therefore does appear.
 *  - Hidden: commands flagged `admin` (CONFIG, DEBUG, …), and commands rejected before they run (unknown command,
 *    wrong number of arguments, NOPERM, NOAUTH, …).
 *  - `skip_monitor` is set on exactly the script calls (EVAL, EVALSHA, their _RO forms, FCALL, FCALL_RO), yet they are
 *    shown: the flag only stops the generic after-execution feed, and the scripting engine shows the call itself
 *    before the script runs. So EVAL/EVALSHA comes before the commands its script runs, which appear with source
 *    "lua", not the client's address.
 *  - An EVALSHA answered with NOSCRIPT IS shown (like any script call, before the SHA is looked up), with no "lua"
 *    lines after it. (Redis before 7.0 fed MONITOR differently; this file asserts the 7.0 behaviour it relies on.)
 *  - QUIT is shown (on 7.0 it is not in the command table; COMMAND INFO quit is nil); the trace ends each
 *    connection with it too, as the last of the cleanup commands.
 *  - A transaction's queued commands are shown when EXEC runs them (MULTI, the commands, EXEC: the trace's order).
 *    When EXEC is aborted because a WATCHed key changed (EXEC → nil) they never run, and MONITOR shows only MULTI
 *    and EXEC: the comparison leaves those queued commands out (the trace keeps them, with their QUEUED replies).
 * The comparison accounts for each of these explicitly: the trace may not contain an admin command, a skip_monitor
 * command other than the script calls, or a pre-execution rejection (asserted, via COMMAND INFO), and the handshake is compared with the redaction mark translated.
 */
import { createHash, randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedCommand } from "../../src/redis/recorder.js";
import { REDACTED } from "../../src/redis/redact.js";
import type { ThrowawayServer } from "../../src/redis/throwaway-server.js";
import type { RunReport } from "../../src/runner/report.js";
import { plainClient, useRedisServer } from "../helpers/redis.js";
import { assertBuilt, runCli, type CliResult } from "../helpers/cli.js";
import { MonitorTap, type MonitorLine } from "./monitor-tap.js";

const ALGORITHMS = ["fixed-window", "sliding-log", "sliding-counter", "token-bucket"] as const;
const PASSWORD = `pw-${randomBytes(6).toString("hex")}`;
/** How Redis 7.0's MONITOR writes a redacted argument (AUTH's password, HELLO's AUTH credentials). */
const MONITOR_REDACTED = "(redacted)";
/** Rejections processCommand makes before the command runs; MONITOR never shows those commands. */
/** The commands Redis 7.0 flags skip_monitor but shows anyway (the scripting engine feeds MONITOR itself). */
const SCRIPT_CALLS = ["eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro"];
const REJECTED_BEFORE_RUNNING =
  /^(ERR unknown command|ERR unknown subcommand|ERR wrong number of arguments|NOPERM|NOAUTH|OOM|READONLY|LOADING|BUSY|MISCONF|NOREPLICAS|EXECABORT|MASTERDOWN)/;

const plain = useRedisServer();
const secured = useRedisServer(["--requirepass", PASSWORD]);

interface Watched {
  server: () => ThrowawayServer;
  url: () => string;
  tap: MonitorTap;
  control: Redis;
  /** Addresses of this test's own connections (the control client), so only the CLI's lines are compared. */
  own: Set<string>;
}

const watched: Record<"plain" | "secured", Watched> = {} as Record<"plain" | "secured", Watched>;

async function watch(server: () => ThrowawayServer, password?: string): Promise<Watched> {
  const s = server();
  const tap = await MonitorTap.open(s.host, s.port, password ? { password } : undefined);
  const control = password ? plainClient(s, { password }) : plainClient(s);
  const info = String(await control.call("CLIENT", "INFO"));
  const addr = /(?:^| )addr=(\S+)/.exec(info)?.[1];
  if (!addr) throw new Error(`no addr in CLIENT INFO: ${info}`);
  const url = password ? `redis://:${encodeURIComponent(password)}@${s.host}:${s.port}/3` : s.url;
  return { server, url: () => url, tap, control, own: new Set([addr]) };
}

beforeAll(async () => {
  assertBuilt();
  watched.plain = await watch(plain);
  watched.secured = await watch(secured, PASSWORD);
});

afterAll(async () => {
  for (const w of Object.values(watched)) {
    w.tap.close();
    await w.control.quit().catch(() => w.control.disconnect());
  }
});

/**
 * Make sure MONITOR has shown everything sent so far: send a unique ECHO from the control connection (a different
 * connection from the CLI's, which has exited) and wait for it. MONITOR writes lines in the order the server ran the
 * commands, so every earlier line is in by then. Returns the lines before the marker, and forgets them.
 */
async function drain(w: Watched): Promise<MonitorLine[]> {
  const nonce = `drain-${randomBytes(8).toString("hex")}`;
  await w.control.call("ECHO", nonce);
  const marker = await w.tap.waitFor(
    (l) => w.own.has(l.source) && l.argv[0]?.toUpperCase() === "ECHO" && l.argv[1] === nonce,
  );
  const lines = w.tap.lines.slice(0, w.tap.lines.indexOf(marker));
  w.tap.clear();
  return lines;
}

interface TracedRun {
  result: CliResult;
  report: RunReport;
  lines: MonitorLine[];
}

async function tracedRun(w: Watched, args: string[]): Promise<TracedRun> {
  await drain(w); // start from a clean slate: nothing before this run is compared
  const result = await runCli([...args, "--json", "--url", w.url()], { timeoutMs: 300_000 });
  const lines = await drain(w);
  let report: RunReport;
  try {
    report = JSON.parse(result.stdout) as RunReport;
  } catch {
    throw new Error(
      `CLI did not print one JSON document (exit ${result.code}): ${result.stderr}\n${result.stdout.slice(0, 500)}`,
    );
  }
  return { result, report, lines };
}

/** Every record the document lists, in the order the document gives them: setup, each step, cleanup. */
function documentedRecords(report: RunReport): RecordedCommand[] {
  return [
    ...report.setup.commands,
    ...report.scenarios.flatMap((s) => s.steps.flatMap((step) => step.commands)),
    ...report.cleanup.commands,
  ];
}

/** The Redis commands among them: statements to the database behind a cache (`source: "db"`) never reach Redis. */
function documentedCommands(report: RunReport): RecordedCommand[] {
  return documentedRecords(report).filter((c) => c.source !== "db");
}

const sameArgv = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((arg, i) => (i === 0 ? arg.toUpperCase() === b[0]!.toUpperCase() : arg === b[i]));

const show = (argv: readonly string[] | undefined): string =>
  argv === undefined ? "(nothing)" : JSON.stringify(argv.map((a) => (a.length > 80 ? `${a.slice(0, 77)}…` : a)));

/** Without the commands queued in a transaction whose EXEC was aborted (a WATCHed key changed): they never ran. */
function ranOnServer(commands: readonly RecordedCommand[]): RecordedCommand[] {
  const aborted = new Set(
    commands
      .filter(
        (c) => c.batch?.kind === "multi" && /^exec$/i.test(c.argv[0]!) && c.reply === null && c.error === undefined,
      )
      .map((c) => c.batch!.id),
  );
  return commands.filter((c) => !(c.batch && aborted.has(c.batch.id) && !/^(multi|exec)$/i.test(c.argv[0]!)));
}

/** The handshake as MONITOR prints it: the same argv, with the trace's redaction mark replaced by MONITOR's. */
const asMonitorShowsIt = (argv: readonly string[]): string[] =>
  argv.map((a) => (a === REDACTED ? MONITOR_REDACTED : a));

/**
 * Everything that differs between the document and MONITOR, as readable lines (empty when the trace is exact).
 * Per CLI connection, MONITOR must show: the handshake the document marks as such, then exactly the document's other
 * commands for that client in order, then one QUIT.
 */
function traceProblems(
  report: RunReport,
  lines: readonly MonitorLine[],
  own: ReadonlySet<string>,
  sentHidden: HiddenOnPurpose = () => false,
): string[] {
  const problems: string[] = [];
  const documented = documentedCommands(report).filter((c) => !sentHidden(c));
  // The document lists each record (Redis command or database statement) once: seq runs 1, 2, 3 … with no gap and no repeat.
  const seqs = documentedRecords(report).map((c) => c.seq);
  if (!seqs.every((s, i) => s === i + 1))
    problems.push(`document seq numbers are not 1..${seqs.length} in order: ${seqs.join(",")}`);

  const labels = [...new Set(documented.map((c) => c.client))];
  const sources = [...new Set(lines.filter((l) => l.source !== "lua" && !own.has(l.source)).map((l) => l.source))];
  if (labels.length !== sources.length) {
    problems.push(
      `document has ${labels.length} client(s) (${labels.join(", ")}), MONITOR saw ${sources.length} connection(s) (${sources.join(", ")})`,
    );
  }
  const diff = (label: string, source: string, expected: string[][]): string[] => {
    const out: string[] = [];
    const seen = lines.filter((l) => l.source === source).map((l) => l.argv);
    const n = Math.max(expected.length, seen.length);
    for (let k = 0; k < n && out.length < 10; k++) {
      if (expected[k] && seen[k] && sameArgv(expected[k]!, seen[k]!)) continue;
      out.push(`${label} (${source}) command #${k + 1}: document ${show(expected[k])}, MONITOR ${show(seen[k])}`);
    }
    return out;
  };
  const unmatched = [...sources];
  for (const label of labels) {
    const mine = documented.filter((c) => c.client === label);
    const firstBody = mine.findIndex((c) => c.phase !== "handshake");
    if (mine.slice(firstBody).some((c) => c.phase === "handshake"))
      problems.push(`${label}: a handshake command after the first other command`);
    const expected = [
      ...mine.filter((c) => c.phase === "handshake").map((c) => asMonitorShowsIt(c.argv)),
      ...ranOnServer(mine.filter((c) => c.phase !== "handshake")).map((c) => c.argv),
    ];
    // Connections opened at about the same time may reach the server in either order: take the connection whose
    // lines match, else report against the next one in order.
    const exact = unmatched.find((source) => diff(label, source, expected).length === 0);
    const source = exact ?? unmatched[0];
    if (source === undefined) continue;
    unmatched.splice(unmatched.indexOf(source), 1);
    if (!exact) problems.push(...diff(label, source, expected));
  }
  return problems;
}

/**
 * Admin commands a run sends on purpose, which MONITOR never shows (leaderboard reads `CONFIG GET
 * zset-max-listpack-entries`): named exactly per test, left out of the comparison, and asserted to be in the trace.
 */
type HiddenOnPurpose = (cmd: RecordedCommand) => boolean;

/** MONITOR would not show these, so they must not be in the trace for the comparison to be exact (asserted, not filtered). */
async function hiddenFromMonitor(
  control: Redis,
  report: RunReport,
  sentHidden: HiddenOnPurpose = () => false,
): Promise<string[]> {
  const hidden: string[] = [];
  const flagsCache = new Map<string, string[]>();
  const flagsOf = async (name: string): Promise<string[] | null> => {
    if (!flagsCache.has(name)) {
      const [info] = (await control.call("COMMAND", "INFO", name)) as ([string, number, string[]] | null)[];
      flagsCache.set(name, info ? info[2] : []);
    }
    return flagsCache.get(name) ?? null;
  };
  for (const cmd of documentedCommands(report).filter((c) => !sentHidden(c))) {
    const name = cmd.argv[0]!.toLowerCase();
    // A container command's flags are its subcommand's (CONFIG|GET is admin, CLIENT|SETNAME is not).
    const sub = cmd.argv[1] ? await flagsOf(`${name}|${cmd.argv[1].toLowerCase()}`) : [];
    const flags = sub && sub.length > 0 ? sub : await flagsOf(name);
    if (flags?.includes("admin") || (flags?.includes("skip_monitor") && !SCRIPT_CALLS.includes(name)))
      hidden.push(`${show(cmd.argv)} (${flags.join(" ")})`);
    if (cmd.error && REJECTED_BEFORE_RUNNING.test(cmd.error)) hidden.push(`${show(cmd.argv)} (rejected: ${cmd.error})`);
  }
  return hidden;
}

/** For each EVAL/EVALSHA from the CLI, how many "lua" lines directly follow it; and any "lua" line that follows nothing. */
function scriptInnerLines(
  lines: readonly MonitorLine[],
  own: ReadonlySet<string>,
): { calls: { argv: string[]; source: string; inner: MonitorLine[] }[]; orphans: MonitorLine[] } {
  const calls: { argv: string[]; source: string; inner: MonitorLine[] }[] = [];
  const orphans: MonitorLine[] = [];
  let current: { argv: string[]; source: string; inner: MonitorLine[] } | undefined;
  for (const line of lines) {
    if (line.source === "lua") {
      if (current) current.inner.push(line);
      else orphans.push(line);
      continue;
    }
    current = undefined;
    if (own.has(line.source)) continue;
    if (/^EVAL(SHA)?$/i.test(line.argv[0] ?? "")) {
      current = { argv: line.argv, source: line.source, inner: [] };
      calls.push(current);
    }
  }
  return { calls, orphans };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

async function expectExactTrace(w: Watched, run: TracedRun, sentHidden?: HiddenOnPurpose): Promise<void> {
  const { result, report, lines } = run;
  expect(result.code, result.stderr).toBe(0);
  expect(report.ok).toBe(true);
  if (sentHidden)
    expect(
      documentedCommands(report).some(sentHidden),
      "the admin command the run sends on purpose is in the trace",
    ).toBe(true);
  expect(await hiddenFromMonitor(w.control, report, sentHidden)).toEqual([]);
  expect(traceProblems(report, lines, w.own, sentHidden)).toEqual([]);

  // Scripts' own commands are not the CLI's and are not in the trace, but they do exist: each script call that ran
  // is followed by the commands it ran (source "lua"), a NOSCRIPT one by none, and each touches only the run's keys.
  const { calls, orphans } = scriptInnerLines(lines, w.own);
  expect(orphans).toEqual([]);
  const scriptCommands = documentedCommands(report).filter((c) => /^EVAL(SHA)?$/i.test(c.argv[0]!));
  // Per connection, the script calls are in the document's order; across connections (concurrent workers) the
  // server may interleave them differently than they were sent, so each client is paired with the connection
  // whose script calls match its own.
  const bySource = groupBy(calls, (c) => c.source);
  const unmatched = [...bySource.keys()];
  for (const mine of groupBy(scriptCommands, (c) => c.client).values()) {
    const signature = JSON.stringify(mine.map((c) => c.argv[1]));
    const source = unmatched.find((s) => JSON.stringify(bySource.get(s)!.map((c) => c.argv[1])) === signature);
    expect(source, `a connection whose script calls are ${signature.slice(0, 200)}`).toBeDefined();
    unmatched.splice(unmatched.indexOf(source!), 1);
    bySource.get(source!)!.forEach((call, i) => {
      if (mine[i]!.error) expect(call.inner, `${show(call.argv)} failed, so it ran nothing`).toEqual([]);
      else expect(call.inner.length, `${show(call.argv)} ran commands`).toBeGreaterThan(0);
    });
  }
  expect(unmatched, "script calls MONITOR saw that no client's trace has").toEqual([]);
  const inner = calls.flatMap((c) => c.inner);
  if (scriptCommands.length > 0) expect(inner.length).toBeGreaterThan(0);
  for (const line of inner) {
    if (line.argv[0]!.toUpperCase() === "TIME") continue;
    expect(line.argv[1], line.raw).toMatch(new RegExp(`^${report.prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:`));
  }
}

describe("what MONITOR shows on this server", () => {
  it("redacts AUTH, hides admin commands and rejected ones, shows NOSCRIPT, EVAL before its lua lines, and QUIT", async () => {
    const w = watched.secured;
    await drain(w);
    const probe = new Redis({
      host: w.server().host,
      port: w.server().port,
      password: PASSWORD,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableReadyCheck: false,
    });
    await probe.connect();
    const swallow = (p: Promise<unknown>) => p.catch((err: Error) => err.message);
    await probe.call("CLIENT", "SETNAME", "probe");
    await probe.call("CONFIG", "GET", "maxmemory"); // admin
    await probe.call("DEBUG", "SLEEP", "0"); // admin
    await swallow(probe.call("NOSUCHCOMMAND")); // rejected before running
    await swallow(probe.call("GET")); // wrong number of arguments: rejected before running
    await swallow(probe.call("EVALSHA", "0".repeat(40), 0)); // NOSCRIPT: shown
    await probe.call("EVAL", "redis.call('SET', KEYS[1], 'x'); return redis.call('DEL', KEYS[1])", 1, "probe:k");
    await probe.quit();
    const lines = await drain(w);
    // skip_monitor is on the script calls only, which are shown regardless (below): nothing else is silently hidden.
    const skipMonitor: string[] = [];
    const walk = (list: unknown[][]): void => {
      for (const c of list) {
        if ((c[2] as string[]).includes("skip_monitor")) skipMonitor.push(String(c[0]));
        if (Array.isArray(c[9])) walk(c[9] as unknown[][]);
      }
    };
    walk((await w.control.call("COMMAND")) as unknown[][]);
    expect(skipMonitor.sort()).toEqual(SCRIPT_CALLS);
    const probeSource = lines.find((l) => l.argv[0] === "client" || l.argv[0] === "CLIENT")?.source;
    const shown = lines
      .filter((l) => l.source === probeSource || l.source === "lua")
      .map((l) => [l.source === "lua" ? "lua" : "probe", ...l.argv]);
    expect(shown).toEqual([
      ["probe", "auth", MONITOR_REDACTED],
      ["probe", "CLIENT", "SETNAME", "probe"],
      ["probe", "EVALSHA", "0".repeat(40), "0"],
      ["probe", "EVAL", "redis.call('SET', KEYS[1], 'x'); return redis.call('DEL', KEYS[1])", "1", "probe:k"],
      ["lua", "SET", "probe:k", "x"],
      ["lua", "DEL", "probe:k"],
      ["probe", "quit"],
    ]);
  });
});

describe("the --json trace equals what MONITOR saw", () => {
  for (const algo of ALGORITHMS) {
    it(`ratelimit --algo ${algo} (default traffic)`, async () => {
      await expectExactTrace(watched.plain, await tracedRun(watched.plain, ["ratelimit", "--algo", algo]));
    });
  }

  for (const algo of ALGORITHMS) {
    it(`ratelimit --algo ${algo} --traffic burst --clients 2 --cost 2`, async () => {
      const run = await tracedRun(watched.plain, [
        "ratelimit",
        "--algo",
        algo,
        "--traffic",
        "burst",
        "--clients",
        "2",
        "--cost",
        "2",
      ]);
      await expectExactTrace(watched.plain, run);
      // Both identifiers' keys were used: the multi-client run really sent commands for each.
      const keys = documentedCommands(run.report).map((c) => c.argv.join(" "));
      expect(keys.some((k) => k.includes(":{alice}:"))).toBe(true);
      expect(keys.some((k) => k.includes(":{bob}:"))).toBe(true);
    });
  }

  it("ratelimit --compare", async () => {
    const run = await tracedRun(watched.plain, ["ratelimit", "--compare"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual(ALGORITHMS.map((a) => `ratelimit/${a}`));
  });

  it("session (all four variants: app servers on their own connections, pipelines, MULTI/EXEC, an aborted WATCH)", async () => {
    const run = await tracedRun(watched.plain, ["session"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual([
      "session/string",
      "session/hash",
      "session/lost-update",
      "session/read-latency",
    ]);
    // The aborted transaction is in the document (its SET answered QUEUED, its EXEC nil), and MONITOR shows no SET for it.
    const aborted = documentedCommands(run.report).filter((c) => /^exec$/i.test(c.argv[0]!) && c.reply === null);
    expect(aborted).toHaveLength(1);
  });

  // One algorithm per run: each worker label then names one connection (the comparison reuses worker-1 per scenario).
  for (const args of [["--algo", "simple"], ["--algo", "watchdog"], ["--algo", "fencing"], ["--no-lock"]]) {
    it(`lock ${args.join(" ")} (workers on their own connections, renewals from a timer)`, async () => {
      const run = await tracedRun(watched.plain, ["lock", ...args]);
      await expectExactTrace(watched.plain, run);
      const clients = new Set(documentedCommands(run.report).map((c) => c.client));
      expect([...clients].sort()).toEqual(["main", "worker-1", "worker-2", "worker-3"]);
    });
  }

  it("hll (100,000 addresses in batches of 10,000 per PFADD/SADD; PFMERGE of 7 days)", async () => {
    const run = await tracedRun(watched.plain, ["hll"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual(["hll/unique-count", "hll/weekly-merge"]);
    // Every one of the 100,000 addresses went over the wire in the PFADDs, and the trace has each of them.
    const pfadded = documentedCommands(run.report).filter(
      (c) => c.argv[0] === "PFADD" && c.argv[1]!.endsWith(":unique-ips:{api}"),
    );
    expect(pfadded.reduce((n, c) => n + c.argv.length - 2, 0)).toBe(100_000);
  });

  it("hll --trials 3 --count 20000 (items generated by a Lua script inside the server)", async () => {
    await expectExactTrace(watched.plain, await tracedRun(watched.plain, ["hll", "--trials", "3", "--count", "20000"]));
  });

  it("analytics (counters with MULTI/EXEC, trending with a second instance, a stream time series)", async () => {
    const run = await tracedRun(watched.plain, ["analytics"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual([
      "analytics/counters",
      "analytics/trending",
      "analytics/timeseries",
    ]);
    expect(new Set(documentedCommands(run.report).map((c) => c.client))).toEqual(new Set(["main", "web-2"]));
  });

  it("queue (list, reliable, stream; blocking pops and reads, consumers whose connection dies mid-batch send no QUIT)", async () => {
    const run = await tracedRun(watched.plain, ["queue"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual(["queue/list", "queue/reliable", "queue/stream"]);
    const commands = documentedCommands(run.report);
    // The crashed consumers' connections closed without a QUIT; the restarted ones and the others end with one.
    for (const kind of ["list", "reliable", "stream"]) {
      const mine = (client: string) => commands.filter((c) => c.client === client).map((c) => c.argv[0]!.toUpperCase());
      expect(mine(`${kind}:consumer-1`)).not.toContain("QUIT");
      expect(mine(`${kind}:consumer-2`)).not.toContain("QUIT");
      expect(mine(`${kind}:consumer-2-restarted`).at(-1)).toBe("QUIT");
    }
    for (const name of ["BRPOP", "BLMOVE", "XREADGROUP", "XAUTOCLAIM", "XPENDING"])
      expect(
        commands.some((c) => c.argv[0] === name),
        name,
      ).toBe(true);
  });

  it("cache (the four strategies over SQLite; the write-behind worker on its own connection; database statements left out)", async () => {
    const run = await tracedRun(watched.plain, ["cache"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual([
      "cache/cache-aside",
      "cache/read-through",
      "cache/write-through",
      "cache/write-behind",
    ]);
    expect(new Set(documentedCommands(run.report).map((c) => c.client))).toEqual(new Set(["main", "worker"]));
    // The database statements are in the document (and numbered with the commands), but not among the Redis commands.
    const statements = documentedRecords(run.report).filter((c) => c.source === "db");
    expect(statements.length).toBeGreaterThan(0);
    expect(run.lines.some((l) => /^(SELECT|UPDATE|CREATE|DROP)\b/.test(l.argv[0] ?? ""))).toBe(false);
  });

  for (const args of [
    ["--invalidate", "event"],
    ["--invalidate", "versioned"],
    ["--stampede", "--protect", "lock"],
    ["--stampede", "--protect", "early-expiry"],
    ["--race"],
  ]) {
    it(`cache ${args.join(" ")} (app instances, subscribers that disconnect and come back, concurrent clients, pipelines)`, async () => {
      await expectExactTrace(watched.plain, await tracedRun(watched.plain, ["cache", ...args]));
    });
  }

  it("leaderboard (bulk ZADDs in pipelines, MULTI/EXEC per day, ZUNIONSTORE, a key expiring; CONFIG GET left out: admin)", async () => {
    const configGet: HiddenOnPurpose = (c) =>
      c.argv.length === 3 && c.argv[0] === "CONFIG" && c.argv[1] === "GET" && c.argv[2] === "zset-max-listpack-entries";
    const run = await tracedRun(watched.plain, ["leaderboard"]);
    await expectExactTrace(watched.plain, run, configGet);
    expect(run.report.scenarios.map((s) => s.id)).toEqual([
      "leaderboard/global",
      "leaderboard/time-scoped",
      "leaderboard/ties",
    ]);
    // MONITOR shows the 1,000-member ZADD whole: 2,002 arguments, as the document has them.
    const seed = run.lines.find(
      (l) => l.argv[0]?.toUpperCase() === "ZADD" && l.argv[1]!.endsWith(":leaderboard:{global}"),
    );
    expect(seed?.argv).toHaveLength(2_002);
  });

  it("with a password and a database in the URL: AUTH (redacted on both sides) and SELECT are the handshake", async () => {
    const run = await tracedRun(watched.secured, ["ratelimit", "--algo", "token-bucket"]);
    await expectExactTrace(watched.secured, run);
    expect(run.report.setup.commands.filter((c) => c.phase === "handshake").map((c) => c.argv)).toEqual([
      ["auth", REDACTED],
      ["select", "3"],
      ["client", "setname", "redis-patterns"],
    ]);
    const cli = run.lines.filter((l) => l.source !== "lua" && !watched.secured.own.has(l.source));
    expect(cli[0]!.argv).toEqual(["auth", MONITOR_REDACTED]);
    expect(cli.slice(1).every((l) => l.db === 3)).toBe(true);
    expect(run.lines.some((l) => l.raw.includes(PASSWORD))).toBe(false);
    expect(run.result.stdout).not.toContain(PASSWORD);
  });

  it("after SCRIPT FLUSH, each script's first call is EVALSHA → NOSCRIPT → EVAL, in the document and in MONITOR", async () => {
    const w = watched.plain;
    await w.control.call("SCRIPT", "FLUSH");
    const run = await tracedRun(w, ["ratelimit", "--compare"]);
    await expectExactTrace(w, run); // includes the failed EVALSHAs, which MONITOR does show on 7.0

    const commands = documentedCommands(run.report);
    expect(run.report.scripts).toHaveLength(4);
    for (const script of run.report.scripts) {
      expect(createHash("sha1").update(script.lua).digest("hex")).toBe(script.sha);
      const calls = commands.filter((c) => c.argv[0] === "EVALSHA" && c.argv[1] === script.sha);
      const first = calls[0]!;
      expect(first.error, script.name).toMatch(/^NOSCRIPT/);
      expect(calls.slice(1).every((c) => c.error === undefined)).toBe(true);
      const fallback = commands[commands.indexOf(first) + 1]!;
      expect(fallback.argv).toEqual(["EVAL", script.lua, ...first.argv.slice(2)]);
      expect(fallback.error).toBeUndefined();
    }
    // The four fallbacks, and the EVAL that gives the run's prefix marker back (src/redis/ownership.ts).
    expect(commands.filter((c) => c.argv[0] === "EVAL" && !c.argv[3]?.endsWith(":rp-run"))).toHaveLength(4);

    // MONITOR: the NOSCRIPT EVALSHA line is there and ran nothing; the EVAL right after it ran the script.
    const { calls } = scriptInnerLines(run.lines, w.own);
    for (const script of run.report.scripts) {
      const i = calls.findIndex((c) => c.argv[1] === script.sha);
      expect(calls[i]!.argv[0]).toBe("EVALSHA");
      expect(calls[i]!.inner).toEqual([]);
      expect(calls[i + 1]!.argv[0]).toBe("EVAL");
      expect(calls[i + 1]!.argv[1]).toBe(script.lua);
      expect(calls[i + 1]!.inner.length).toBeGreaterThan(0);
    }
  });

  it("the comparison can fail: a dropped, an invented or an altered command is reported", async () => {
    const run = await tracedRun(watched.plain, ["ratelimit", "--algo", "fixed-window"]);
    expect(traceProblems(run.report, run.lines, watched.plain.own)).toEqual([]);
    const mutate = (edit: (steps: RecordedCommand[]) => void): RunReport => {
      const copy = structuredClone(run.report);
      edit(copy.scenarios[0]!.steps[0]!.commands);
      // Renumber, so only the comparison with MONITOR (not the seq check) can notice.
      documentedCommands(copy).forEach((c, i) => (c.seq = i + 1));
      return copy;
    };
    const dropped = mutate((cmds) => cmds.splice(1, 1));
    const invented = mutate((cmds) => cmds.splice(1, 0, { ...cmds[1]!, argv: ["GET", "invented"] }));
    const altered = mutate((cmds) => (cmds[1]!.argv = [...cmds[1]!.argv.slice(0, -1), "999"]));
    for (const report of [dropped, invented, altered]) {
      expect(traceProblems(report, run.lines, watched.plain.own).length).toBeGreaterThan(0);
    }
  });
});
