import { Chalk, type ChalkInstance } from "chalk";
import { briefError, type DoctorFacts } from "../../doctor/facts.js";
import type { PatternName } from "../../doctor/requirements.js";
import type { Finding, PatternVerdict, Verdict } from "../../doctor/rules.js";
import type { Target } from "../../redis/connection.js";
import type { RecordedCommand } from "../../redis/recorder.js";
import { formatBytes, formatMs } from "../format.js";
import { DEFAULT_SCENARIO_FOOTPRINT, HEADROOM_RESERVE, evictingPolicy, headroom } from "../../redis/memory.js";
import type { GlobalOptions } from "../options/common.js";
import { asciiOnly, colorEnabled, defaultStreams, outputWidth, type Streams } from "./renderer.js";
import { renderTable } from "./table.js";
import { displayWidth, truncateEnd, wrapText } from "./text.js";
import { traceLines } from "./trace.js";

/** The one document `doctor --json` prints, and what the human output is drawn from. */
export interface DoctorReport {
  schemaVersion: 1;
  /** Every pattern judged ok, and no error. */
  ok: boolean;
  command: "doctor";
  target: Target;
  /** The connection handshake and the server description, as for every command. */
  setup: { commands: RecordedCommand[] };
  doctor?: {
    patterns: PatternName[];
    facts: DoctorFacts;
    verdicts: PatternVerdict[];
    counts: Record<Verdict, number>;
    /** The probes in order; `commands` says how many of the top-level `commands` each sent. */
    steps: { title: string; ms: number; commands: number }[];
  };
  /** Every command doctor sent after the setup, in order, ending with QUIT. */
  commands: RecordedCommand[];
  error?: { message: string; exitCode: number };
}

export interface DoctorRenderOptions extends GlobalOptions {
  /** Print the probes' trace (only when --trace was given). */
  showProbes?: boolean;
  /** Warnings fail the run too (`doctor --strict`). */
  strict?: boolean;
}

export function printDoctorReport(
  report: DoctorReport,
  opts: DoctorRenderOptions,
  streams: Streams = defaultStreams(),
): void {
  if (opts.json) {
    streams.stdout.write(JSON.stringify(report, null, 2) + "\n");
    return;
  }
  const c = new Chalk({ level: colorEnabled(opts, streams.stdout, streams.env) ? 1 : 0 });
  const lines = humanLines(
    report,
    { ...opts, ascii: asciiOnly(opts, streams.env) },
    c,
    outputWidth(opts, streams.stdout, streams.env),
  );
  streams.stdout.write(lines.join("\n") + "\n");
}

