/**
 * A stream consumer in a consumer group, as the queue/stream scenario runs it: read (XREADGROUP), work, XACK or
 * record the failed delivery (dead-lettered after maxDeliveries), resume its own pending entries first on a start.
 */
import type { Redis } from "ioredis";
import {
  acknowledgeEntries,
  messageFromFields,
  readGroup,
  recordFailedDelivery,
  type ClaimCommand,
  type StreamEntry,
} from "../../src/patterns/queue/index.js";
import { tag } from "../../src/redis/keys.js";
import type { ServerSupport } from "../../src/runner/support.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import type { QueueParams } from "./params.js";
import { connectionOf, drainMeter, work, type Delivery, type QueueState } from "./consumers.js";

export type Ctx = ScenarioContext<QueueParams>;

export type { CrashPlan } from "./consumers.js";

/** The chapter's group name. */
export const GROUP = "email-workers";

/**
 * Added to every wait for an idle time, so the server's clock has certainly counted the minimum (timers may fire a
 * little early).
 */
export const IDLE_MARGIN_MS = 25;

export interface StreamState extends QueueState {
  claimCommand: ClaimCommand;
  /** Entry id → message id, for the tables. */
  messageOf: Map<string, string>;
  /** What the restarted consumer read back with ID 0. */
  resumed: string[];
  /** What XAUTOCLAIM (or XCLAIM) handed over, per round. */
  claimed: string[][];
  /** What XPENDING showed right after the crashes. */
  pendingAfterCrash: { id: string; consumer: string; deliveries: number }[];
}

export const keysOf = (ctx: Ctx) => ({
  stream: ctx.keys.key("stream", tag("emails")),
  deadLetter: ctx.keys.key("stream", tag("emails"), "dead-letter"),
});

export function toDelivery(state: StreamState, entry: StreamEntry): Delivery | null {
  if (entry.fields === null) return null; // deleted from the stream meanwhile: nothing to do but acknowledge
  const message = messageFromFields(entry.fields);
  state.messageOf.set(entry.id, message.id);
  return { message, ref: entry.id };
}

/**
 * The work on one delivered entry: send, then XACK; when sending fails, record the failed delivery, which moves the
 * entry to the dead-letter stream once it has been delivered maxDeliveries times.
 */
export async function process(
  ctx: Ctx,
  state: StreamState,
  consumer: string,
  conn: Redis,
  delivery: Delivery,
): Promise<boolean> {
  const done = work(state, consumer, delivery.message);
  if (done.ok) {
    if ((await acknowledgeEntries(conn, keysOf(ctx).stream, GROUP, [delivery.ref])) === 1)
      state.ledger.acked(delivery.message.id, consumer);
    return true;
  }
  const failed = await recordFailedDelivery(conn, keysOf(ctx), {
    group: GROUP,
    consumer,
    id: delivery.ref,
    maxDeliveries: ctx.params.maxDeliveries,
    error: done.error,
  });
  if (failed.deadLettered) {
    state.ledger.deadLettered(delivery.message.id, consumer, failed.deliveries);
    ctx.note(
      `${delivery.message.id} failed on delivery ${failed.deliveries} of ${ctx.params.maxDeliveries}: moved to the ` +
        "dead-letter stream and acknowledged",
    );
  } else {
    ctx.note(
      `${delivery.message.id} failed on delivery ${failed.deliveries} of ${ctx.params.maxDeliveries} ` +
        `(${done.error}): left pending for another try`,
    );
  }
  return false;
}

/** Read entries for a consumer and enter them in the ledger as deliveries. */
export async function read(
  ctx: Ctx,
  state: StreamState,
  consumer: string,
  conn: Redis,
  from: string,
): Promise<{ deliveries: Delivery[]; lastId: string | undefined; orphans: string[] }> {
  const entries = await readGroup(conn, {
    stream: keysOf(ctx).stream,
    group: GROUP,
    consumer,
    count: ctx.params.batch,
    from,
    blockMs: ctx.params.blockMs,
  });
  const deliveries: Delivery[] = [];
  const orphans: string[] = [];
  for (const entry of entries) {
    const delivery = toDelivery(state, entry);
    if (!delivery) {
      orphans.push(entry.id);
      continue;
    }
    state.ledger.delivered(delivery.message.id, consumer, from === ">" ? "XREADGROUP >" : "XREADGROUP 0");
    deliveries.push(delivery);
  }
  return { deliveries, lastId: entries[entries.length - 1]?.id, orphans };
}

/**
 * What every consumer does when it starts: its own pending entries first (XREADGROUP … 0, then from the last id
 * read, so an entry that fails again is not read in a loop), until none is left. Returns the message ids resumed.
 */
export async function resumeOwn(ctx: Ctx, state: StreamState, consumer: string, conn: Redis): Promise<string[]> {
  const resumed: string[] = [];
  let from = "0";
  for (;;) {
    const { deliveries, lastId, orphans } = await read(ctx, state, consumer, conn, from);
    if (orphans.length > 0) await acknowledgeEntries(conn, keysOf(ctx).stream, GROUP, orphans);
    if (lastId === undefined) return resumed;
    for (const delivery of deliveries) {
      resumed.push(delivery.message.id);
      await process(ctx, state, consumer, conn, delivery);
    }
    from = lastId;
  }
}

/** A consumer's loop: own pending entries first, then new ones (">", blocking), until a read times out. */
export async function drain(
  ctx: Ctx,
  state: StreamState,
  consumer: string,
  meter: ReturnType<typeof drainMeter>,
  resumed: boolean,
): Promise<void> {
  const conn = await connectionOf(ctx, state, "stream", consumer);
  if (!resumed) await resumeOwn(ctx, state, consumer, conn);
  for (;;) {
    const { deliveries, lastId } = await read(ctx, state, consumer, conn, ">");
    if (lastId === undefined) return;
    for (const delivery of deliveries) if (await process(ctx, state, consumer, conn, delivery)) meter.handled();
  }
}

export function pendingTable(
  state: StreamState,
  entries: { id: string; consumer: string; idleMs: number; deliveries: number }[],
) {
  return {
    columns: ["entry id", "message", "consumer", "idle", "deliveries"],
    rows: entries.map((e) => [e.id, state.messageOf.get(e.id) ?? "?", e.consumer, `${e.idleMs} ms`, e.deliveries]),
  };
}

/** XAUTOCLAIM where the server has it, else XPENDING + XCLAIM (Redis < 6.2, or XAUTOCLAIM renamed or denied). */
export function claimOf(server: ServerSupport): ClaimCommand {
  return server.has("XAUTOCLAIM") ? "XAUTOCLAIM" : "XCLAIM";
}

/** The consumer that claims stuck entries: the last live one (any would do; claims are atomic on the server). */
export function claimerOf(live: string[]): string {
  return live[live.length - 1]!;
}
