import { fork, spawn, type ChildProcess } from "node:child_process";
import type { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { RedisOptions } from "ioredis";
import type { RedisCaller } from "../redis/types.js";
import { LatencyHistogram } from "./histogram.js";
import type { HotOperation, RawCommand } from "./operations.js";
import type { WorkerJob, WorkerResult } from "./worker.js";
import { round } from "../stats.js";

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
  /** Aborting stops the threads at once (Ctrl-C); the phase then rejects. */
  signal?: AbortSignal;
}

/** What one timed run measured. Latencies in milliseconds; CPU as cores busy on average (1 = one core all the time). */
export interface PhaseResult {
  ops: number;
  errors: number;
  firstError?: string;
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
    const info = String(await redis.call("INFO", "cpu"));
    const field = (name: string) => {
      const m = new RegExp(`^${name}:([\\d.]+)`, "m").exec(info);
      return m ? Number(m[1]) : undefined;
    };
    const sys = field("used_cpu_sys_main_thread") ?? field("used_cpu_sys");
    const user = field("used_cpu_user_main_thread") ?? field("used_cpu_user");
    return sys === undefined || user === undefined ? null : sys + user;
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
    let firstError: string | undefined;
    let recorded = 0;
    // This process (with its threads), plus each forked process's own CPU time.
    let cpuMicros = cpu.user + cpu.system;
    for (const { result } of results) {
      histogram.merge(result.histogram);
      errors += result.errors;
      firstError ??= result.firstError;
      recorded += result.recorded;
      cpuMicros += result.cpuMicros ?? 0;
    }
    return {
      ops: histogram.total,
      errors,
      ...(firstError ? { firstError } : {}),
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

export interface RedisBenchmarkRun {
  argv: string[];
  requests: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverCpu: number | null;
  /** redis-benchmark's own CPU time per request, in microseconds (from the shell's `times`); null when unknown. */
  clientCpuUsPerOp: number | null;
  wallMs: number;
  note?: string;
}

/** redis-benchmark's path, or undefined when it is not on PATH. */
export function findRedisBenchmark(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "redis-benchmark");
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Where redis-benchmark should connect, as its flags; undefined (with the reason) when it cannot reach the target. */
export function redisBenchmarkTarget(connection: RedisOptions): { args: string[] } | { unsupported: string } {
  if (connection.tls)
    return { unsupported: "the target uses TLS (this redis-benchmark comparison runs over plain TCP only)" };
  const args = connection.path
    ? ["-s", connection.path]
    : ["-h", String(connection.host ?? "127.0.0.1"), "-p", String(connection.port ?? 6379)];
  if (connection.username) args.push("--user", connection.username);
  if (connection.password) args.push("-a", connection.password, "--no-auth-warning");
  if (connection.db) args.push("--dbnum", String(connection.db));
  return { args };
}

/** One redis-benchmark run of one raw command, with the server's CPU measured around it. */
export async function runRedisBenchmark(
  bin: string,
  info: RedisCaller,
  target: string[],
  command: RawCommand,
  options: { clients: number; requests: number; pipeline: number; entities: number },
): Promise<RedisBenchmarkRun> {
  const args = [
    ...target,
    "-c",
    String(options.clients),
    "-n",
    String(options.requests),
    "-P",
    String(options.pipeline),
    "-r",
    String(command.randomRange ?? options.entities),
    "-q",
    "--csv",
    ...command.argv,
  ];
  const before = await serverCpuSeconds(info);
  const t0 = performance.now();
  // Through `sh`, whose `times` then prints the CPU time its finished child used (user and system).
  const { stdout, stderr, code } = existsSync("/bin/sh")
    ? await runProcess("/bin/sh", ["-c", `"$@"; s=$?; echo ${TIMES_MARK}; times; exit $s`, "sh", bin, ...args])
    : await runProcess(bin, args);
  const wallMs = performance.now() - t0;
  const cpuSeconds = parseChildTimes(stdout);
  const after = await serverCpuSeconds(info);
  if (code !== 0) throw new Error(`redis-benchmark exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  const parsed = parseRedisBenchmarkCsv(stdout);
  if (!parsed) throw new Error(`redis-benchmark printed no result line: ${stdout.trim() || stderr.trim()}`);
  return {
    argv: command.argv,
    requests: options.requests,
    ...parsed,
    serverCpu: before === null || after === null ? null : round(((after - before) * 1000) / wallMs, 2),
    clientCpuUsPerOp: cpuSeconds === null ? null : round((cpuSeconds * 1e6) / options.requests, 2),
    wallMs: round(wallMs, 1),
    ...(command.note ? { note: command.note } : {}),
  };
}

/**
 * The result line of `redis-benchmark -q --csv`: `"<test>","<rps>","<avg>","<min>","<p50>","<p95>","<p99>","<max>"`
 * (Redis 7); older versions print only `"<test>","<rps>"`, then the latencies are unknown (0).
 */
export function parseRedisBenchmarkCsv(
  stdout: string,
): { opsPerSec: number; p50Ms: number; p99Ms: number } | undefined {
  const rows = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('"') && !l.startsWith('"test"'))
    .map((l) => l.split('","').map((f) => f.replace(/^"|"$/g, "")));
  const row = rows[rows.length - 1];
  if (!row || row.length < 2) return undefined;
  const rps = Number(row[1]);
  if (!Number.isFinite(rps)) return undefined;
  return { opsPerSec: rps, p50Ms: Number(row[4] ?? 0) || 0, p99Ms: Number(row[6] ?? 0) || 0 };
}

const TIMES_MARK = "__redis_patterns_times__";

/**
 * The children's CPU seconds (user + system) from the second line after the marker, as the shell's `times` prints
 * them: `0m0.030000s 0m0.350000s` (dash, bash: minutes and seconds; 10 ms resolution on Linux); null without it.
 */
export function parseChildTimes(stdout: string): number | null {
  const at = stdout.lastIndexOf(TIMES_MARK);
  if (at < 0) return null;
  const lines = stdout
    .slice(at + TIMES_MARK.length)
    .split(/\r?\n/)
    .filter((l) => l.trim());
  const m = /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[1]?.trim() ?? "");
  if (!m) return null;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/** Operations per second of a sequence of commands run one after the other: 1 / Σ (1 / rate of each). */
export function sequenceRate(rates: readonly number[]): number {
  return rates.length === 0 ? 0 : Math.round(1 / rates.reduce((s, r) => s + 1 / r, 0));
}

function runProcess(bin: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ stdout, stderr, code }));
  });
}

function micros(us: number): number {
  return round(us / 1000, 3);
}
