import { Chalk } from "chalk";
import type { Bottleneck, HistogramBucket, PhaseResult } from "../../bench/run.js";
import type { RedisBenchmarkRun } from "../../bench/redis-benchmark.js";
import type { Target } from "../../redis/connection.js";
import type { RecordedCommand } from "../../redis/recorder.js";
import type { CleanupResult } from "../../runner/runner.js";
import type { CheckFailure } from "../../check-failure.js";
import { failureText } from "./failure.js";
import { displayArgv } from "../format.js";
import type { GlobalOptions } from "../options/common.js";
import { asciiOnly, colorEnabled, defaultStreams, outputWidth, type Streams } from "./renderer.js";
import { plotLines } from "./plot.js";
import { renderTable } from "./table.js";
import { wrapText } from "./text.js";
import { traceLines } from "./trace.js";
import { roundPercent } from "../../stats.js";

export interface BenchRound {
  recordingOff: PhaseResult;
  recordingOn: PhaseResult;
  redisBenchmark?: { runs: RedisBenchmarkRun[]; opsPerSec: number };
}

/**
 * The one document `bench --json` prints; the figures at the top are the recording-off run (median round): its
 * throughput, latencies and CPU as src/bench/run.ts measures them.
 */
export interface BenchReport extends Pick<
  PhaseResult,
  "opsPerSec" | "p50Ms" | "p95Ms" | "p99Ms" | "maxMs" | "meanMs" | "clientCpu" | "clientCpuUsPerOp" | "serverCpu"
> {
  schemaVersion: 1;
  ok: boolean;
  command: "bench";
  target: Target;
  prefix: string;
  operation: { id: string; what: string; commands: string[] };
  config: {
    ops: number | null;
    durationMs: number | null;
    clients: number;
    pipeline: number;
    /** Worker threads (0 with --processes). */
    threads: number;
    /** Forked OS processes (--processes; 0 with worker threads). */
    processes: number;
    rounds: number;
    /** Untimed operations run before each timed run (split over the threads or processes), so it starts warm. */
    warmupOps: number;
  };
  machine: { cores: number; cpu: string; node: string; serverIsLocal: boolean; loadAverage: number };
  opsRequested: number | null;
  opsCompleted: number;
  /** Redis's main-thread CPU time per operation, µs. */
  serverCpuUsPerOp: number | null;
  /** The recording-off run's latency distribution (median round), merged over every thread or process. */
  latencyHistogram: HistogramBucket[];
  bottleneck?: Bottleneck;
  recordingOn: {
    opsPerSec: number;
    p50Ms: number;
    p99Ms: number;
    commandsRecorded: number;
    commandsRetained: number;
  } | null;
  recordingCostPct: number | null;
  /** The recorder's cost as client CPU per operation, on vs off (median over the rounds' pairs), %. */
  recordingCpuCostPct: number | null;
  redisBenchmarkOpsPerSec?: number;
  ratioVsRedisBenchmark?: number;
  /** redis-benchmark's own CPU time per operation of the sequence (one request of each command), µs. */
  redisBenchmarkCpuUsPerOp?: number | null;
  errors: number;
  firstError?: string;
  /** The command the first error answered, as a worker sent it, where the error named it (an error reply does). */
  firstErrorCommand?: string[];
  rounds: BenchRound[];
  notes: string[];
  sample: { commands: RecordedCommand[] };
  cleanup: CleanupResult;
  error?: { message: string };
  /** Why the run is not ok, as a scenario's failed checks are (src/check-failure.ts): failed operations, cleanup. */
  failures?: CheckFailure[];
}

const BOTTLENECK_TEXT: Record<Bottleneck, string> = {
  server: "the server: Redis's main thread was busy ≥ 85% of the run; this is your server's limit for this operation",
  client:
    "the client (this tool): every benchmark thread was busy; the server had room left, so this is NOT your " +
    "server's limit (try --threads, or several machines)",
  machine:
    "the machine: its cores were all busy (client and server share them, or other processes took them: see the " +
    "load average); neither side alone was the limit, so this is not your server's limit",
  latency: "round trips: neither side was busy; more --clients or --pipeline would go faster",
};

