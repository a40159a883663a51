/**
 * Redis Cluster health for `doctor`: CLUSTER INFO (state, slots covered), CLUSTER SHARDS (or CLUSTER NODES before
 * Redis 7.0) for the masters, their slots and replicas, and one redirection shown on purpose: a read of a sample key
 * sent to a master that does not own its slot, answered with MOVED, then the same read through the cluster client,
 * which sends it to the owner. Read-only: GET of a key that is never written.
 */
import type { Redis } from "ioredis";
import { parseInfo } from "../redis/server-info.js";

export const CLUSTER_SLOTS = 16384;

export interface ClusterShard {
  /** host:port of the master. */
  master: string;
  /** Slot ranges, e.g. "0-5460". */
  slots: string[];
  slotCount: number;
  /** "online", "failed", "loading", … as the cluster reports it. */
  health: string;
  replicas: { address: string; health: string }[];
}

export interface ClusterRedirect {
  key: string;
  slot: number;
  /** The master asked first (not the owner). */
  asked: string;
  /** Its reply: "MOVED <slot> <owner>". */
  reply: string;
  /** The owner named by MOVED, where the cluster client then read the key. */
  owner: string;
}

export interface ClusterFacts {
  state: string;
  slotsAssigned: number;
  slotsOk: number;
  slotsFail: number;
  knownNodes: number;
  shards: ClusterShard[];
  redirect?: ClusterRedirect;
  /** What could not be read, with the server's answer. */
  problems: string[];
}

/** A master's own connection (recorded, named by its address). */
export interface ClusterNodeClient {
  address: string;
  client: Pick<Redis, "call">;
}

function fields(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(list)) for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}

/** CLUSTER SHARDS (Redis ≥ 7.0): one entry per shard, slots as start/end pairs, nodes with role and health. */
export function shardsFromReply(reply: unknown): ClusterShard[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry) => {
    const shard = fields(entry);
    const bounds = (shard.slots as unknown[] | undefined)?.map(Number) ?? [];
    const slots: string[] = [];
    let slotCount = 0;
    for (let i = 0; i + 1 < bounds.length; i += 2) {
      slots.push(bounds[i] === bounds[i + 1] ? `${bounds[i]}` : `${bounds[i]}-${bounds[i + 1]}`);
      slotCount += bounds[i + 1]! - bounds[i]! + 1;
    }
    const nodes = ((shard.nodes as unknown[] | undefined) ?? []).map(fields);
    const address = (n: Record<string, unknown>) => `${String(n.ip ?? n.endpoint)}:${String(n.port ?? n["tls-port"])}`;
    const master = nodes.find((n) => n.role === "master");
    return {
      master: master ? address(master) : "none",
      slots,
      slotCount,
      health: master ? String(master.health) : "no master",
      replicas: nodes
        .filter((n) => n.role !== "master")
        .map((n) => ({ address: address(n), health: String(n.health) })),
    };
  });
}

/** CLUSTER NODES (any version): `<id> <ip:port@bus> <flags> <master-id> … <link-state> <slot> <slot> …`. */
export function shardsFromNodes(text: string): ClusterShard[] {
  const lines = text
    .split("\n")
    .map((l) => l.trim().split(" "))
    .filter((f) => f.length >= 8);
  const addressOf = (f: string[]) => f[1]!.split("@")[0]!;
  const healthOf = (f: string[]) => (/fail/.test(f[2]!) ? "failed" : f[7] === "connected" ? "online" : f[7]!);
  return lines
    .filter((f) => f[2]!.includes("master"))
    .map((m) => {
      const slots = m.slice(8).filter((s) => /^\d+(-\d+)?$/.test(s));
      const slotCount = slots.reduce((n, s) => {
        const [a, b] = s.split("-").map(Number);
        return n + (b === undefined ? 1 : b - a! + 1);
      }, 0);
      return {
        master: addressOf(m),
        slots,
        slotCount,
        health: healthOf(m),
        replicas: lines.filter((r) => r[3] === m[0]).map((r) => ({ address: addressOf(r), health: healthOf(r) })),
      };
    })
    .filter((s) => s.slotCount > 0 || s.replicas.length > 0);
}

function ownerOf(shards: readonly ClusterShard[], slot: number): ClusterShard | undefined {
  return shards.find((s) =>
    s.slots.some((range) => {
      const [a, b] = range.split("-").map(Number);
      return slot >= a! && slot <= (b ?? a!);
    }),
  );
}

/**
 * Read the cluster's health through `cluster` (the cluster client), and show one MOVED redirection with the
 * masters' own connections. `sampleKey` is a key name of this run's prefix, read and never written.
 */
export async function collectClusterFacts(
  cluster: Pick<Redis, "call">,
  masters: readonly ClusterNodeClient[],
  sampleKey: string,
): Promise<ClusterFacts> {
  const problems: string[] = [];
  let info: Record<string, string> = {};
  try {
    info = parseInfo(String(await cluster.call("CLUSTER", "INFO")));
  } catch (err) {
    problems.push(`CLUSTER INFO: ${(err as Error).message}`);
  }
  let shards: ClusterShard[] = [];
  try {
    shards = shardsFromReply(await cluster.call("CLUSTER", "SHARDS"));
  } catch (err) {
    try {
      shards = shardsFromNodes(String(await cluster.call("CLUSTER", "NODES")));
    } catch (err2) {
      problems.push(`CLUSTER SHARDS: ${(err as Error).message}; CLUSTER NODES: ${(err2 as Error).message}`);
    }
  }
  const facts: ClusterFacts = {
    state: info.cluster_state ?? "unknown",
    slotsAssigned: Number(info.cluster_slots_assigned ?? 0),
    slotsOk: Number(info.cluster_slots_ok ?? 0),
    slotsFail: Number(info.cluster_slots_fail ?? 0),
    knownNodes: Number(info.cluster_known_nodes ?? 0),
    shards,
    problems,
  };
  try {
    const slot = Number(await cluster.call("CLUSTER", "KEYSLOT", sampleKey));
    const owner = ownerOf(shards, slot);
    const wrong = masters.find((m) => owner && m.address !== owner.master);
    if (owner && wrong) {
      let reply = "";
      try {
        reply = `unexpected reply ${JSON.stringify(await wrong.client.call("GET", sampleKey))}`;
      } catch (err) {
        reply = (err as Error).message;
      }
      // The cluster client knows the slot map, so it sends the read straight to the owner.
      await cluster.call("GET", sampleKey);
      const moved = /^MOVED \d+ (\S+)/.exec(reply);
      facts.redirect = { key: sampleKey, slot, asked: wrong.address, reply, owner: moved?.[1] ?? "none" };
    }
  } catch (err) {
    problems.push(`redirection: ${(err as Error).message}`);
  }
  return facts;
}

/** What is wrong with the cluster, in one line each (empty when healthy). */
export function clusterWarnings(facts: ClusterFacts): string[] {
  const out: string[] = [];
  if (facts.state !== "ok") out.push(`cluster_state is ${facts.state}`);
  if (facts.slotsOk < CLUSTER_SLOTS) out.push(`${CLUSTER_SLOTS - facts.slotsOk} of ${CLUSTER_SLOTS} slots not served`);
  const noReplica = facts.shards.filter((s) => s.replicas.filter((r) => r.health === "online").length === 0);
  if (noReplica.length > 0)
    out.push(`no online replica for ${noReplica.map((s) => s.master).join(", ")}: losing that master loses its slots`);
  return out;
}
