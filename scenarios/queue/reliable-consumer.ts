/**
 * A consumer of the reliable queue, as the queue/reliable scenario runs it: take a message into its own processing
 * list (LMOVE/BLMOVE or RPOPLPUSH, stamped with when it was taken), work, acknowledge (LREM), drain until empty.
 */
import type { Redis } from "ioredis";
import {
  acknowledgeMessage,
  decodeMessage,
  queueFeatures,
  registerConsumer,
  takeMessageReliably,
  type MoveCommand,
  type ReliableQueueKeys,
} from "../../src/patterns/queue/index.js";
import { tag } from "../../src/redis/keys.js";
import type { ServerSupport } from "../../src/runner/support.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import type { QueueParams } from "./params.js";
import { connectionOf, drainMeter, runConcurrently, work, type Delivery, type QueueState } from "./consumers.js";

export type Ctx = ScenarioContext<QueueParams>;

export interface ReliableState extends QueueState {
  moveCommand: MoveCommand;
  /** What the reaper returned to the queue, by message id. */
  returned: string[];
  /** What the restarted consumer found in its own processing list. */
  resumed: string[];
  /** When each message was last taken (the stamp the consumer wrote), for the reaper's expected result. */
  takenAt: Map<string, number>;
}

export function queueKeys(ctx: Ctx): ReliableQueueKeys {
  return {
    queue: ctx.keys.key("reliable", tag("emails")),
    takenAt: ctx.keys.key("reliable", tag("emails"), "taken-at"),
    consumers: ctx.keys.key("reliable", tag("emails"), "consumers"),
    processing: (consumer) => ctx.keys.key("reliable", tag("emails"), "processing", consumer),
  };
}

export const fmtTime = (t: number): string => new Date(t).toISOString().slice(11, 23);

export async function take(ctx: Ctx, state: ReliableState, consumer: string, conn: Redis): Promise<Delivery | null> {
  const features = queueFeatures(ctx.target.version);
  const taken = await takeMessageReliably(conn, queueKeys(ctx), consumer, {
    timeoutMs: ctx.params.blockMs,
    now: () => ctx.clock.now(),
    command: state.moveCommand,
    fractionalTimeout: features.fractionalTimeouts,
  });
  if (!taken) return null;
  if (taken.command !== state.moveCommand) {
    state.moveCommand = taken.command;
    ctx.note(`the server does not know BLMOVE (Redis < 6.2): BRPOPLPUSH from here on`);
  }
  const message = decodeMessage(taken.payload);
  state.ledger.delivered(message.id, consumer, taken.command);
  state.takenAt.set(message.id, taken.takenAt);
  return { message, ref: taken.payload };
}

export async function acknowledge(
  ctx: Ctx,
  state: ReliableState,
  consumer: string,
  conn: Redis,
  delivery: Delivery,
): Promise<void> {
  if (await acknowledgeMessage(conn, queueKeys(ctx), consumer, delivery.ref))
    state.ledger.acked(delivery.message.id, consumer);
  else
    ctx.note(
      `${consumer} finished ${delivery.message.id} after the reaper had returned it: another consumer will ` +
        `send it again`,
    );
}

/** A consumer's loop: register, then BLMOVE, send, acknowledge, until a BLMOVE times out. */
export async function drain(
  ctx: Ctx,
  state: ReliableState,
  consumer: string,
  meter: ReturnType<typeof drainMeter>,
): Promise<void> {
  const conn = await connectionOf(ctx, state, "reliable", consumer);
  await registerConsumer(conn, queueKeys(ctx), consumer);
  for (;;) {
    const delivery = await take(ctx, state, consumer, conn);
    if (!delivery) return;
    // A failure would leave the message in the processing list, for the reaper to return (none fails here).
    if (work(state, consumer, delivery.message).ok) {
      await acknowledge(ctx, state, consumer, conn, delivery);
      meter.handled();
    }
  }
}

export async function drainAll(ctx: Ctx, state: ReliableState, consumers: string[]): Promise<void> {
  // Every consumer is connected before the first BLMOVE, so they compete from the start.
  for (const consumer of consumers) await connectionOf(ctx, state, "reliable", consumer);
  const meter = drainMeter(state);
  await runConcurrently(consumers.map((consumer) => drain(ctx, state, consumer, meter)));
  meter.stop();
}

/** BLMOVE where the server has it, else BRPOPLPUSH (Redis < 6.2, or BLMOVE renamed or denied). */
export function moveOf(server: ServerSupport): MoveCommand {
  return server.has("BLMOVE") ? "BLMOVE" : "BRPOPLPUSH";
}
