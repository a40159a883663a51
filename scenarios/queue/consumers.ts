import type { Redis } from "ioredis";
import {
  DeliveryLedger,
  emailMessages,
  encodeMessage,
  enqueueMessage,
  sendEmail,
  type EmailMessage,
  type QueueCounts,
  type QueueKind,
} from "../../src/patterns/queue/index.js";
import type { ScenarioContext, TableData } from "../../src/runner/types.js";
import type { QueueParams } from "./params.js";
import { messageEvidence } from "./evidence.js";

/** A message in a consumer's hands: the message, and what the queue needs to acknowledge it (payload or entry id). */
export interface Delivery {
  message: EmailMessage;
  ref: string;
}

/** What one crash did: which messages the consumer had and how far it got with each. */
export interface CrashRecord {
  consumer: string;
  /** consumer-1 stays down; consumer-2 is restarted at once. */
  restarts: boolean;
  taken: string[];
  /** Worked on and acknowledged before the crash. */
  finished: string[];
  /** The work was done (the e-mail went out), the acknowledgement never came: redelivery makes a duplicate. */
  doneNotAcked: string[];
  /** Never started (or failed): the work is still to be done. */
  notStarted: string[];
}

export interface QueueState {
  ledger: DeliveryLedger;
  messages: EmailMessage[];
  byId: Map<string, EmailMessage>;
  poisonId: string | undefined;
  /** Open consumer connections by consumer name (the restarted consumer-2 replaces its dead one). */
  connections: Map<string, Redis>;
  crashes: CrashRecord[];
  /** For throughput: messages handled while draining and the time it took (to the last message, not the idle wait). */
  drainHandled: number;
  drainMs: number;
}

export function initQueueState(p: QueueParams, kind: QueueKind): QueueState {
  const poisonAt = kind === "stream" && p.poison ? p.messages : undefined;
  const messages = emailMessages(p.messages, { poisonAt });
  return {
    ledger: new DeliveryLedger(),
    messages,
    byId: new Map(messages.map((m) => [m.id, m])),
    poisonId: poisonAt === undefined ? undefined : messages[poisonAt - 1]?.id,
    connections: new Map(),
    crashes: [],
    drainHandled: 0,
    drainMs: 0,
  };
}

export function consumerName(n: number): string {
  return `consumer-${n}`;
}

/** Who crashes: consumer-1 for good, consumer-2 to restart. */
export interface CrashPlan {
  dies: string;
  restarts: string;
}

/** Who crashes (with `crash`): consumer-1 for good, consumer-2 to restart; the rest keep working. */
export function crashPlan(p: QueueParams): CrashPlan | undefined {
  if (!p.crash) return undefined;
  if (p.consumers < 2) throw new Error("a crash needs at least 2 consumers: one dies for good, one restarts");
  return { dies: consumerName(1), restarts: consumerName(2) };
}

/** The consumers that work after the crashes (consumer-2 restarted, consumer-3 …), or all of them without a crash. */
export function liveConsumers(p: QueueParams): string[] {
  const all = Array.from({ length: p.consumers }, (_, i) => consumerName(i + 1));
  return p.crash ? all.slice(1) : all;
}

/** The list queues' producer, on its own connection: LPUSH every message onto `queue`. The queue's length after. */
export async function pushAll(
  ctx: ScenarioContext<QueueParams>,
  state: QueueState,
  kind: QueueKind,
  queue: string,
): Promise<number> {
  const producer = await ctx.connect(`${kind}:producer`);
  let length = 0;
  for (const message of state.messages) {
    length = await enqueueMessage(producer, queue, encodeMessage(message));
    state.ledger.produced(message.id);
  }
  return length;
}

/**
 * A consumer's recorded connection, opened on first use; its commands are labelled `<kind>:<consumer>` in the trace.
 */
export async function connectionOf(
  ctx: ScenarioContext<QueueParams>,
  state: QueueState,
  kind: QueueKind,
  consumer: string,
  restarted = false,
): Promise<Redis> {
  const open = state.connections.get(consumer);
  if (open && !restarted) return open;
  const conn = await ctx.connect(`${kind}:${consumer}${restarted ? "-restarted" : ""}`);
  state.connections.set(consumer, conn);
  return conn;
}