function humanLines(report: DoctorReport, opts: DoctorRenderOptions, c: ChalkInstance, width: number): string[] {
  const out: string[] = [];
  const t = report.target;
  const hang = (mark: string, text: string, margin = 0, style: (t: string) => string = (x) => x) =>
    wrapText(text, width - margin - displayWidth(mark) - 1).forEach((l, k) =>
      out.push(`${" ".repeat(margin)}${k === 0 ? mark : " ".repeat(displayWidth(mark))} ${style(l)}`),
    );
  hang(c.bold("Target "), `${t.url} · ${t.server} ${t.version} · ${t.mode}${t.embedded ? " · throwaway server" : ""}`);
  const d = report.doctor;
  if (d) hang(c.bold("Checks "), `${d.patterns.join(", ")}  (read-only: doctor writes no keys)`);
  out.push("");
  out.push(c.bold.cyan(truncateEnd("━━ doctor · which patterns can this server carry?", width)));

  // Verdict first: the count, then each pattern and what was found.
  if (d) {
    const unsupported = d.verdicts.filter((v) => v.verdict === "unsupported");
    const warnings = d.verdicts.filter((v) => v.verdict === "warning");
    const okCount = d.verdicts.length - unsupported.length - warnings.length;
    const parts = [
      okCount === d.verdicts.length
        ? `all ${okCount} pattern${okCount === 1 ? "" : "s"} ok`
        : `${okCount} of ${d.verdicts.length} pattern${d.verdicts.length === 1 ? "" : "s"} ok`,
    ];
    if (warnings.length > 0)
      parts.push(
        `${warnings.length} at risk (warning${opts.strict ? ", fails with --strict" : "; exit 1 only with --strict"})`,
      );
    if (unsupported.length > 0) parts.push(`${unsupported.length} unsupported`);
    const mark =
      unsupported.length > 0 || (opts.strict && warnings.length > 0)
        ? c.red("✗")
        : warnings.length > 0
          ? c.yellow("!")
          : c.green("✓");
    hang(mark, parts.join(" · "), 0, c.bold);
    out.push("");
    const nameWidth = Math.max(...d.verdicts.map((v) => v.pattern.length));
    for (const v of d.verdicts) {
      const verdict =
        v.verdict === "ok" ? c.green("✓ ok") : v.verdict === "warning" ? c.yellow("! warning") : c.red("✗ unsupported");
      out.push(`   ${v.pattern.padEnd(nameWidth)}  ${verdict}`);
      const findings =
        v.findings.length === 0
          ? v.verdict === "ok"
            ? []
            : [{ level: "info" as const, text: v.reason }]
          : v.findings.slice().sort((a, b) => rank(b.level) - rank(a.level));
      for (const f of findings) {
        const style = f.level === "info" ? c.dim : f.level === "warning" ? c.yellow : c.red;
        hang(style(MARK[f.level]), f.text, 5, style);
      }
    }
  }

  // The server's facts.
  if (d) {
    out.push("");
    out.push(`   ${c.bold("Server")}`);
    const plain = new Chalk({ level: 0 });
    const rows = factRows(d.facts, plain);
    for (const l of renderTable(["", ""], rows, { width: width - 3, ascii: opts.ascii })) out.push(`   ${l}`);
  }

  // The probes: their trace only with an explicit --trace; a one-line count otherwise.
  const total = report.commands.length;
  if (!opts.showProbes) {
    out.push("");
    const steps = d?.steps.length ?? 0;
    out.push(
      c.dim(
        truncateEnd(
          `   ${steps} probe${steps === 1 ? "" : "s"}, ${total} command${total === 1 ? "" : "s"} sent (--trace ` +
            `summary or --trace full shows them)`,
          width,
        ),
      ),
    );
    return out;
  }
  const shownScripts = new Set<string>();
  const style = { showLua: false, shownScripts, width, prefix: undefined };
  let offset = 0;
  (d?.steps ?? []).forEach((step, i) => {
    const commands = report.commands.slice(offset, offset + step.commands);
    offset += step.commands;
    out.push("");
    hang(
      c.bold(`   ${i + 1} ▸`),
      `${step.title}  (${step.commands} command${step.commands === 1 ? "" : "s"}, ${formatMs(step.ms)})`,
      0,
      c.bold,
    );
    out.push(...traceLines(commands, opts.trace, c, style));
  });
  const rest = report.commands.slice(offset);
  if (rest.length > 0 && opts.trace !== "off") {
    out.push("");
    const count = `${rest.length} command${rest.length === 1 ? "" : "s"}`;
    out.push(`   ${c.bold(d ? "closing" : "sent before the error")}  ${c.dim(count)}`);
    out.push(...traceLines(rest, opts.trace, c, style));
  }
  return out;
}

