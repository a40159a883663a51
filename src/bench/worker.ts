import { parentPort, workerData } from "node:worker_threads";
import { Redis, type RedisOptions } from "ioredis";
import { CommandRecorder } from "../redis/recorder.js";
import { LatencyHistogram, type HistogramData } from "../stats.js";
import { HOT_OPERATIONS, entityId, entityKeys } from "./operations.js";
import { WireClient } from "./wire-client.js";
import type { RedisCaller } from "../redis/types.js";

interface BenchClient extends RedisCaller {
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * One benchmark thread, or process (`bench --processes`: the same file forked, talking over IPC): its own
 * connections and event loop, running its share of the clients. It connects, says "ready", waits for "go" (so
 * connecting is not timed), runs, and posts its counts, latency histogram and (as a process) its own CPU time.
 */
export interface WorkerJob {
  connection: RedisOptions;
  opId: string;
  prefix: string;
  /** Global client numbers this thread runs (client n uses entity n for per-client keys). */
  clients: number[];
  pipeline: number;
  /** Operations for this thread, or undefined to run for `durationMs`. */
  ops?: number;
  durationMs?: number;
  record: boolean;
  commandTimeoutMs: number;
  /** Untimed operations before "ready" (PhaseConfig.warmupOps): the timed run starts with the code compiled. */
  warmupOps: number;
}

export interface WorkerResult {
  ops: number;
  errors: number;
  firstError?: string;
  /** The command the first error answered, as sent, where the error names it (an error reply does). */
  firstErrorCommand?: string[];
  histogram: HistogramData;
  /** Commands the thread's recorder saw (0 when recording was off). */
  recorded: number;
  /** As a process: its CPU time from "go" to the last reply, in microseconds (a thread's is its process's). */
  cpuMicros?: number;
}

/** The parent, as a worker thread's port or a forked process's IPC channel. */
interface Channel {
  post(message: unknown): void;
  next(): Promise<unknown>;
  /** Called when the parent is gone (a forked process's IPC channel closed). */
  onGone(stop: () => void): void;
}

function channel(): Channel {
  if (parentPort) {
    const port = parentPort;
    return {
      post: (m) => port.postMessage(m),
      next: () => new Promise((resolve) => port.once("message", resolve)),
      // A thread ends with its process.
      onGone: () => undefined,
    };
  }
  return {
    post: (m) => void (process.connected ? process.send!(m) : undefined),
    next: () => new Promise((resolve) => process.once("message", resolve)),
    onGone: (stop) => process.once("disconnect", stop),
  };
}

/**
 * The command an error reply answered, as sent (`EVALSHA <sha> 1 <key> …`): ioredis's ReplyError and the wire
 * client's both name it (`command: { name, args }`); undefined for an error that names none (a timeout, a lost
 * connection).
 */
function failedCommand(err: unknown): string[] | undefined {
  const command = (err as { command?: { name?: unknown; args?: unknown } } | null | undefined)?.command;
  if (typeof command?.name !== "string" || !Array.isArray(command.args)) return undefined;
  return [
    command.name.toUpperCase(),
    ...command.args.map((a: unknown) => (Buffer.isBuffer(a) ? a.toString() : String(a))),
  ];
}

async function main(parent: Channel, job: WorkerJob): Promise<void> {
  const op = HOT_OPERATIONS.find((o) => o.id === job.opId);
  if (!op) throw new Error(`unknown operation ${job.opId}`);
  const recorder = job.record ? new CommandRecorder({ retain: 0 }) : undefined;
  const clients: BenchClient[] = [];
  // A forked process stops when its parent is gone, however the parent ended (a SIGKILL too: the kernel closes the
  // IPC channel): it must not go on writing the parent's keys after they expired or were cleaned up. Its loops end,
  // its connections close, and with nothing left open the process exits.
  let gone = false;
  parent.onGone(() => {
    gone = true;
    for (const client of clients) client.disconnect();
  });
  // The wire client over plain TCP (a few times less CPU per command than ioredis); ioredis for TLS and sockets.
  const wire = !job.connection.tls && !job.connection.path;
  for (const n of job.clients) {
    if (gone) break;
    if (wire) {
      const client = await WireClient.connect({
        host: job.connection.host ?? "127.0.0.1",
        port: job.connection.port ?? 6379,
        ...(job.connection.username ? { username: job.connection.username } : {}),
        ...(job.connection.password !== undefined ? { password: job.connection.password } : {}),
        ...(job.connection.db ? { db: job.connection.db } : {}),
        name: `redis-patterns-bench-${n}`,
        timeoutMs: job.commandTimeoutMs,
      });
      if (recorder) client.hooks = recorder.wireHooks(`bench-${n}`);
      clients.push(client);
      continue;
    }
    const redis = new Redis({
      ...job.connection,
      lazyConnect: true,
      connectTimeout: job.commandTimeoutMs,
      commandTimeout: job.commandTimeoutMs,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableReadyCheck: false,
      // With --pipeline P, each connection has P operations in flight; commands issued in the same tick go out in
      // one write, as redis-benchmark -P does.
      enableAutoPipelining: job.pipeline > 1,
      connectionName: `redis-patterns-bench-${n}`,
    });
    redis.on("error", () => undefined);
    const recording = recorder?.attach(redis, `bench-${n}`);
    await redis.connect();
    recording?.endHandshake();
    clients.push(redis as unknown as BenchClient);
  }
  const histogram = new LatencyHistogram();
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;
  let firstErrorCommand: string[] | undefined;
  let deadline = Number.POSITIVE_INFINITY;
  let limit: number | undefined = job.warmupOps;
  const more = () => !gone && (limit === undefined ? performance.now() < deadline : started < limit);
  const lanes = job.clients.flatMap((n, c) => {
    const redis = clients[c]!;
    const keys = entityKeys(job.prefix, op, entityId(op.entities === "shared" ? 0 : n));
    return Array.from({ length: job.pipeline }, (_, p) => ({
      redis,
      keys,
      state: op.lane?.(n * job.pipeline + p) ?? {},
    }));
  });
  /** Every lane runs operations while `more()`; timed ones record their latency (the warm-up's do not). */
  const runLanes = (timed: boolean) =>
    Promise.all(
      lanes.map(async ({ redis, keys, state }) => {
        // One clock reading per operation: an operation's end is the next one's start (the loop in between,
        // recording the histogram entry, takes well under a microsecond).
        let t0 = performance.now();
        while (more()) {
          const i = started++;
          try {
            await op.run(redis, keys, state, i);
          } catch (err) {
            if (!timed) return; // the timed run meets it again, and reports it
            errors += 1;
            if (firstError === undefined) {
              firstError = err instanceof Error ? err.message : String(err);
              firstErrorCommand = failedCommand(err);
            }
          }
          if (!timed) continue;
          const t1 = performance.now();
          histogram.record((t1 - t0) * 1000);
          t0 = t1;
        }
      }),
    );
  if (job.warmupOps > 0) await runLanes(false);
  const recordedBefore = recorder?.total ?? 0;
  if (gone) {
    for (const client of clients) client.disconnect();
    return;
  }
  parent.post({ type: "ready" });
  await parent.next();
  const cpuBefore = parentPort ? undefined : process.cpuUsage();
  started = 0;
  limit = job.ops;
  if (job.ops === undefined) deadline = performance.now() + (job.durationMs ?? 0);
  await runLanes(true);
  const cpu = cpuBefore ? process.cpuUsage(cpuBefore) : undefined;
  const result: WorkerResult = {
    ops: histogram.total,
    errors,
    firstError,
    ...(firstErrorCommand ? { firstErrorCommand } : {}),
    histogram: histogram.toData(),
    recorded: (recorder?.total ?? 0) - recordedBefore,
    ...(cpu ? { cpuMicros: cpu.user + cpu.system } : {}),
  };
  parent.post({ type: "done", result });
  await Promise.all(clients.map((c) => Promise.resolve(c.quit()).catch(() => c.disconnect())));
}

const parent = channel();
// A thread gets its job as workerData; a process as its first message.
const job = parentPort ? Promise.resolve(workerData as WorkerJob) : (parent.next() as Promise<WorkerJob>);
job
  .then((j) => main(parent, j))
  .then(
    () => {
      // A process leaves once its connections are closed and the parent has its result.
      if (!parentPort && process.connected) process.disconnect();
    },
    (err: unknown) => {
      parent.post({ type: "error", message: err instanceof Error ? err.message : String(err) });
      if (!parentPort && process.connected) process.disconnect();
    },
  );
