/**
 * A bench run's report, from its rounds (the median round's throughput and latencies, the recorder's cost, the
 * comparison with redis-benchmark), and why a run that finished is not ok, as failed checks.
 */
import { cpus } from "node:os";
import { keepEvidence, type CheckFailure } from "../../check-failure.js";
import type { RecordedCommand } from "../../redis/recorder.js";
import type { HotOperation } from "../../bench/operations.js";
import { classifyBottleneck, warmupOpsFor, type Bottleneck, type PhaseResult } from "../../bench/run.js";
import { shortArgv } from "../../runner/runner.js";
import type { BenchCliOptions } from "../options/bench.js";
import type { BenchReport, BenchRound } from "../render/bench.js";
import { round } from "../../stats.js";

/**
 * Why a bench run that finished is not ok, in the shape of a scenario's failed check: operations that failed (the
 * first error's reply and the worker's command that got it, and the sample operation's commands that failed, from the
 * trace), a cleanup that failed (its commands that failed).
 */
export function benchFailures(report: BenchReport, op: HotOperation): CheckFailure[] {
  const failed = (commands: readonly RecordedCommand[]) => commands.filter((c) => c.error !== undefined);
  const failures: CheckFailure[] = [];
  if (report.errors > 0)
    failures.push({
      scenario: `bench/${op.id}`,
      check: "every operation succeeded",
      expected: 0,
      actual: report.errors,
      ...(report.firstError !== undefined ? { detail: `the first error: ${report.firstError}` } : {}),
      evidence: keepEvidence({
        commands: failed(report.sample.commands),
        values: {
          operation: op.what,
          "operations completed": report.opsCompleted,
          "operations failed": report.errors,
          "the first error": report.firstError ?? null,
          // A worker's command is not in the trace (only the sample operation's is): named here as it was sent, its
          // keys whole (a script's source cut).
          ...(report.firstErrorCommand ? { "the command that got it": shortArgv(report.firstErrorCommand, 200) } : {}),
        },
      }),
    });
  const cleanup = report.cleanup;
  if (cleanup.error !== undefined)
    failures.push({
      scenario: `bench/${op.id}`,
      check: "cleanup deleted every key the run created",
      expected: `${cleanup.keys} deleted`,
      actual: `${cleanup.deleted} deleted: ${cleanup.error}`,
      ...(cleanup.command !== undefined ? { detail: `what is left: ${cleanup.command}` } : {}),
      evidence: keepEvidence({
        commands: failed(cleanup.commands),
        values: { keys: cleanup.keys, deleted: cleanup.deleted },
      }),
    });
  return failures;
}

