/** Redlock (chapter 4.5, "for multi-node setups"): one lock across N independent Redis masters, held by a majority. */
import type { RedisCaller } from "../../redis/types.js";
import { pause, releaseLock, requireTtl } from "./simple.js";

/** One independent master, as the lock client sees it: a name and a connection (null when it could not connect). */
export interface RedlockNode {
  label: string;
  redis: RedisCaller | null;
}

/** What one node answered to one attempt. */
export interface NodeVote {
  node: string;
  /** True when the node's `SET NX PX` answered OK: it granted us the lock. */
  voted: boolean;
  /** Round trip of the node's SET, ms (0 when there was no connection to try). */
  latencyMs: number;
  /** Why the node did not vote: taken by another owner, or a transport error (down, timed out). */
  error?: string;
}

/** What one node answered to the release (owner-checked delete): true deleted, false not ours or gone, or an error. */
export interface NodeRelease {
  node: string;
  released: boolean;
  error?: string;
}

/** One attempt, with the numbers that decide it. */
export interface RedlockAttempt {
  attempt: number;
  votes: NodeVote[];
  /** Nodes that granted the lock, and how many are needed: ⌊N/2⌋ + 1. */
  granted: number;
  quorum: number;
  ttlMs: number;
  /** From before the first SET to after the last reply, on the client's monotonic clock. */
  elapsedMs: number;
  /** The allowance for clocks running at different rates: TTL × 1% + 2 ms. */
  driftMs: number;
  /** TTL − elapsed − drift: how long the holder may trust the lock, counted from the attempt's start. */
  validityMs: number;
  acquired: boolean;
  /** Why it failed, in words; undefined when acquired. */
  reason?: string;
  /** The release sent to every node after a failed attempt (a node may have granted the lock without us hearing). */
  releases?: NodeRelease[];
  /** When the attempt started, on the client's clock. */
  startedAt: number;
}

export interface RedlockOptions {
  /** The owner token stored on every node (see newLockToken). */
  token: string;
  ttlMs: number;
  /** Monotonic milliseconds; `performance.now` by default. */
  now?: () => number;
}

export interface RedlockRetryOptions extends RedlockOptions {
  /** Attempts before giving up (at least 1). */
  retries: number;
  /** The pause between attempts is drawn uniformly from [delay/2, delay × 1.5), so contending clients desynchronise. */
  retryDelayMs: number;
  /** The random source for the pause: seeded in tests and scenarios so runs replay. */
  random: () => number;
  signal?: AbortSignal;
}

/** The majority of `n` nodes: ⌊n/2⌋ + 1. */
export function redlockQuorum(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Redlock's clock-drift allowance for a TTL: 1% of it plus 2 ms (the Redis documentation's figures). */
export function clockDrift(ttlMs: number): number {
  return ttlMs * 0.01 + 2;
}

/** The delay before retry `attempt + 1`: uniform in [delay/2, delay × 1.5). */
export function redlockRetryDelay(retryDelayMs: number, random: () => number): number {
  return Math.round(retryDelayMs * (0.5 + random()));
}

/** Retry delays come from a seeded generator: the same seed gives the same pauses. */
export { seededRandom } from "../shared/random.js";

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
}

/**
 * One Redlock attempt: `SET key token NX PX ttl` on every node at once, then the arithmetic. The lock is ours when a
 * majority granted it AND time is left: validity = TTL − elapsed − drift > 0. On failure the lock is released on every
 * node, including those that did not answer (their SET may have landed anyway).
 *
 * Pro: no single master to lose: the lock survives the loss of any minority of nodes.
 * Con: N round trips and N servers to run; its safety rests on timing assumptions (bounded pauses, clocks that run at
 * about the same rate) that a GC pause or a clock jump can break: it still needs fencing where correctness matters.
 */
