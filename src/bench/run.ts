import { fork, type ChildProcess } from "node:child_process";
import type { EventEmitter } from "node:events";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { RedisOptions } from "ioredis";
import type { RedisCaller } from "../redis/types.js";
import { parseInfo, serverCpuSecondsOf } from "../redis/server-info.js";
import type { HotOperation } from "./operations.js";
import type { WorkerJob, WorkerResult } from "./worker.js";
import { LatencyHistogram, round } from "../stats.js";

/**
 * Untimed operations before each timed run (PhaseConfig.warmupOps): a fresh benchmark thread's first few thousand
 * operations cost 2–4× a warm one's CPU (docs/bench.md), a cost of the client's JIT, not of the server.
 */
export const BENCH_WARMUP_OPS = 10_000;

/** The warm-up for a run of `ops` operations (undefined: a timed duration): BENCH_WARMUP_OPS, at most `ops`. */
export function warmupOpsFor(ops: number | undefined): number {
  return Math.min(BENCH_WARMUP_OPS, ops ?? BENCH_WARMUP_OPS);
}

export interface PhaseConfig {
  op: HotOperation;
  prefix: string;
  connection: RedisOptions;
  clients: number;
  pipeline: number;
  threads: number;
  /** Run the clients in this many forked OS processes (one event loop each) instead of `threads` worker threads. */
  processes?: number;
  ops?: number;
  durationMs?: number;
  record: boolean;
  commandTimeoutMs: number;
  /**
   * Operations run before the timed run and not counted (split over the threads or processes like `ops`): a fresh
   * thread runs the client's code interpreted until V8 has compiled it, which costs a few times a warm operation's
   * CPU for its first thousands of operations. 0 or unset: none.
   */
  warmupOps?: number;
  /** Aborting stops the threads at once (Ctrl-C); the phase then rejects. */
  signal?: AbortSignal;
}

/** What one timed run measured. Latencies in milliseconds; CPU as cores busy on average (1 = one core all the time). */
export interface PhaseResult {
  ops: number;
  errors: number;
  firstError?: string;
  /** The command the first error answered, as sent, where it is known (WorkerResult.firstErrorCommand). */
  firstErrorCommand?: string[];
  wallMs: number;
  opsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** The whole client (main thread and worker threads, or every forked process), from process.cpuUsage. */
  clientCpu: number;
  /** The client's CPU time per operation, in microseconds (all its threads or processes). */
  clientCpuUsPerOp: number;
  /** Redis's main thread, from INFO cpu (used_cpu_*_main_thread, else the process totals). */
  serverCpu: number | null;
  /** Commands the recorders saw (0 with recording off). */
  recorded: number;
  /** The latency distribution, merged exactly over every thread or process: the non-empty buckets. */
  histogram: HistogramBucket[];
}

/** One bucket of the log-linear latency histogram: its value (within 1/64 of every latency counted in it). */
export interface HistogramBucket {
  ms: number;
  count: number;
}

/** Server CPU seconds so far, from INFO cpu; null when INFO is refused. */
export async function serverCpuSeconds(redis: RedisCaller): Promise<number | null> {
  try {
    return serverCpuSecondsOf(parseInfo(String(await redis.call("INFO", "cpu"))));
  } catch {
    return null;
  }
}

/**
 * Run the pattern's hot operation with `clients` connections in all, on `threads` worker threads, or with
 * `processes` set, in that many forked OS processes (each its own event loop; its CPU time comes back with its result).
 */