export function buildReport(input: {
  opts: BenchCliOptions;
  op: HotOperation;
  threads: number;
  processes: number | undefined;
  cores: number;
  serverIsLocal: boolean;
  load: number;
  rounds: BenchRound[];
  notes: string[];
  sample: BenchReport["sample"];
  prefix: string;
  target: BenchReport["target"];
  cleanup: BenchReport["cleanup"];
}): BenchReport {
  const { opts, op, rounds } = input;
  const offs = rounds.map((r) => r.recordingOff);
  const ons = rounds.map((r) => r.recordingOn);
  const primary = medianPhase(offs);
  const recOn = medianPhase(ons);
  const rbRates = rounds.flatMap((r) => (r.redisBenchmark ? [r.redisBenchmark.opsPerSec] : []));
  const rbOpsPerSec = rbRates.length ? median(rbRates) : undefined;
  const ratios = rounds.flatMap((r) =>
    r.redisBenchmark ? [r.recordingOff.opsPerSec / r.redisBenchmark.opsPerSec] : [],
  );
  const bottleneck: Bottleneck | undefined = primary
    ? classifyBottleneck(primary, input.threads, input.cores, input.serverIsLocal, input.load)
    : undefined;
  // redis-benchmark's CPU per operation of the sequence: one request of each of its commands (median over rounds).
  const rbCpu = rounds.flatMap((r) => {
    const runs = r.redisBenchmark?.runs ?? [];
    if (runs.length === 0 || runs.some((x) => x.clientCpuUsPerOp === null)) return [];
    return [runs.reduce((sum, x) => sum + x.clientCpuUsPerOp!, 0)];
  });
  const errors = [...offs, ...ons].reduce((s, p) => s + p.errors, 0);
  // The first error and, where the error named it, the command that got it: from one phase, so they belong together.
  const first = [...offs, ...ons].find((p) => p.firstError);
  return {
    schemaVersion: 1,
    ok: true,
    command: "bench",
    target: input.target,
    prefix: input.prefix,
    operation: { id: op.id, what: op.what, commands: op.raw(["<key>", "<key2>"]).map((c) => c.argv[0]!) },
    config: {
      ops: opts.duration === undefined ? opts.ops : null,
      durationMs: opts.duration ?? null,
      clients: opts.clients,
      pipeline: opts.pipeline,
      threads: input.processes === undefined ? input.threads : 0,
      processes: input.processes ?? 0,
      rounds: opts.rounds,
      warmupOps: warmupOpsFor(opts.duration === undefined ? opts.ops : undefined),
    },
    machine: {
      cores: input.cores,
      cpu: cpus()[0]?.model ?? "unknown",
      node: process.version,
      serverIsLocal: input.serverIsLocal,
      loadAverage: round(input.load, 2),
    },
    opsRequested: opts.duration === undefined ? opts.ops : null,
    opsCompleted: primary?.ops ?? 0,
    opsPerSec: primary?.opsPerSec ?? 0,
    p50Ms: primary?.p50Ms ?? 0,
    p95Ms: primary?.p95Ms ?? 0,
    p99Ms: primary?.p99Ms ?? 0,
    maxMs: primary?.maxMs ?? 0,
    meanMs: primary?.meanMs ?? 0,
    clientCpu: primary?.clientCpu ?? 0,
    clientCpuUsPerOp: primary?.clientCpuUsPerOp ?? 0,
    serverCpu: primary?.serverCpu ?? null,
    serverCpuUsPerOp:
      primary && primary.serverCpu !== null && primary.ops > 0
        ? round((primary.serverCpu * primary.wallMs * 1000) / primary.ops, 2)
        : null,
    latencyHistogram: primary?.histogram ?? [],
    ...(bottleneck ? { bottleneck } : {}),
    recordingOn: recOn
      ? {
          opsPerSec: recOn.opsPerSec,
          p50Ms: recOn.p50Ms,
          p99Ms: recOn.p99Ms,
          commandsRecorded: recOn.recorded,
          commandsRetained: 0,
        }
      : null,
    recordingCostPct: primary && recOn ? round((1 - recOn.opsPerSec / primary.opsPerSec) * 100, 1) : null,
    // The same cost as client CPU per operation (median of each round's pair): steadier than throughput on a machine
    // other work also uses, since it counts only what this client spent.
    recordingCpuCostPct:
      rounds.length > 0 && rounds.every((r) => r.recordingOff.clientCpuUsPerOp > 0)
        ? round(
            median(rounds.map((r) => (r.recordingOn.clientCpuUsPerOp / r.recordingOff.clientCpuUsPerOp - 1) * 100)),
            1,
          )
        : null,
    ...(rbOpsPerSec !== undefined
      ? {
          redisBenchmarkOpsPerSec: rbOpsPerSec,
          ratioVsRedisBenchmark: round(median(ratios), 3),
          redisBenchmarkCpuUsPerOp: rbCpu.length ? round(median(rbCpu), 2) : null,
        }
      : {}),
    errors,
    ...(first?.firstError ? { firstError: first.firstError } : {}),
    ...(first?.firstErrorCommand ? { firstErrorCommand: first.firstErrorCommand } : {}),
    rounds,
    notes: input.notes,
    sample: input.sample,
    cleanup: input.cleanup,
  };
}

/** The round with the median throughput (its latencies belong to it, not mixed from several rounds). */
function medianPhase(phases: PhaseResult[]): PhaseResult | undefined {
  if (phases.length === 0) return undefined;
  const sorted = [...phases].sort((a, b) => a.opsPerSec - b.opsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