function factRows(f: DoctorFacts, c: ChalkInstance): string[][] {
  const table: string[][] = [];
  const unknown = c.yellow("unknown");
  const compatible =
    f.server.version !== f.server.redisVersion && f.server.redisVersion !== "unknown"
      ? ` (Redis ${f.server.redisVersion} compatible)`
      : "";
  const server = f.server.name === "unknown" ? unknown : `${f.server.name} ${f.server.version}${compatible}`;
  table.push(["server", server]);
  const mode =
    f.mode === "unknown"
      ? unknown
      : f.mode === "replica"
        ? `replica (${
            f.replicaReadOnly === false
              ? "writable"
              : f.replicaReadOnly === true
                ? "read-only"
                : "read-only unless configured otherwise"
          })`
        : f.mode;
  table.push(["mode", mode]);
  table.push(["persistence", persistenceText(f, c)]);
  const mm =
    f.memory.maxmemory === "unknown"
      ? unknown
      : f.memory.maxmemory === 0
        ? "0 (no limit)"
        : formatBytes(f.memory.maxmemory);
  const policy = f.memory.policy === "unknown" ? unknown : f.memory.policy;
  table.push([
    "memory",
    `maxmemory ${mm} · ` +
      `maxmemory-policy ${policy}${f.memory.source === "info" ? c.dim(" (from INFO memory: CONFIG GET refused)") : ""}`,
  ]);
  const room = headroomText(f, c);
  if (room) table.push(["headroom", room]);
  const lua =
    f.lua.runs === true
      ? `scripts run · TIME inside a script ${
          f.lua.time === true
            ? "works"
            : f.lua.time === false
              ? c.red(`fails: ${briefError(f.lua.timeError ?? "")}`)
              : unknown
        }`
      : f.lua.runs === false
        ? c.red(`scripts fail: ${briefError(f.lua.runsError ?? "")}`)
        : unknown;
  table.push(["Lua", lua]);
  if (f.clock === "unknown") table.push(["clock skew", unknown]);
  else {
    const side =
      Math.abs(f.clock.skewMs) <= f.clock.uncertaintyMs
        ? "no skew measurable"
        : f.clock.skewMs > 0
          ? "server ahead"
          : "server behind";
    table.push([
      "clock skew",
      `${f.clock.skewMs >= 0 ? "+" : "−"}${formatMs(Math.abs(f.clock.skewMs))} ` +
        `± ${formatMs(f.clock.uncertaintyMs)} (${side}; server TIME vs this machine, best of ${f.clock.samples})`,
    ]);
  }
  table.push([
    "PING latency",
    f.latency === "unknown"
      ? unknown
      : `p50 ${formatMs(f.latency.p50Ms)} · p99 ${formatMs(f.latency.p99Ms)} · max ${formatMs(f.latency.maxMs)} ` +
        `(${f.latency.samples} PINGs, one at a time)`,
  ]);
  table.push(["ACL", aclText(f, c)]);
  if (f.cluster) {
    const k = f.cluster;
    const state = k.state === "ok" ? c.green("ok") : c.red(k.state);
    const failed = k.slotsFail > 0 ? c.red(` · ${k.slotsFail} failed`) : "";
    const replicas = k.shards.reduce((n, s) => n + s.replicas.length, 0);
    table.push([
      "cluster",
      `cluster_state ${state} · ${k.slotsOk}/16384 slots served${failed} · ${k.shards.length} masters, ` +
        `${replicas} replicas · ${k.knownNodes} nodes known`,
    ]);
    for (const s of k.shards) {
      const replicas =
        s.replicas.length === 0 ? c.red("no replica") : s.replicas.map((r) => `${r.address} (${r.health})`).join(", ");
      table.push([
        "  master",
        `${s.master} (${s.health}) · slots ${s.slots.join(",")} (${s.slotCount}) · replicas ${replicas}`,
      ]);
    }
    if (k.redirect)
      table.push([
        "  redirection",
        `GET of slot ${k.redirect.slot} asked at ${k.redirect.asked} → ${k.redirect.reply}; the cluster client ` +
          `reads it at ${k.redirect.owner}`,
      ]);
    for (const p of k.problems) table.push([c.yellow("  refused"), p]);
  }
  for (const [reason, whats] of groupRefusals(f.unknowns)) table.push([c.yellow("refused"), `${whats}: ${reason}`]);
  return table;
}

/** Refusals with the same answer on one line: "CONFIG GET maxmemory, maxmemory-policy, save: NOPERM …". */
function groupRefusals(unknowns: DoctorFacts["unknowns"]): [string, string][] {
  const byReason = new Map<string, string[]>();
  for (const u of unknowns) {
    const reason = briefError(u.reason);
    byReason.set(reason, [...(byReason.get(reason) ?? []), u.what]);
  }
  return [...byReason.entries()].map(([reason, whats]) => {
    const shared = whats.length > 1 && whats.every((w) => w.startsWith("CONFIG GET ")) ? "CONFIG GET " : "";
    return [reason, shared + whats.map((w) => w.slice(shared.length)).join(", ")];
  });
}