/** The consumer's work on a message (send the e-mail), entered in the ledger. False when it failed (poison). */
export function work(
  state: QueueState,
  consumer: string,
  message: EmailMessage,
): { ok: true } | { ok: false; error: string } {
  try {
    sendEmail(message);
    state.ledger.handled(message.id, consumer);
    return { ok: true };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    state.ledger.failed(message.id, consumer, error);
    return { ok: false, error };
  }
}

/** Run consumer loops concurrently and wait for all of them; the first failure is rethrown once all have stopped. */
export async function runConcurrently(loops: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(loops);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Time a drain: handled messages and the time to the last one, for the throughput figure. */
export function drainMeter(state: QueueState): { handled(): void; stop(): void } {
  const started = performance.now();
  let last = started;
  let n = 0;
  return {
    handled() {
      n += 1;
      last = performance.now();
    },
    stop() {
      state.drainHandled += n;
      state.drainMs += last - started;
    },
  };
}

export function throughput(state: QueueState): number | null {
  if (state.drainHandled === 0 || state.drainMs <= 0) return null;
  return Math.round((state.drainHandled * 1000) / state.drainMs);
}

/** Messages the crashed consumers had not finished (worked on without acknowledgement, or never started). */
export function unfinishedByCrash(state: QueueState): { doneNotAcked: string[]; notStarted: string[] } {
  return {
    doneNotAcked: state.crashes.flatMap((c) => c.doneNotAcked).sort(),
    notStarted: state.crashes.flatMap((c) => c.notStarted).sort(),
  };
}

/** One row per message: its deliveries, how often its work was done, and how it ended. */
export function messageTable(state: QueueState): TableData {
  const counts = state.ledger.counts();
  const rows = state.messages.map((m) => {
    const history = state.ledger.historyOf(m.id);
    const deliveries = history
      .filter((e) => e.kind === "delivered")
      .map((e) => (e.kind === "delivered" ? `${e.consumer} (${e.how})` : ""));
    const handled = history.filter((e) => e.kind === "handled").length;
    const failed = history.filter((e) => e.kind === "failed").length;
    const outcome = counts.deadLetteredIds.includes(m.id)
      ? "dead-lettered"
      : counts.lostIds.includes(m.id)
        ? "LOST"
        : handled > 1
          ? `sent ${handled}× (duplicate)`
          : "sent";
    return [m.id, m.to, deliveries.join(", "), handled, failed, outcome];
  });
  return {
    title: "Every message, from the app's ledger",
    columns: ["message", "to", "deliveries", "sent", "failed", "outcome"],
    rows,
  };
}

/**
 * Each produced message's fate, so the counts add up to what was produced: acknowledged (at least once), worked on
 * but never acknowledged (the consumer died between the work and the acknowledgement), dead-lettered, lost.
 */
export function fates(state: QueueState): { acked: number; unacked: number; deadLettered: number; lost: number } {
  const counts = state.ledger.counts();
  const acked = new Set<string>();
  const handled = new Set<string>();
  for (const m of state.messages) {
    for (const e of state.ledger.historyOf(m.id)) {
      if (e.kind === "acked") acked.add(m.id);
      if (e.kind === "handled") handled.add(m.id);
    }
  }
  const dead = new Set(counts.deadLetteredIds);
  const lost = new Set(counts.lostIds);
  const unacked = state.messages.filter((m) => !acked.has(m.id) && !dead.has(m.id) && !lost.has(m.id)).length;
  return {
    acked: state.messages.filter((m) => acked.has(m.id) && !dead.has(m.id) && !lost.has(m.id)).length,
    unacked,
    deadLettered: dead.size,
    lost: lost.size,
  };
}

/** The counts every kind reports, as metrics (the names the issue and the summary table use). */
export function reportCounts(ctx: ScenarioContext<QueueParams>, state: QueueState): QueueCounts {
  const counts = state.ledger.counts();
  ctx.metric("produced", counts.produced);
  ctx.metric("acked", counts.acked);
  const fate = fates(state);
  ctx.metric("ackedMessages", fate.acked);
  ctx.metric("unacked", fate.unacked);
  ctx.check(
    "every produced message is accounted for: acknowledged + never acknowledged + dead-lettered + lost = produced",
    fate.acked + fate.unacked + fate.deadLettered + fate.lost === counts.produced,
    {
      expected: counts.produced,
      actual: fate.acked + fate.unacked + fate.deadLettered + fate.lost,
      evidence: {
        values: {
          produced: counts.produced,
          acknowledged: fate.acked,
          "never acknowledged": fate.unacked,
          "dead-lettered": fate.deadLettered,
          lost: fate.lost,
        },
      },
    },
  );
  ctx.metric("redelivered", counts.redelivered);
  ctx.metric("duplicates", counts.duplicates);
  ctx.metric("deadLettered", counts.deadLettered);
  ctx.metric("lost", counts.lost);
  ctx.metric("throughput", throughput(state));
  ctx.metric("handled", counts.handled);
  ctx.metric("deliveries", counts.deliveries);
  ctx.metric("consumers", ctx.params.consumers);
  ctx.metric("crashed", state.crashes.length);
  ctx.metric("commandsTotal", ctx.commands().length);
  if (state.messages.length <= 40) ctx.table(messageTable(state));
  ctx.plot({
    kind: "bars",
    title: `The fate of each of the ${counts.produced} messages`,
    bars: [
      { label: "acknowledged", value: fate.acked },
      { label: "worked on, never acknowledged", value: fate.unacked },
      { label: "dead-lettered", value: fate.deadLettered },
      { label: "lost", value: fate.lost },
    ],
  });
  const tally: Record<TallyMetric, number> = {
    produced: counts.produced,
    ackedMessages: fate.acked,
    unacked: fate.unacked,
    deadLettered: fate.deadLettered,
    lost: fate.lost,
    redelivered: counts.redelivered,
    duplicates: counts.duplicates,
  };
  ctx.table({
    title: "Every produced message ends one way: acknowledged + worked on, never acknowledged + dead-lettered + lost",
    columns: [...TALLY_COLUMNS, "throughput"],
    rows: [[...tallyRow((m) => tally[m]), fmtThroughput(throughput(state))]],
  });
  return counts;
}

/**
 * The tally of a run's messages: each column and the metric the run reports it as, in order. The scenario's table and
 * the CLI's comparison of the queues (which reads the metrics back) both lay their rows out by it.
 */
export const TALLY = [
  { column: "produced", metric: "produced" },
  { column: "acknowledged", metric: "ackedMessages" },
  { column: "never acknowledged", metric: "unacked" },
  { column: "dead-lettered", metric: "deadLettered" },
  { column: "lost", metric: "lost" },
  { column: "redelivered", metric: "redelivered" },
  { column: "duplicates", metric: "duplicates" },
] as const;

export type TallyMetric = (typeof TALLY)[number]["metric"];

export const TALLY_COLUMNS = TALLY.map((t) => t.column);

/** One tally row: each column's value, in the tally's order. */
export function tallyRow<T>(value: (metric: TallyMetric) => T): T[] {
  return TALLY.map((t) => value(t.metric));
}

export function fmtThroughput(perSec: number | null): string {
  return perSec === null ? "–" : `${perSec.toLocaleString("en-US")} msg/s`;
}

export const list = (ids: readonly string[]): string => (ids.length === 0 ? "none" : ids.join(", "));

/** The same ids, in any order (with repeats counted). */
export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sortedB = [...b].sort();
  return [...a].sort().every((id, i) => id === sortedB[i]);
}

/** Every queue kind's verdict: nothing lost, with the ledger's counts as evidence. */
export function checkNothingLost(ctx: ScenarioContext<QueueParams>, counts: QueueCounts): void {
  ctx.check("nothing lost", counts.lost === 0, {
    expected: 0,
    actual: counts.lost,
    detail: counts.lost ? `lost ${list(counts.lostIds)}` : undefined,
    evidence: {
      values: { produced: counts.produced, handled: counts.handled, "lost ids": list(counts.lostIds) },
    },
  });
}

/** Every queue kind's verdict: the duplicates are exactly what a crash left sent but not acknowledged. */
export function checkDuplicates(ctx: ScenarioContext<QueueParams>, counts: QueueCounts, doneNotAcked: string[]): void {
  ctx.check(
    "the duplicates are exactly the messages sent but not acknowledged before a crash",
    sameIds(counts.duplicateIds, doneNotAcked),
    {
      expected: list(doneNotAcked),
      actual: list(counts.duplicateIds),
      detail: "at-least-once delivery: the work must be idempotent",
      evidence: messageEvidence(ctx, [...new Set([...counts.duplicateIds, ...doneNotAcked])], {
        duplicates: counts.duplicates,
      }),
    },
  );
}
