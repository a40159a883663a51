import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { RedisOptions } from "ioredis";
import type { RedisCaller } from "../redis/types.js";
import { round } from "../stats.js";
import type { RawCommand } from "./operations.js";
import { serverCpuSeconds } from "./run.js";

/**
 * `bench --vs-redis-benchmark`: the same commands through redis-benchmark (the C client that ships with Redis), on the
 * same server with the same connections and pipelining, its CPU time taken from the shell's `times`.
 */
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
  options: { clients: number; requests: number; pipeline: number; entities: number; signal?: AbortSignal },
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
    ? await runProcess("/bin/sh", ["-c", WRAPPER, "sh", bin, ...args], options.signal)
    : await runProcess(bin, args, options.signal);
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
 * The shell around redis-benchmark. It runs it in the background and waits, so that redis-benchmark stops whenever
 * this process does: a SIGTERM or SIGINT to the shell (bench's Ctrl-C) kills it, and so does the end of this process
 * however it ends (a SIGKILL included): a watcher reads the shell's stdin, a pipe only this process writes to, and
 * when the kernel closes it the read returns and the watcher kills redis-benchmark. A killed bench's keys are then
 * not written again after they expired (or after `cleanup` deleted them), which would leave them without a TTL.
 * `times` then prints the CPU time its finished children used (user and system).
 */
const WRAPPER = [
  'exec 3<&0; "$@" </dev/null & c=$!',
  "trap 'kill -KILL $c 2>/dev/null' INT TERM HUP",
  "(read _ <&3; kill -KILL $c 2>/dev/null) & w=$!",
  "exec 3<&-",
  // `wait` returns early (above 128) when a trapped signal arrives: wait again until the child is gone.
  "wait $c; s=$?; while kill -0 $c 2>/dev/null; do wait $c; s=$?; done",
  `kill $w 2>/dev/null; echo ${TIMES_MARK}; times; exit $s`,
].join("\n");

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

function runProcess(
  bin: string,
  args: string[],
  signal?: AbortSignal,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    // stdin a pipe kept open (never written): the wrapper's watcher sees it close when this process ends.
    const child = spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"] });
    const abort = () => child.kill("SIGTERM");
    signal?.addEventListener("abort", abort, { once: true });
    if (signal?.aborted) abort();
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => {
      signal?.removeEventListener("abort", abort);
      child.stdin.destroy();
      resolve({ stdout, stderr, code });
    });
  });
}
