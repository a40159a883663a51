import { parentPort, workerData } from "node:worker_threads";
import { Redis, type RedisOptions } from "ioredis";
import { CommandRecorder } from "../redis/recorder.js";
import { LatencyHistogram, type HistogramData } from "./histogram.js";
import { HOT_OPERATIONS, entityId, entityKeys } from "./operations.js";

/**
 * One benchmark thread: its own connections and event loop, running its share of the clients. It connects, says
 * "ready", waits for "go" (so connecting is not timed), runs, and posts its counts and latency histogram.
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
}

export interface WorkerResult {
  ops: number;
  errors: number;
  firstError?: string;
  histogram: HistogramData;
  /** Commands the thread's recorder saw (0 when recording was off). */
  recorded: number;
}

async function main(job: WorkerJob): Promise<void> {
  const op = HOT_OPERATIONS.find((o) => o.id === job.opId);
  if (!op) throw new Error(`unknown operation ${job.opId}`);
  const recorder = job.record ? new CommandRecorder({ retain: 0 }) : undefined;
  const clients: Redis[] = [];
  for (const n of job.clients) {
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
    clients.push(redis);
  }
  parentPort!.postMessage({ type: "ready" });
  await new Promise<void>((resolve) => parentPort!.once("message", () => resolve()));

  const histogram = new LatencyHistogram();
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;
  const deadline = job.ops === undefined ? performance.now() + (job.durationMs ?? 0) : Number.POSITIVE_INFINITY;
  const more = () => (job.ops === undefined ? performance.now() < deadline : started < job.ops);
  const lanes: Promise<void>[] = [];
  job.clients.forEach((n, c) => {
    const redis = clients[c]!;
    const shared = op.entities === "shared";
    const keys = entityKeys(job.prefix, op, entityId(shared ? 0 : n));
    for (let p = 0; p < job.pipeline; p++) {
      const lane = op.lane?.(n * job.pipeline + p) ?? {};
      lanes.push(
        (async () => {
          while (more()) {
            const i = started++;
            const t0 = performance.now();
            try {
              await op.run(redis, keys, lane, i);
            } catch (err) {
              errors += 1;
              firstError ??= err instanceof Error ? err.message : String(err);
            }
            histogram.record((performance.now() - t0) * 1000);
          }
        })(),
      );
    }
  });
  await Promise.all(lanes);
  const result: WorkerResult = {
    ops: histogram.total,
    errors,
    firstError,
    histogram: histogram.toData(),
    recorded: recorder?.total ?? 0,
  };
  parentPort!.postMessage({ type: "done", result });
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
}

main(workerData as WorkerJob).catch((err: unknown) => {
  parentPort!.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
});
