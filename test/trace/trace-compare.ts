/**
 * The comparison behind test/trace/monitor.test.ts: a MONITOR connection on a throwaway server (Watched), a CLI run
 * with --json between two drains of it (tracedRun), and what differs between the document and what MONITOR saw
 * (traceProblems, expectExactTrace). What MONITOR shows, and so what the comparison leaves out and why, is in
 * monitor.test.ts's opening comment, and checked by its first test.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { expect } from "vitest";
import type { RecordedCommand } from "../../src/redis/recorder.js";
import { REDACTED } from "../../src/redis/redact.js";
import type { ThrowawayServer } from "../../src/redis/throwaway-server.js";
import type { RunReport } from "../../src/runner/report.js";
import { plainClient } from "../helpers/redis.js";
import { runCli, type CliResult } from "../helpers/cli.js";
import { MonitorTap, type MonitorLine } from "./monitor-tap.js";

/** How Redis 7.0's MONITOR writes a redacted argument (AUTH's password, HELLO's AUTH credentials). */
export const MONITOR_REDACTED = "(redacted)";
/** The commands Redis 7.0 flags skip_monitor but shows anyway (the scripting engine feeds MONITOR itself). */
export const SCRIPT_CALLS = ["eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro"];
/** Rejections processCommand makes before the command runs; MONITOR never shows those commands. */
const REJECTED_BEFORE_RUNNING = new RegExp(
  "^(ERR unknown command|ERR unknown subcommand|ERR wrong number of arguments|NOPERM|NOAUTH|OOM|READONLY|LOADING|" +
    "BUSY|MISCONF|NOREPLICAS|EXECABORT|MASTERDOWN)",
);

export interface Watched {
  server: () => ThrowawayServer;
  url: () => string;
  tap: MonitorTap;
  control: Redis;
  /** Addresses of this test's own connections (the control client), so only the CLI's lines are compared. */
  own: Set<string>;
}

export async function watch(server: () => ThrowawayServer, password?: string): Promise<Watched> {
  const s = server();
  const tap = await MonitorTap.open(s.host, s.port, password ? { password } : undefined);
  const control = password ? plainClient(s, { password }) : plainClient(s);
  const info = String(await control.call("CLIENT", "INFO"));
  const addr = /(?:^| )addr=(\S+)/.exec(info)?.[1];
  if (!addr) throw new Error(`no addr in CLIENT INFO: ${info}`);
  const url = password ? `redis://:${encodeURIComponent(password)}@${s.host}:${s.port}/3` : s.url;
  return { server, url: () => url, tap, control, own: new Set([addr]) };
}

/**
 * Make sure MONITOR has shown everything sent so far: send a unique ECHO from the control connection (a different
 * connection from the CLI's, which has exited) and wait for it. MONITOR writes lines in the order the server ran the
 * commands, so every earlier line is in by then. Returns the lines before the marker, and forgets them.
 */
export async function drain(w: Watched): Promise<MonitorLine[]> {
  const nonce = `drain-${randomBytes(8).toString("hex")}`;
  await w.control.call("ECHO", nonce);
  const marker = await w.tap.waitFor(
    (l) => w.own.has(l.source) && l.argv[0]?.toUpperCase() === "ECHO" && l.argv[1] === nonce,
  );
  const lines = w.tap.lines.slice(0, w.tap.lines.indexOf(marker));
  w.tap.clear();
  return lines;
}

export interface TracedRun {
  result: CliResult;
  report: RunReport;
  lines: MonitorLine[];
}

export async function tracedRun(w: Watched, args: string[]): Promise<TracedRun> {
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
export function documentedRecords(report: RunReport): RecordedCommand[] {
  return [
    ...report.setup.commands,
    ...report.scenarios.flatMap((s) => s.steps.flatMap((step) => step.commands)),
    ...report.cleanup.commands,
  ];
}

/** The Redis commands among them: statements to the database behind a cache (`source: "db"`) never reach Redis. */
export function documentedCommands(report: RunReport): RecordedCommand[] {
  return documentedRecords(report).filter((c) => c.source !== "db");
}

const sameArgv = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((arg, i) => (i === 0 ? arg.toUpperCase() === b[0]!.toUpperCase() : arg === b[i]));

export const show = (argv: readonly string[] | undefined): string =>
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
export function traceProblems(
  report: RunReport,
  lines: readonly MonitorLine[],
  own: ReadonlySet<string>,
  sentHidden: HiddenOnPurpose = () => false,
): string[] {
  const problems: string[] = [];
  const documented = documentedCommands(report).filter((c) => !sentHidden(c));
  // The document lists each record (Redis command or database statement) once: seq runs 1, 2, 3 … with no gap and
  // no repeat.
  const seqs = documentedRecords(report).map((c) => c.seq);
  if (!seqs.every((s, i) => s === i + 1))
    problems.push(`document seq numbers are not 1..${seqs.length} in order: ${seqs.join(",")}`);

  const labels = [...new Set(documented.map((c) => c.client))];
  const sources = [...new Set(lines.filter((l) => l.source !== "lua" && !own.has(l.source)).map((l) => l.source))];
  if (labels.length !== sources.length) {
    problems.push(
      `document has ${labels.length} client(s) (${labels.join(", ")}), ` +
        `MONITOR saw ${sources.length} connection(s) (${sources.join(", ")})`,
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
export type HiddenOnPurpose = (cmd: RecordedCommand) => boolean;

/**
 * MONITOR would not show these, so they must not be in the trace for the comparison to be exact (asserted, not
 * filtered).
 */
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

/**
 * For each EVAL/EVALSHA from the CLI, how many "lua" lines directly follow it; and any "lua" line that follows
 * nothing.
 */
export function scriptInnerLines(
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

export async function expectExactTrace(w: Watched, run: TracedRun, sentHidden?: HiddenOnPurpose): Promise<void> {
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