export async function runPatternPhase(info: RedisCaller, config: PhaseConfig): Promise<PhaseResult> {
  const processes = config.processes !== undefined && config.processes > 0;
  const units = Math.max(1, Math.min(processes ? config.processes! : config.threads, config.clients));
  const groups: number[][] = Array.from({ length: units }, () => []);
  for (let n = 0; n < config.clients; n++) groups[n % units]!.push(n);
  const quotas =
    config.ops === undefined
      ? groups.map(() => undefined)
      : splitOps(
          config.ops,
          groups.map((g) => g.length),
        );
  const warmups = config.warmupOps
    ? splitOps(
        config.warmupOps,
        groups.map((g) => g.length),
      )
    : [];
  const workers = groups.map((clients, t) => {
    const job: WorkerJob = {
      connection: config.connection,
      opId: config.op.id,
      prefix: config.prefix,
      clients,
      pipeline: config.pipeline,
      ops: quotas[t],
      durationMs: config.durationMs,
      record: config.record,
      commandTimeoutMs: config.commandTimeoutMs,
      warmupOps: warmups[t] ?? 0,
    };
    return processes ? forkedUnit(job) : threadUnit(job);
  });
  const stop = () => void Promise.all(workers.map((w) => w.terminate()));
  config.signal?.addEventListener("abort", stop);
  const ready = workers.map((w) => nextMessage(w, "ready"));
  const done = workers.map((w) => nextMessage(w, "done"));
  // A worker that fails before "done" rejects both; keep the second rejection from going unhandled.
  done.forEach((p) => p.catch(() => undefined));
  try {
    await Promise.all(ready);
    const serverBefore = await serverCpuSeconds(info);
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    for (const w of workers) w.post("go");
    const results = (await Promise.all(done)) as { result: WorkerResult }[];
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = await serverCpuSeconds(info);
    const histogram = new LatencyHistogram();
    let errors = 0;
    let first: WorkerResult | undefined;
    let recorded = 0;
    // This process (with its threads), plus each forked process's own CPU time.
    let cpuMicros = cpu.user + cpu.system;
    for (const { result } of results) {
      histogram.merge(result.histogram);
      errors += result.errors;
      if (first === undefined && result.firstError !== undefined) first = result;
      recorded += result.recorded;
      cpuMicros += result.cpuMicros ?? 0;
    }
    return {
      ops: histogram.total,
      errors,
      ...(first?.firstError ? { firstError: first.firstError } : {}),
      ...(first?.firstErrorCommand ? { firstErrorCommand: first.firstErrorCommand } : {}),
      wallMs: round(wallMs, 1),
      opsPerSec: Math.round((histogram.total / wallMs) * 1000),
      p50Ms: micros(histogram.percentile(50)),
      p95Ms: micros(histogram.percentile(95)),
      p99Ms: micros(histogram.percentile(99)),
      maxMs: micros(histogram.max),
      meanMs: micros(histogram.mean()),
      clientCpu: round(cpuMicros / 1000 / wallMs, 2),
      clientCpuUsPerOp: histogram.total === 0 ? 0 : round(cpuMicros / histogram.total, 2),
      serverCpu:
        serverBefore === null || serverAfter === null ? null : round(((serverAfter - serverBefore) * 1000) / wallMs, 2),
      recorded,
      histogram: histogram.buckets().map((b) => ({ ms: micros(b.value), count: b.count })),
    };
  } finally {
    config.signal?.removeEventListener("abort", stop);
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
  }
}

/** A worker thread or a forked process, as the phase drives it. */
interface Unit {
  /** Emits "message", "error" and "exit" (a Worker and a ChildProcess alike). */
  events: EventEmitter;
  post(message: unknown): void;
  terminate(): Promise<unknown>;
}

const WORKER_ENTRY = new URL("./worker.js", import.meta.url);

function threadUnit(job: WorkerJob): Unit {
  const worker = new Worker(WORKER_ENTRY, { workerData: job });
  return {
    events: worker,
    post: (m) => worker.postMessage(m),
    terminate: () => worker.terminate(),
  };
}

function forkedUnit(job: WorkerJob): Unit {
  // The same entry, as its own Node process; its job comes as the first message. No inherited --inspect/--cpu-prof.
  const child: ChildProcess = fork(fileURLToPath(WORKER_ENTRY), [], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    serialization: "advanced",
    execArgv: [],
  });
  child.send(job);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    events: child,
    post: (m) => void (child.connected ? child.send(m as object) : undefined),
    terminate: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      return exited;
    },
  };
}

function nextMessage(worker: Unit, type: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { type: string; message?: string }) => {
      if (msg.type === type) {
        cleanup();
        resolve(msg);
      } else if (msg.type === "error") {
        cleanup();
        reject(new Error(`benchmark thread: ${msg.message}`));
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`benchmark thread exited (code ${code}) before "${type}"`));
    };
    const cleanup = () => {
      worker.events.off("message", onMessage);
      worker.events.off("error", onError);
      worker.events.off("exit", onExit);
    };
    worker.events.on("message", onMessage);
    worker.events.on("error", onError);
    worker.events.on("exit", onExit);
  });
}

/** `total` operations split in proportion to each thread's clients, summing exactly to `total`. */
export function splitOps(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const out = weights.map((w) => Math.floor((total * w) / sum));
  let rest = total - out.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % out.length, rest--) out[i]! += 1;
  return out;
}

/**
 * Worker threads by default: one per core, minus one for a server on the same machine (a thread competing with
 * Redis for its core slows both), at least one and no more than there are clients.
 */
export function defaultThreads(clients: number, serverIsLocal: boolean, cores = availableParallelism()): number {
  return Math.max(1, Math.min(clients, cores - (serverIsLocal ? 1 : 0)));
}

export type Bottleneck = "server" | "client" | "machine" | "latency";

/**
 * Which side limited the throughput, from CPU measured during the run: Redis's main thread busy ≥ 85% means the
 * server; every client thread busy ≥ 85% means the tool; client and server together using ≥ 85% of the machine's
 * cores (when both run on it), or other processes keeping more runnable threads than there are cores (load average
 * above the core count), means the machine; none of these means round trips (more clients or pipelining help).
 */
export function classifyBottleneck(
  phase: Pick<PhaseResult, "clientCpu" | "serverCpu">,
  threads: number,
  cores: number,
  serverIsLocal: boolean,
  loadAverage = 0,
): Bottleneck {
  if (phase.serverCpu !== null && phase.serverCpu >= 0.85) return "server";
  if (phase.clientCpu >= 0.85 * threads) return "client";
  if (serverIsLocal && phase.clientCpu + (phase.serverCpu ?? 0) >= 0.85 * cores) return "machine";
  if (loadAverage > cores) return "machine";
  return "latency";
}

function micros(us: number): number {
  return round(us / 1000, 3);
}
