import type { Redis } from "ioredis";
import { hashTagOf } from "./keys.js";
import type { RedisArg } from "./types.js";

/** One pipelined reply, as ioredis gives it: the error reply or null, and the value. */
export type PipelineReply = [error: Error | null, value: unknown];

/** True for ioredis's Cluster client (the session hands scenarios one, typed as Redis, on a Redis Cluster). */
export function isClusterClient(redis: object): boolean {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/**
 * Group items by the hash tag of their key (the whole key when it has none), keeping first-seen order. Keys of one
 * group share a cluster slot, so one multi-key command or one pipeline may carry them.
 */
export function groupByHashTag<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const tag = hashTagOf(keyOf(item));
    const group = groups.get(tag) ?? [];
    group.push(item);
    groups.set(tag, group);
  }
  return [...groups.values()];
}

/**
 * Send single-key commands (`[name, key, …args]`) pipelined and return their replies in the order given. On one
 * server that is one pipeline, one round trip. On a Redis Cluster a pipeline must stay on one node, so the commands
 * are sent as one pipeline per hash tag of their key (sessions of different users, for instance, live on
 * different nodes on purpose: the load spreads).
 */
export async function pipelineByKey(
  redis: Pick<Redis, "pipeline">,
  commands: readonly (readonly [string, string, ...RedisArg[]])[],
): Promise<PipelineReply[]> {
  const indexed = commands.map((argv, i) => ({ argv, i }));
  const groups = isClusterClient(redis) ? groupByHashTag(indexed, (c) => c.argv[1]) : [indexed];
  const out: PipelineReply[] = new Array(commands.length);
  for (const group of groups) {
    if (group.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const { argv } of group) pipeline.call(argv[0], ...argv.slice(1));
    const replies = (await pipeline.exec()) ?? [];
    group.forEach(({ i }, k) => (out[i] = (replies[k] as PipelineReply | undefined) ?? [new Error("no reply"), null]));
  }
  return out;
}

/** Round trips a recorded command list took: one per command sent alone, one per pipeline or MULTI batch. */
export function roundTrips(commands: readonly { batch?: { id: number } }[]): number {
  const batches = new Set<number>();
  let n = 0;
  for (const c of commands) {
    if (!c.batch) n += 1;
    else if (!batches.has(c.batch.id)) {
      batches.add(c.batch.id);
      n += 1;
    }
  }
  return n;
}

/** Run a pipeline (one round trip) and return its replies in order, throwing the first error reply. */
export async function execPipeline(pipe: ReturnType<Redis["pipeline"]>): Promise<unknown[]> {
  const results = (await pipe.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** What `flatQueuer` needs of an ioredis pipeline: its options and `sendCommand` (public, typed on `Pipeline`). */
interface CommandQueue {
  options?: { keyPrefix?: unknown; showFriendlyErrorStack?: boolean };
  sendCommand(command: object): unknown;
  call(name: string, ...args: RedisArg[]): unknown;
}

type Pipeline = ReturnType<Redis["pipeline"]>;

/**
 * A function that queues a command on an ioredis pipeline, its arguments given as one flat array that the command
 * then holds as is. `pipeline.call(name, ...args)` copies the arguments three times (the rest parameter, a `shift`,
 * and Command's `Array.prototype.flat`, about 75 ns per argument in V8): for a bulk load of a million leaderboard
 * members, 2,000,000 arguments, that was more than half of the CPU spent building and encoding the commands
 * (docs/bench.md, "Session 5"). The command, its bytes on the wire and its recorded trace are the same. With a key
 * prefix configured it uses `call`, which applies it. ioredis's `Command` is imported when a bulk load starts, not
 * with this module.
 */
export async function flatQueuer(): Promise<(pipeline: Pipeline, name: string, args: RedisArg[]) => void> {
  const ioredis = await import("ioredis");
  // Node gives the CommonJS module's named exports; the esbuild bundle only its `default` (module.exports).
  const { Command } = ioredis.Command ? ioredis : (ioredis as unknown as { default: typeof ioredis }).default;
  return (pipeline, name, args) => {
    const queue = pipeline as unknown as CommandQueue;
    const options = queue.options;
    if (options?.keyPrefix) {
      queue.call(name, ...args);
      return;
    }
    const errorStack = options?.showFriendlyErrorStack ? new Error() : undefined;
    const command = new Command(name, [], { replyEncoding: "utf8", ...(errorStack ? { errorStack } : {}) });
    command.args = args;
    queue.sendCommand(command);
  };
}
