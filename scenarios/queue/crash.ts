/**
 * The crash every queue kind goes through: consumer-1 and consumer-2 each take a batch and die in the middle of it, at
 * a fixed point, so every run fails the same way; their connections close as when a process dies.
 */
import type { Redis } from "ioredis";
import type { QueueKind } from "../../src/patterns/queue/index.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import type { QueueParams } from "./params.js";
import { connectionOf, work, type CrashPlan, type CrashRecord, type Delivery, type QueueState } from "./consumers.js";

/** How one queue kind takes a crashing consumer's batch and acknowledges one of its messages. */
export interface CrashingConsumer {
  takeBatch(consumer: string, conn: Redis): Promise<Delivery[]>;
  acknowledge(consumer: string, conn: Redis, delivery: Delivery): Promise<void>;
}

/**
 * The crash step: consumer-1 (for good) and consumer-2 (to restart), one after the other, each on its own connection
 * take a batch and crash in the middle of it ({@link crashMidBatch}).
 */
export async function crashBoth(
  ctx: ScenarioContext<QueueParams>,
  state: QueueState,
  kind: QueueKind,
  plan: CrashPlan,
  queue: CrashingConsumer,
): Promise<void> {
  for (const consumer of [plan.dies, plan.restarts]) {
    const conn = await connectionOf(ctx, state, kind, consumer);
    const batch = await queue.takeBatch(consumer, conn);
    await crashMidBatch(
      ctx,
      state,
      consumer,
      conn,
      batch,
      (d) => queue.acknowledge(consumer, conn, d),
      consumer === plan.restarts,
    );
  }
}

/** A consumer's batch: up to `size` messages taken one at a time, fewer when the queue runs dry. */
export async function takeBatch(size: number, takeOne: () => Promise<Delivery | null>): Promise<Delivery[]> {
  const batch: Delivery[] = [];
  for (let i = 0; i < size; i++) {
    const delivery = await takeOne();
    if (!delivery) break;
    batch.push(delivery);
  }
  return batch;
}

/**
 * A consumer dies in the middle of a batch, at a fixed point so every run fails the same way: the batch's earlier
 * messages are finished and acknowledged, the second-to-last is worked on (the e-mail goes out) but never
 * acknowledged, the last is never started. Then its connection closes.
 */
export async function crashMidBatch(
  ctx: ScenarioContext<QueueParams>,
  state: QueueState,
  consumer: string,
  conn: Redis,
  batch: Delivery[],
  acknowledge: (delivery: Delivery) => Promise<void>,
  restarts: boolean,
): Promise<CrashRecord> {
  const record: CrashRecord = {
    consumer,
    restarts,
    taken: batch.map((d) => d.message.id),
    finished: [],
    doneNotAcked: [],
    notStarted: [],
  };
  for (const [i, delivery] of batch.entries()) {
    const id = delivery.message.id;
    if (i === batch.length - 1) {
      record.notStarted.push(id);
      continue;
    }
    const done = work(state, consumer, delivery.message);
    if (!done.ok) record.notStarted.push(id);
    else if (i === batch.length - 2) record.doneNotAcked.push(id);
    else {
      await acknowledge(delivery);
      record.finished.push(id);
    }
  }
  await killConnection(conn);
  state.crashes.push(record);
  const parts = [
    record.finished.length > 0 ? `finished ${record.finished.join(", ")}` : "",
    record.doneNotAcked.length > 0 ? `sent ${record.doneNotAcked.join(", ")} but died before acknowledging it` : "",
    record.notStarted.length > 0 ? `never started ${record.notStarted.join(", ")}` : "",
  ].filter(Boolean);
  ctx.note(
    `${consumer} took ${record.taken.join(", ") || "nothing"}; ${parts.join("; ") || "had nothing to do"}. Its ` +
      `connection closed (the process died)${restarts ? "; it will restart" : ", for good"}.`,
  );
  return record;
}

/**
 * The crash: the consumer's connection is closed, as when its process dies. No command is sent: the server just
 * sees the socket close. Waits until the client has let go of it.
 */
export async function killConnection(conn: Redis): Promise<void> {
  if (conn.status === "end") return;
  const ended = new Promise<void>((resolve) => conn.once("end", () => resolve()));
  conn.disconnect();
  await ended;
}