export function printBenchReport(report: BenchReport, opts: GlobalOptions, streams: Streams = defaultStreams()): void {
  if (opts.json) {
    streams.stdout.write(JSON.stringify(report, null, 2) + "\n");
    return;
  }
  const c = new Chalk({ level: colorEnabled(opts, streams.stdout, streams.env) ? 1 : 0 });
  const width = Math.max(40, outputWidth(opts, streams.stdout, streams.env));
  const out: string[] = [];
  /** Prose wrapped to the width: the first line after `indent`, the rest after `indent` and two more spaces. */
  const para = (text: string, indent = "  ", style: (t: string) => string = (t) => t) =>
    wrapText(text, width - indent.length - 2).map((l, i) => style(`${indent}${i === 0 ? "" : "  "}${l}`));
  /** A line that starts with a bold label, wrapped like `para`. */
  const labelled = (label: string, text: string) => {
    const lines = para(`${label} ${text}`);
    lines[0] = lines[0]!.replace(label, c.bold(label));
    return lines;
  };
  const cfg = report.config;
  const title = `bench ${report.operation.id}`;
  const head = para(
    `${title} · ${report.target.server} ${report.target.version} at ${report.target.url} · prefix ${report.prefix}`,
    "",
  );
  head[0] = c.bold(title) + c.dim(head[0]!.slice(title.length));
  out.push(head[0], ...head.slice(1).map((l) => c.dim(l)));
  out.push(...para(report.operation.what));
  const perRun =
    (cfg.ops !== null ? `${cfg.ops.toLocaleString("en-US")} operations` : `${cfg.durationMs} ms`) +
    (cfg.warmupOps > 0 ? ` (after ${cfg.warmupOps.toLocaleString("en-US")} untimed)` : "");
  const workers =
    cfg.processes > 0 ? `${cfg.processes} processes` : `${cfg.threads} worker thread${cfg.threads === 1 ? "" : "s"}`;
  out.push(
    ...para(
      `${perRun} per run · ${cfg.clients} connections · pipeline ${cfg.pipeline} · ${workers} ` +
        `· ${cfg.rounds} round${cfg.rounds === 1 ? "" : "s"} · ${report.machine.cores} cores ` +
        `(${report.machine.cpu}), Node ${report.machine.node}`,
      "  ",
      (t) => c.dim(t),
    ),
  );
  // Two tables of five columns, so both fit 80 columns: throughput and CPU, then latency.
  const speed: string[][] = [];
  const latency: string[][] = [];
  report.rounds.forEach((round, i) => {
    const tag = report.rounds.length > 1 ? ` #${i + 1}` : "";
    for (const [label, phase] of [
      [`recording off${tag}`, round.recordingOff],
      [`recording on${tag}`, round.recordingOn],
    ] as const) {
      speed.push([label, n(phase.ops), n(phase.opsPerSec), cpu(phase.clientCpu), cpu(phase.serverCpu)]);
      latency.push([label, ...[phase.p50Ms, phase.p95Ms, phase.p99Ms, phase.maxMs].map(String)]);
    }
    if (round.redisBenchmark) {
      for (const run of round.redisBenchmark.runs) {
        const label = `redis-benchmark${tag}: ${displayArgv(run.argv, 24, 6)}`;
        speed.push([label, n(run.requests), n(run.opsPerSec), "", cpu(run.serverCpu)]);
        latency.push([label, String(run.p50Ms), "", String(run.p99Ms), ""]);
      }
      if (round.redisBenchmark.runs.length > 1)
        speed.push([`redis-benchmark${tag}: the sequence`, "", n(round.redisBenchmark.opsPerSec), "", ""]);
    }
  });
  const ascii = asciiOnly(opts, streams.env);
  const layout = { width, ascii, head: (t: string) => c.bold(t) };
  out.push(...renderTable(["run", "ops", "ops/s", "client CPU", "server CPU"], speed, layout));
  out.push(...renderTable(["run", "p50 ms", "p95 ms", "p99 ms", "max ms"], latency, layout));
  out.push(
    ...labelled(
      "throughput",
      `${n(report.opsPerSec)} ops/s · p50 ${report.p50Ms} ms · p99 ${report.p99Ms} ms (recording off, median round)`,
    ),
  );
  if (report.recordingCostPct !== null && report.recordingOn) {
    const cost =
      report.recordingCostPct >= 0
        ? `${report.recordingCostPct}% slower`
        : `${-report.recordingCostPct}% faster (noise)`;
    out.push(
      ...labelled(
        "recorder",
        `${n(report.recordingOn.opsPerSec)} ops/s with every command recorded ` +
          `(${n(report.recordingOn.commandsRecorded)} counted, none retained): ${cost}` +
          (report.recordingCpuCostPct !== null
            ? `; client CPU per operation ${report.recordingCpuCostPct >= 0 ? "+" : ""}${report.recordingCpuCostPct}%`
            : ""),
      ),
    );
  }
  if (report.latencyHistogram.length > 0) {
    out.push(
      ...plotLines(
        {
          kind: "histogram",
          title: "latency per operation (recording off, median round)",
          values: report.latencyHistogram.map((b) => b.ms),
          weights: report.latencyHistogram.map((b) => b.count),
          unit: "ms",
        },
        { width: width - 2, ascii, dim: (t) => c.dim(t) },
      ).map((l) => `  ${l}`),
    );
  }
  if (report.bottleneck) {
    out.push(...labelled("bottleneck", BOTTLENECK_TEXT[report.bottleneck]));
    out.push(...para(cpuPerOpLine(report), "    "));
  }
  if (report.ratioVsRedisBenchmark !== undefined && report.redisBenchmarkOpsPerSec !== undefined) {
    out.push(
      ...labelled(
        "vs redis-benchmark",
        `${report.ratioVsRedisBenchmark}× (${n(report.opsPerSec)} ` +
          `/ ${n(report.redisBenchmarkOpsPerSec)} ops/s): the pattern's operation, parsed and checked in Node, ` +
          `against the same commands fired by redis-benchmark's C client on the same connections and pipelining. ` +
          `Below 1× the difference is client cost (one Node event loop is usually the limit before Redis is); see ` +
          `the bottleneck line.`,
      ),
    );
  }
  for (const note of report.notes) out.push(...para(`note: ${note}`, "  ", (t) => c.yellow(t)));
  if (report.sample.commands.length > 0) {
    out.push(c.bold("  one operation, as sent:"));
    out.push(
      ...traceLines(report.sample.commands, opts.trace, c, {
        showLua: opts.showLua === true,
        shownScripts: new Set(),
        width,
      }),
    );
  }
  const cl = report.cleanup;
  const cleanupLine = cl.kept
    ? `kept ${cl.keys} keys under ${report.prefix} (--keep)`
    : `cleanup: deleted ${cl.deleted} of ${cl.keys} keys under ${report.prefix}`;
  out.push(...para(cleanupLine, "  ", (t) => c.dim(t)));
  if (report.errors > 0 && !report.failures)
    out.push(...para(`✗ ${report.errors} operations failed: ${report.firstError}`, "  ", c.red));
  for (const failure of report.failures ?? []) {
    const f = failureText(failure, report.prefix);
    const values = [f.expected && `expected ${f.expected}`, f.actual && `actual ${f.actual}`].filter(Boolean);
    out.push(...para(`✗ ${failure.check} — ${values.join(", ")}${f.detail ? ` (${f.detail})` : ""}`, "  ", c.red));
    for (const line of f.evidence) out.push(...para(line, "    ", (t) => c.dim(t)));
  }
  if (report.error) out.push(...para(`✗ ${report.error.message}`, "  ", c.red));
  streams.stdout.write(out.join("\n") + "\n");
}

/** Client CPU per operation beside redis-benchmark's, and the server's: what each side spent on one operation. */
function cpuPerOpLine(report: BenchReport): string {
  const cfg = report.config;
  const units =
    cfg.processes > 0 ? `${cfg.processes} processes` : `${cfg.threads} thread${cfg.threads === 1 ? "" : "s"}`;
  const parts = [`client CPU ${report.clientCpuUsPerOp} µs/op (this tool, ${units})`];
  if (report.redisBenchmarkCpuUsPerOp !== undefined && report.redisBenchmarkCpuUsPerOp !== null)
    parts.push(`redis-benchmark ${report.redisBenchmarkCpuUsPerOp} µs/op`);
  if (report.serverCpuUsPerOp !== null) parts.push(`server ${report.serverCpuUsPerOp} µs/op`);
  return `${parts.join(" · ")}; ${report.machine.cores} cores, load average ${report.machine.loadAverage}`;
}

function n(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

function cpu(x: number | null): string {
  return x === null ? "?" : `${roundPercent(x, 0)}%`;
}
