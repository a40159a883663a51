/**
 * Reads and writes as each app instance does them in a cache topology: the entry's key, a read through its own cache
 * (hit, or the database), a write through, and the reads as a table with the stale ones marked.
 */
import {
  deleteCachedUser,
  getCachedUser,
  setCachedUser,
  userName,
  type UserRow,
} from "../../src/patterns/cache/index.js";
import type { TableData } from "../../src/runner/types.js";
import type { Ctx, Instance, Source, TopologyState } from "./topology-state.js";
import type { Topology } from "./params.js";

/** The key of a user's entry: under the run's prefix (on a sidecar it is the throwaway server's only data). */
export function entryKey(ctx: Ctx, topology: Topology, id: number): string {
  // On the shared server the key is named through the run's key space (deleted at the end); a sidecar is removed
  // with its data, so its keys are only named under the prefix.
  return topology === "remote"
    ? ctx.keys.key("cache", "remote", "user", id)
    : `${ctx.keys.prefix}:cache:sidecar:user:${id}`;
}

/** Cache-aside read through an instance's cache: GET, else the database, then SET with the TTL. */
export async function readAt(
  ctx: Ctx,
  state: TopologyState,
  topology: Topology,
  inst: Instance,
  id: number,
  phase: string,
): Promise<UserRow> {
  let row = await getCachedUser(inst.cache, entryKey(ctx, topology, id));
  let source: Source = "redis";
  if (!row) {
    source = "db";
    row = await inst.db.readUser(id);
    if (!row) throw new Error(`user ${id} is missing from the database`);
    await setCachedUser(inst.cache, entryKey(ctx, topology, id), row, ctx.params.ttlMs);
  }
  const truth = state.versions.get(id) ?? 1;
  state.reads.push({ instance: inst.name, id, source, version: row.version, stale: row.version < truth, phase });
  return row;
}

/** A write through one instance: UPDATE the database, DEL the entry from that instance's cache. */
export async function writeThrough(ctx: Ctx, state: TopologyState, topology: Topology, inst: Instance, id: number) {
  const version = (state.versions.get(id) ?? 1) + 1;
  await inst.db.updateUser({ id, name: userName(id, version), version });
  state.versions.set(id, version);
  await deleteCachedUser(inst.cache, entryKey(ctx, topology, id));
}

export function readsTable(state: TopologyState, phase: string): TableData {
  return {
    columns: ["instance", "user", "served from", "version", "database has", "stale"],
    rows: state.reads
      .filter((r) => r.phase === phase)
      .map((r) => [
        r.instance,
        `user:${r.id}`,
        r.source === "redis" ? "its cache" : "database",
        r.version,
        state.versions.get(r.id) ?? 1,
        r.stale ? "✗ stale" : "✓",
      ]),
  };
}

export const staleIn = (state: TopologyState, phase: string) => state.reads.filter((r) => r.phase === phase && r.stale);

export async function everyInstanceReads(
  ctx: Ctx,
  state: TopologyState,
  topology: Topology,
  id: number,
  phase: string,
) {
  for (const inst of state.instances) await readAt(ctx, state, topology, inst, id, phase);
  ctx.table(readsTable(state, phase));
}

/** The shared server's host and port, for the delay proxy; null where a proxy cannot stand in front of it. */
export function tcpAddress(url: string): { host: string; port: number } | null {
  try {
    const u = new URL(url);
    if (u.protocol !== "redis:" && u.protocol !== "rediss:") return null;
    return { host: u.hostname.replace(/^\[(.*)\]$/, "$1"), port: u.port ? Number(u.port) : 6379 };
  } catch {
    return null;
  }
}
