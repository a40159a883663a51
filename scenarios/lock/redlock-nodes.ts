/**
 * The Redlock scenario's independent masters: starting or connecting them, two clients' handles on each, taking a
 * minority down (stopped, or paused so it hangs), and one hold of the lock by a client, shown as a table per node.
 */
import type { Redis } from "ioredis";
import {
  acquireRedlock,
  clockDrift,
  newLockToken,
  pause,
  redlockQuorum,
  releaseRedlock,
  type Hold,
  type NodeRelease,
  type RedlockAttempt,
  type RedlockNode,
} from "../../src/patterns/lock/index.js";
import { tag } from "../../src/redis/keys.js";
import { startThrowawayServer, type ThrowawayServer } from "../../src/redis/throwaway-server.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import { lastSeq, type SeqRange } from "../../src/runner/evidence.js";
import type { RedlockParams } from "./redlock-params.js";

export interface NodeHandle {
  label: string;
  url: string;
  server: ThrowawayServer | null;
  /** One connection per client (A, B), null when it could not connect. */
  clients: Record<"A" | "B", Redis | null>;
  error?: string;
  stopped: boolean;
  /** Made unresponsive with CLIENT PAUSE … WRITE: it neither grants nor refuses; its commands time out. */
  paused: Redis | null;
}

export interface RedlockState {
  nodes: NodeHandle[];
  started: ThrowawayServer[];
  random: () => number;
  holds: Hold[];
  first?: RedlockAttempt;
  contention?: {
    acquisitions: Record<string, number>;
    attempts: Record<string, number>;
    splitVotes: number;
    gaveUp: number;
  };
  minorityDown?: RedlockAttempt;
  majorityDown?: RedlockAttempt[];
  leftOnLiveNodes?: number;
  /** The trace's sequence numbers around each part of the run, for the verdict's evidence. */
  parts?: Partial<Record<"first" | "contention" | "minority" | "majority", SeqRange>>;
}

/** Mark the part of the trace a step sent, from sequence number `after` to now. */
export function markPart(ctx: Ctx, state: RedlockState, part: keyof NonNullable<RedlockState["parts"]>, after: number) {
  (state.parts ??= {})[part] = { after, upTo: lastSeq(ctx.commands()) };
}

/** An attempt's votes in words, node by node: the evidence of a Redlock check. */
export function voteValues(attempt: RedlockAttempt | undefined): Record<string, string> {
  if (!attempt) return {};
  return {
    ...Object.fromEntries(
      attempt.votes.map((v) => [v.node, v.voted ? `granted in ${fixed(v.latencyMs)} ms` : (v.error ?? "refused")]),
    ),
    "elapsed (ms)": fixed(attempt.elapsedMs),
    "validity (ms)": fixed(attempt.validityMs),
  };
}

export type Ctx = ScenarioContext<RedlockParams>;

export const lockKey = (ctx: Ctx): string => ctx.keys.key("lock", "redlock", tag(ctx.params.resource), "lock");

export const fixed = (n: number): string => n.toFixed(1);

export function nodesFor(state: RedlockState, client: "A" | "B"): RedlockNode[] {
  return state.nodes.map((n) => ({ label: n.label, redis: n.clients[client] }));
}

/** The per-node table of one attempt, with the validity arithmetic as its title. */
export function attemptTable(ctx: Ctx, who: string, a: RedlockAttempt, releases?: NodeRelease[]): void {
  const rel = releases ?? a.releases;
  ctx.table({
    title:
      `${who}, attempt ${a.attempt}: ${a.granted}/${a.votes.length} granted (quorum ${a.quorum}); validity = TTL ` +
      `${a.ttlMs} − elapsed ` +
      `${fixed(a.elapsedMs)} − drift ${fixed(a.driftMs)} = ${fixed(a.validityMs)} ms → ` +
      `${a.acquired ? "ACQUIRED" : `FAILED: ${a.reason}`}`,
    columns: ["node", "voted", "latency ms", "error", ...(rel ? ["release"] : [])],
    rows: a.votes.map((v, i) => [
      v.node,
      v.voted ? "yes" : "no",
      Number(v.latencyMs.toFixed(2)),
      v.error ?? "",
      ...(rel ? [rel[i]!.error ? `error: ${rel[i]!.error}` : rel[i]!.released ? "deleted" : "not ours"] : []),
    ]),
  });
}

