import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, join } from "node:path";
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
  /** The whole client process (main thread and worker threads), from process.cpuUsage. */
  clientCpu: number;
  /** Redis's main thread, from INFO cpu (used_cpu_*_main_thread, else the process totals). */
  serverCpu: number | null;
  /** Commands the recorders saw (0 with recording off). */
  recorded: number;
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

/** Run the pattern's hot operation on `threads` worker threads with `clients` connections in all. */
export async function runPatternPhase(info: RedisCaller, config: PhaseConfig): Promise<PhaseResult> {
  const threads = Math.max(1, Math.min(config.threads, config.clients));
  const groups: number[][] = Array.from({ length: threads }, () => []);
  for (let n = 0; n < config.clients; n++) groups[n % threads]!.push(n);
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
    return new Worker(new URL("./worker.js", import.meta.url), { workerData: job });
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
    for (const w of workers) w.postMessage("go");
    const results = (await Promise.all(done)) as { result: WorkerResult }[];
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = await serverCpuSeconds(info);
    const histogram = new LatencyHistogram();
    let errors = 0;
    let firstError: string | undefined;
    let recorded = 0;
    for (const { result } of results) {
      histogram.merge(result.histogram);
      errors += result.errors;
      firstError ??= result.firstError;
      recorded += result.recorded;
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
      clientCpu: round((cpu.user + cpu.system) / 1000 / wallMs, 2),
      serverCpu:
        serverBefore === null || serverAfter === null ? null : round(((serverAfter - serverBefore) * 1000) / wallMs, 2),
      recorded,
    };
  } finally {
    config.signal?.removeEventListener("abort", stop);
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
  }
}

function nextMessage(worker: Worker, type: string): Promise<unknown> {
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
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`benchmark thread exited (code ${code}) before "${type}"`));
    };
    const cleanup = () => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
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
  const { stdout, stderr, code } = await runProcess(bin, args);
  const wallMs = performance.now() - t0;
  const after = await serverCpuSeconds(info);
  if (code !== 0) throw new Error(`redis-benchmark exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  const parsed = parseRedisBenchmarkCsv(stdout);
  if (!parsed) throw new Error(`redis-benchmark printed no result line: ${stdout.trim() || stderr.trim()}`);
  return {
    argv: command.argv,
    requests: options.requests,
    ...parsed,
    serverCpu: before === null || after === null ? null : round(((after - before) * 1000) / wallMs, 2),
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