function persistenceText(f: DoctorFacts, c: ChalkInstance): string {
  const p = f.persistence;
  const unknown = c.yellow("unknown");
  const rdb =
    p.rdbSave === "unknown"
      ? `RDB ${unknown}`
      : p.rdbSave.trim() === ""
        ? `RDB off (save "")`
        : `RDB save "${p.rdbSave}"`;
  const aof =
    p.aof === "unknown"
      ? `AOF ${unknown}`
      : p.aof
        ? `AOF on, appendfsync ${p.appendfsync === "unknown" ? unknown : p.appendfsync}`
        : "AOF off";
  const source = p.source === "info" ? c.dim(" (from INFO persistence: CONFIG GET refused)") : "";
  return `${rdb} · ${aof}${source}`;
}

function aclText(f: DoctorFacts, c: ChalkInstance): string {
  const a = f.acl;
  if (a.method === "no-acl") return "no ACLs on this server (before Redis 6): every command allowed";
  if (a.method === "none") return `user ${a.user} · permissions ${c.yellow("unknown")}: ${a.reason ?? ""}`;
  const entries = Object.entries(a.commands);
  const allowed = entries.filter(([, p]) => p.permission === "allowed").length;
  const denied = entries.filter(([, p]) => p.permission === "denied").map(([l]) => l);
  const missing = entries.filter(([, p]) => p.permission === "not-found").map(([l]) => l);
  const unsure = entries.filter(([, p]) => p.permission === "unknown").map(([l]) => l);
  if (a.method === "probe")
    return (
      `user ${a.user} ` +
      `· ${c.red(`may not touch the tool's keyspace: ${entries.find(([, p]) => p.detail)?.[1].detail ?? ""}`)} ` +
      `· command permissions ${c.yellow("unknown")}: ${a.reason ?? ""}`
    );
  const how = a.method === "dryrun" ? "ACL DRYRUN" : "the ACL GETUSER rules, read here";
  const parts = [
    `user ${a.user} · ${allowed} of ${entries.length} commands the patterns send are allowed ` +
      `(${how}${a.sample ? `, sample key ${a.sample.key}` : ""})`,
  ];
  if (denied.length > 0) parts.push(c.red(`denied: ${denied.join(", ")}`));
  if (missing.length > 0) parts.push(c.red(`not on this server: ${missing.join(", ")}`));
  if (unsure.length > 0) parts.push(c.yellow(`not established: ${unsure.join(", ")}`));
  return parts.join(" · ");
}

const MARK: Record<Finding["level"], string> = { info: "·", warning: "!", unsupported: "✗" };

function rank(level: Finding["level"]): number {
  return level === "unsupported" ? 2 : level === "warning" ? 1 : 0;
}

/**
 * The room left before the memory limit, and what the eviction guard makes of it: with an evicting policy a run
 * that may not fit is refused (src/redis/memory.ts). Undefined without a limit or without used_memory.
 */
function headroomText(f: DoctorFacts, c: ChalkInstance): string | undefined {
  const { maxmemory, policy, used } = f.memory;
  if (typeof maxmemory !== "number" || maxmemory === 0 || used === undefined) return undefined;
  const room = headroom({ used, max: maxmemory, policy: String(policy) })!;
  const text = `used ${formatBytes(used)} of ${formatBytes(maxmemory)}: ${formatBytes(Math.max(0, room))} free`;
  if (policy === "unknown" || !evictingPolicy(policy))
    return `${text} (${String(policy)}: a full server refuses writes, OOM)`;
  const smallest = DEFAULT_SCENARIO_FOOTPRINT + HEADROOM_RESERVE;
  return room < smallest
    ? c.yellow(
        `${text}: under ${formatBytes(smallest)}, so ${policy} could evict keys to make room for a run; every ` +
          `run is refused (exit 4) unless --force`,
      )
    : `${text} before ${policy} evicts keys; a run that could need more is refused (exit 4) unless --force`;
}