export async function connectNodes(ctx: Ctx, state: RedlockState): Promise<void> {
  const p = ctx.params;
  let urls = p.nodes;
  if (urls.length === 0) {
    if (p.startNodes < 3) throw new RangeError(`Redlock needs at least 3 nodes, got ${p.startNodes}`);
    const servers = await Promise.allSettled(Array.from({ length: p.startNodes }, () => startThrowawayServer()));
    for (const s of servers) if (s.status === "fulfilled") state.started.push(s.value);
    const failed = servers.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    urls = state.started.map((s) => s.url);
    ctx.note(
      `started ${p.startNodes} throwaway redis-servers (independent masters, no persistence, no replication): ` +
        `${state.started.map((s) => s.port).join(", ")}; they stop when the run ends`,
    );
  }
  if (urls.length < 3) throw new RangeError(`Redlock needs at least 3 independent masters, got ${urls.length}`);
  for (const [i, url] of urls.entries()) {
    const handle: NodeHandle = {
      label: `node-${i + 1}`,
      url,
      server: state.started[i] ?? null,
      clients: { A: null, B: null },
      stopped: false,
      paused: null,
    };
    for (const client of ["A", "B"] as const) {
      try {
        // The node timeout bounds each vote; connecting (and its handshake) gets 2 s: a node slow to accept one
        // connection on a busy machine is not down for the whole run.
        handle.clients[client] = await ctx.connectTo(url, `${client}@${handle.label}`, {
          timeoutMs: p.nodeTimeoutMs,
          connectTimeoutMs: Math.max(2_000, p.nodeTimeoutMs),
        });
      } catch (err) {
        handle.error = err instanceof Error ? err.message : String(err);
      }
    }
    state.nodes.push(handle);
  }
  ctx.table({
    columns: ["node", "address", "status"],
    rows: state.nodes.map((n) => [
      n.label,
      n.server ? `127.0.0.1:${n.server.port}` : n.url.replace(/\/\/[^@]*@/, "//"),
      n.error ? `unreachable: ${n.error}` : "up",
    ]),
  });
  const n = state.nodes.length;
  ctx.note(
    `${n} nodes: the lock needs a majority of ${redlockQuorum(n)}, so it survives ${n - redlockQuorum(n)} nodes ` +
      "down. Clock drift allowance " +
      `= TTL × 1% + 2 ms = ${fixed(clockDrift(p.ttlMs))} ms. Each client has its own connection to every node ` +
      "(A@node-1, B@node-1, …).",
  );
}

export function retryOptions(ctx: Ctx, state: RedlockState, token: string, retries = ctx.params.retries) {
  return {
    token,
    ttlMs: ctx.params.ttlMs,
    retries,
    retryDelayMs: ctx.params.retryDelayMs,
    random: state.random,
    signal: ctx.signal,
  };
}

/**
 * Take the lock as `client`, hold it `holdMs`, release it everywhere. The hold ends at the release or at the
 * validity.
 */
export async function holdOnce(ctx: Ctx, state: RedlockState, client: "A" | "B", retries?: number) {
  const nodes = nodesFor(state, client);
  const token = newLockToken();
  const attempts = await acquireRedlock(nodes, lockKey(ctx), retryOptions(ctx, state, token, retries));
  const last = attempts[attempts.length - 1]!;
  let releases: NodeRelease[] | undefined;
  if (last.acquired) {
    const from = performance.now();
    const hold: Hold = { owner: client, from };
    state.holds.push(hold);
    await pause(ctx.params.holdMs, ctx.signal);
    // The holder stops trusting the lock at the release, or when its validity runs out, whichever comes first.
    hold.to = Math.min(performance.now(), last.startedAt + last.validityMs);
    releases = await releaseRedlock(nodes, lockKey(ctx), token);
  }
  return { attempts, last, releases };
}

/** Nodes that answer: neither stopped nor paused. */
export const healthy = (state: RedlockState): NodeHandle[] => state.nodes.filter((n) => !n.stopped && !n.paused);

/**
 * Take `count` healthy nodes (the highest-numbered) out: the first one is made unresponsive (CLIENT PAUSE … WRITE: a
 * hung server, whose votes time out) when `hang` is set, the others are shut down (a crashed server: refused at once).
 */
export async function takeDown(ctx: Ctx, state: RedlockState, count: number, hang: boolean): Promise<void> {
  const victims = healthy(state)
    .filter((n) => n.server)
    .slice(-count);
  const said: string[] = [];
  for (const [i, node] of victims.entries()) {
    const operator = await ctx.connectTo(node.url, `operator@${node.label}`, { timeoutMs: 2_000 });
    if (hang && i === 0) {
      // Reversible: the teardown sends CLIENT UNPAUSE. Writes (SET, the release script) wait; reads still run.
      await operator.call("CLIENT", "PAUSE", "60000", "WRITE");
      node.paused = operator;
      said.push(
        `${node.label} hangs (CLIENT PAUSE 60000 WRITE: its SETs wait past the ${ctx.params.nodeTimeoutMs} ms node ` +
          "timeout)",
      );
    } else {
      // SHUTDOWN closes the connection instead of replying.
      await operator.call("SHUTDOWN", "NOSAVE").catch(() => undefined);
      await node.server!.stop();
      node.stopped = true;
      said.push(`${node.label} is down (SHUTDOWN NOSAVE)`);
    }
  }
  ctx.note(`${said.join("; ")}: ${healthy(state).length} of ${state.nodes.length} nodes answer`);
}