export async function tryRedlock(
  nodes: readonly RedlockNode[],
  key: string,
  options: RedlockOptions & { attempt?: number },
): Promise<RedlockAttempt> {
  requireTtl(options.ttlMs);
  if (nodes.length < 3) throw new RangeError(`Redlock needs at least 3 independent masters, got ${nodes.length}`);
  const now = options.now ?? (() => performance.now());
  const startedAt = now();
  const votes = await Promise.all(
    nodes.map(async (node): Promise<NodeVote> => {
      if (!node.redis) return { node: node.label, voted: false, latencyMs: 0, error: "not connected" };
      const sent = now();
      try {
        const reply = await node.redis.call("SET", key, options.token, "NX", "PX", String(options.ttlMs));
        const latencyMs = now() - sent;
        return reply === "OK"
          ? { node: node.label, voted: true, latencyMs }
          : { node: node.label, voted: false, latencyMs, error: "held by another owner" };
      } catch (err) {
        return { node: node.label, voted: false, latencyMs: now() - sent, error: messageOf(err) };
      }
    }),
  );
  const elapsedMs = now() - startedAt;
  const granted = votes.filter((v) => v.voted).length;
  const quorum = redlockQuorum(nodes.length);
  const driftMs = clockDrift(options.ttlMs);
  const validityMs = options.ttlMs - elapsedMs - driftMs;
  const acquired = granted >= quorum && validityMs > 0;
  const attempt: RedlockAttempt = {
    attempt: options.attempt ?? 1,
    votes,
    granted,
    quorum,
    ttlMs: options.ttlMs,
    elapsedMs,
    driftMs,
    validityMs,
    acquired,
    startedAt,
  };
  if (!acquired) {
    attempt.reason =
      granted < quorum
        ? `${granted} of ${nodes.length} nodes granted the lock, ${quorum} needed`
        : `a majority granted it, but it took ${elapsedMs.toFixed(1)} ms: no validity left ` +
          `(${validityMs.toFixed(1)} ms)`;
    attempt.releases = await releaseRedlock(nodes, key, options.token);
  }
  return attempt;
}

/**
 * Release on every node (owner-checked delete), whether or not it voted: a SET whose reply was lost may have landed.
 *
 * Pro: the owner check means a late release never deletes another owner's lock on any node.
 * Con: a node that is down keeps our key until its TTL runs out (the lock is then refused there meanwhile).
 */
export async function releaseRedlock(
  nodes: readonly RedlockNode[],
  key: string,
  token: string,
): Promise<NodeRelease[]> {
  return Promise.all(
    nodes.map(async (node): Promise<NodeRelease> => {
      if (!node.redis) return { node: node.label, released: false, error: "not connected" };
      try {
        return { node: node.label, released: await releaseLock(node.redis, key, token) };
      } catch (err) {
        return { node: node.label, released: false, error: messageOf(err) };
      }
    }),
  );
}

/**
 * Take the Redlock with retries: up to `retries` attempts, a random pause between them. Returns every attempt (the
 * last one acquired, or all failed).
 *
 * Pro: contending clients back off by different amounts, so one of them soon wins a majority.
 * Con: not a queue: a waiter may lose again and again; give up after `retries` and report it.
 */
export async function acquireRedlock(
  nodes: readonly RedlockNode[],
  key: string,
  options: RedlockRetryOptions,
): Promise<RedlockAttempt[]> {
  if (!Number.isSafeInteger(options.retries) || options.retries < 1)
    throw new RangeError(`retries must be at least 1, got ${options.retries}`);
  const attempts: RedlockAttempt[] = [];
  for (let n = 1; n <= options.retries; n++) {
    options.signal?.throwIfAborted();
    const attempt = await tryRedlock(nodes, key, { ...options, attempt: n });
    attempts.push(attempt);
    if (attempt.acquired || n === options.retries) break;
    await pause(redlockRetryDelay(options.retryDelayMs, options.random), options.signal);
  }
  return attempts;
}
