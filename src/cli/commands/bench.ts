import { availableParallelism, loadavg } from "node:os";
import { CheckFailedError, InterruptedError, UsageError, markReported } from "../../errors.js";
import { entityId, entityKeyParts, findOperation } from "../../bench/operations.js";
import { defaultThreads, runPatternPhase, warmupOpsFor } from "../../bench/run.js";
import {
  findRedisBenchmark,
  redisBenchmarkTarget,
  runRedisBenchmark,
  sequenceRate,
  type RedisBenchmarkRun,
} from "../../bench/redis-benchmark.js";
import { connectFromOptions } from "../connect-from-options.js";
import { watchInterrupts } from "../interrupt.js";
import { KeySpace, newRunPrefix, validatePrefix } from "../../redis/keys.js";
import { watchForeignKeys } from "../../redis/ownership.js";
import { versionAtLeast } from "../../redis/server-info.js";
import { TtlGuard } from "../../redis/ttl-guard.js";
import { claimRunPrefix } from "../claim-prefix.js";
import { benchFootprint } from "../../bench/footprint.js";
import { isLocal, workerConnection } from "../../bench/connection-options.js";
import { CommandRecorder } from "../../redis/recorder.js";
import { cleanupRun } from "../../runner/runner.js";
import { BENCH_KINDS, type BenchCliOptions } from "../options/bench.js";
import { createProgress } from "../render/progress.js";
import { printBenchReport, type BenchReport, type BenchRound } from "../render/bench.js";
import { benchFailures, buildReport } from "./bench-report.js";
import { writeNotice } from "../notice.js";

/**
 * `redis-patterns bench <pattern>`: run the pattern's hot operation (its own functions from src/patterns) on worker
 * threads, with the command recorder off and on, optionally interleaved with redis-benchmark running the same
 * commands; report throughput, latency percentiles, which side was the bottleneck, and one operation's exact trace.
 */
