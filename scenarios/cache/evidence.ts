/** The cache scenarios' check evidence: the commands on the entries a verdict judged, and the reads it counted. */
import type { Evidence, MeasuredValue } from "../../src/check-failure.js";
import type { RecordedCommand } from "../../src/redis/recorder.js";
import { commandsOn } from "../../src/runner/evidence.js";

/** What a read of the cache workload returned, as far as a check judges it. */
export interface JudgedRead {
  seq: number;
  id: number;
  hit: boolean;
  version: number;
  dbVersion: number;
}

/**
 * Reads a check judged (stale ones, those the model disagrees on) as evidence: the workload's commands on those
 * users' entries (`keyOf`), and the first such read (its number in the workload, the user, the version served and
 * the database's version then).
 */
export function readsEvidence(
  commands: readonly RecordedCommand[],
  reads: readonly JudgedRead[],
  keyOf: (id: number) => string,
): () => Evidence {
  return () => {
    const first = reads[0];
    const values: Record<string, MeasuredValue> = first
      ? {
          reads: reads.length,
          "first: request number": first.seq,
          "first: user": first.id,
          "first: hit": first.hit,
          "first: version served": first.version,
          "first: database's version then": first.dbVersion,
        }
      : { reads: 0 };
    return { commands: commandsOn(commands, [...new Set(reads.map((r) => keyOf(r.id)))]), values };
  };
}

/** An app instance's read of one user, in a part (`phase`) of an invalidation scenario. */
export interface PhasedRead {
  instance: string;
  id: number;
  version: number;
  stale: boolean;
  phase: string;
  source?: string;
}

/**
 * The stale reads of one part of an invalidation scenario as evidence: the commands those instances sent on those
 * users' entries (a read served from an instance's own memory sends none), and each stale read.
 */
export function staleEvidence(
  commands: () => readonly RecordedCommand[],
  reads: readonly PhasedRead[],
  phase: string,
  keyOf: (id: number) => string,
): () => Evidence {
  return () => {
    const part = reads.filter((r) => r.phase === phase);
    const stale = part.filter((r) => r.stale);
    const clients = new Set(stale.map((r) => r.instance));
    const values: Record<string, MeasuredValue> = { "reads in this part": part.length, stale: stale.length };
    stale.slice(0, 6).forEach((r, i) => {
      values[`stale read ${i + 1}`] = `${r.instance}: user:${r.id} v${r.version}${r.source ? ` from ${r.source}` : ""}`;
    });
    const onEntries = commandsOn(commands(), [...new Set(stale.map((r) => keyOf(r.id)))]);
    return { commands: onEntries.filter((c) => clients.has(c.client)), values };
  };
}

/** The invalidations published as evidence: the PUBLISH commands (their replies: the receivers), who listened. */
export function publishEvidence(
  commands: () => readonly RecordedCommand[],
  published: readonly { receivers: number; connected?: number }[],
): () => Evidence {
  return () => ({
    commands: commands().filter((c) => c.argv[0] === "PUBLISH"),
    values: Object.fromEntries(
      published.map((p, i) => [
        `PUBLISH ${i + 1}`,
        `${p.receivers} receivers${p.connected !== undefined ? ` of ${p.connected} connected` : ""}`,
      ]),
    ),
  });
}

/** What went to the database (the trace's `source: "db"` statements) as evidence, with the counts judged. */
export function dbEvidence(
  commands: () => readonly RecordedCommand[],
  values: Record<string, MeasuredValue>,
): () => Evidence {
  return () => ({ commands: commands().filter((c) => c.source === "db"), values });
}
