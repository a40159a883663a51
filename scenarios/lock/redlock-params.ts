/** `lock --algo redlock`: the parameters of the Redlock scenario (scenarios/lock/redlock.ts) and their defaults. */

export interface RedlockParams {
  /** Independent masters to lock on (redis:// URLs). Empty: start `startNodes` throwaway redis-servers for the run. */
  nodes: string[];
  startNodes: number;
  /** The lock's TTL, ms. */
  ttlMs: number;
  /** Connect and command timeout for each node, ms: a node that does not answer in time did not vote. */
  nodeTimeoutMs: number;
  /** Attempts per acquisition, and the mean pause between them (randomised ±50%, seeded). */
  retries: number;
  retryDelayMs: number;
  seed: number;
  /** Acquisitions each of the two contending clients makes. */
  rounds: number;
  /** How long a holder keeps the lock, ms (its "work"). */
  holdMs: number;
  resource: string;
}

export const redlockDefaults: RedlockParams = {
  nodes: [],
  startNodes: 5,
  ttlMs: 150,
  nodeTimeoutMs: 50,
  retries: 3,
  retryDelayMs: 10,
  seed: 1,
  rounds: 5,
  holdMs: 2,
  resource: "order-456",
};