export async function benchCommand(opts: BenchCliOptions): Promise<void> {
  const kind = opts.algo ?? opts.kind;
  const op = findOperation(opts.pattern, kind);
  if (!op) {
    const kinds = BENCH_KINDS[opts.pattern] as readonly string[];
    throw new UsageError(`unknown ${opts.pattern} kind "${kind}": choose one of ${kinds.join(", ")}`);
  }
  // Usage errors before any connection (exit 2, nothing written to the server).
  if (opts.processes !== undefined && opts.threads !== undefined)
    throw new UsageError("--processes and --threads are alternatives: give one of them");
  const rbBin = opts.vsRedisBenchmark ? findRedisBenchmark() : undefined;
  const prefix = opts.prefix ? validatePrefix(opts.prefix) : newRunPrefix();
  const recorder = new CommandRecorder();
  const connection = await connectFromOptions(opts, {
    recorder,
    notice: (message) => writeNotice(message),
  });
  if (connection.target.mode === "cluster") {
    // The worker threads open plain connections to one address: on a cluster they would miss most slots.
    await connection.close();
    throw new UsageError(
      `bench measures one server: ${connection.target.url} is a Redis Cluster; give --url of a standalone server`,
    );
  }
  const redis = connection.redis;
  // As every run: before the first write the eviction guard, then the prefix's marker (renewed while bench runs,
  // given back at the end); a user-given prefix must hold nothing else. Refusals are exit 2 or 4, nothing written.
  const claim = await claimRunPrefix(connection, prefix, {
    userPrefix: opts.prefix !== undefined,
    footprint: benchFootprint(op, opts),
    force: opts.force === true,
    notice: (message) => writeNotice(message),
  });
  const keys = new KeySpace(prefix);
  watchForeignKeys(recorder, keys);
  // The keys the operation writes without a TTL of its own (a board, a stream, a HyperLogLog) are created by the setup
  // below on the main connection, where the TTL guard sends their EXPIRE in the same socket write; the workers and
  // redis-benchmark then only add to keys that carry a TTL (see src/bench/operations.ts).
  const ttl = new TtlGuard(keys, () => redis, versionAtLeast(connection.target.version, "7.0.0") === true).start();
  recorder.setSendHook(ttl.onSent);
  const controller = new AbortController();
  // Ctrl-C, SIGTERM or SIGHUP ends the rounds; the cleanup below still runs.
  const interrupts = watchInterrupts(() => controller.abort());

  const connectionOptions = workerConnection(redis.options);
  const serverIsLocal = isLocal(connectionOptions);
  const cores = availableParallelism();
  const processes = opts.processes === undefined ? undefined : Math.min(opts.clients, opts.processes);
  const threads =
    processes ?? Math.min(opts.clients, opts.threads ?? defaultThreads(opts.clients, serverIsLocal, cores));
  const units = processes === undefined ? `${threads} thread${threads === 1 ? "" : "s"}` : `${processes} processes`;
  const rounds: BenchRound[] = [];
  const notes: string[] = [];
  let sample: BenchReport["sample"] = { commands: [] };
  let fatal: unknown;
  // A spinner on a terminal: a bench round takes seconds.
  const progress = await createProgress(opts);
  try {
    const entities = op.entities === "shared" ? 1 : opts.clients;
    const entityKeys: string[][] = [];
    for (let n = 0; n < entities; n++)
      entityKeys.push(entityKeyParts(op, entityId(n)).map((parts) => keys.key(...parts)));
    await op.setup?.(redis, entityKeys);
    // The setup's keys live as long as the run: the guard renews their TTLs (a cache entry's too) every 200 s.
    if (op.setup) ttl.adopt(entityKeys.flat());
    recorder.setSendHook(undefined);
    for (const script of op.scripts) await redis.call("SCRIPT", "LOAD", script.lua);

    let rb: { bin: string; target: string[] } | undefined;
    if (opts.vsRedisBenchmark) {
      const target = redisBenchmarkTarget(connectionOptions);
      if (!rbBin)
        notes.push(
          "--vs-redis-benchmark: redis-benchmark is not on PATH, so there is no comparison " +
            "(install redis-tools or redis)",
        );
      else if ("unsupported" in target) notes.push(`--vs-redis-benchmark skipped: ${target.unsupported}`);
      else rb = { bin: rbBin, target: target.args };
    }
    const template = entityKeyParts(op, "__rand_int__").map((parts) => [prefix, ...parts].join(":"));
    const rawKeys = op.entities === "shared" ? entityKeys[0]! : template;
    const base = {
      op,
      prefix,
      connection: connectionOptions,
      clients: opts.clients,
      pipeline: opts.pipeline,
      threads,
      ...(processes !== undefined ? { processes } : {}),
      ops: opts.duration === undefined ? opts.ops : undefined,
      durationMs: opts.duration,
      commandTimeoutMs: opts.timeout,
      warmupOps: warmupOpsFor(opts.duration === undefined ? opts.ops : undefined),
    };
    for (let r = 0; r < opts.rounds; r++) {
      const guard = () => {
        if (controller.signal.aborted) throw new InterruptedError();
      };
      guard();
      // Alternate which goes first, so neither mode always runs on a warmer (or busier) machine.
      const phase = (record: boolean) => {
        guard();
        progress.update(
          `bench ${opts.pattern}: round ${r + 1}/${opts.rounds}, recorder ${record ? "on" : "off"} ` +
            `(${units}, ${opts.clients} clients)`,
        );
        return runPatternPhase(redis, { ...base, record, signal: controller.signal });
      };
      const off = r % 2 === 0 ? await phase(false) : undefined;
      const on = await phase(true);
      const offResult = off ?? (await phase(false));
      let redisBenchmark: BenchRound["redisBenchmark"];
      if (rb) {
        const runs: RedisBenchmarkRun[] = [];
        for (const command of op.raw(rawKeys)) {
          guard();
          progress.update(
            `bench ${opts.pattern}: round ${r + 1}/${opts.rounds}, redis-benchmark ${command.argv[0] ?? ""}`,
          );
          runs.push(
            await runRedisBenchmark(rb.bin, redis, rb.target, command, {
              clients: opts.clients,
              requests: offResult.ops,
              pipeline: opts.pipeline,
              entities,
              signal: controller.signal,
            }),
          );
        }
        redisBenchmark = { runs, opsPerSec: sequenceRate(runs.map((x) => x.opsPerSec)) };
      }
      rounds.push({ recordingOff: offResult, recordingOn: on, ...(redisBenchmark ? { redisBenchmark } : {}) });
    }
    // One operation through the recorded main connection, for its exact trace (scripts are loaded: EVALSHA hits).
    const mark = recorder.mark();
    await op.run(redis, entityKeys[0]!, op.lane?.(0) ?? {}, 0);
    sample = { commands: recorder.since(mark).filter((c) => c.phase === undefined) };
  } catch (err) {
    fatal = err;
  } finally {
    progress.stop();
  }
  const closing = recorder.mark();
  const cleanup = await cleanupRun({ redis, recorder, keys, claim, ttl }, opts.keep === true);
  await connection.close();
  cleanup.commands = recorder.since(closing);
  interrupts.dispose();
  if (controller.signal.aborted && !(fatal instanceof InterruptedError)) fatal = new InterruptedError();

  const load = loadavg()[0]!;
  if (load > cores) {
    notes.push(
      `the machine was busy with other work (load average ${load.toFixed(1)} on ${cores} cores): ` +
        "every figure is lower and noisier than on a quiet machine",
    );
  }
  const report = buildReport({
    opts,
    op,
    threads,
    processes,
    cores,
    serverIsLocal,
    load,
    rounds,
    notes,
    sample,
    prefix,
    target: connection.target,
    cleanup,
  });
  if (fatal !== undefined) report.error = { message: fatal instanceof Error ? fatal.message : String(fatal) };
  report.ok = fatal === undefined && report.errors === 0 && cleanup.error === undefined;
  if (fatal === undefined && !report.ok) report.failures = benchFailures(report, op);
  printBenchReport(report, opts);
  if (fatal !== undefined) {
    markReported(fatal);
    throw fatal;
  }
  if (!report.ok) {
    const err = new CheckFailedError(
      report.errors > 0
        ? `${report.errors} operations failed (first: ${report.firstError})`
        : `cleanup: ${cleanup.error}`,
      report.failures,
    );
    markReported(err);
    throw err;
  }
}
