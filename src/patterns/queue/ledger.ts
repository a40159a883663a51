/**
 * The app's side of the books: what was produced, delivered, worked on, acknowledged, dead-lettered. Redis only
 * knows where messages are now; the ledger knows what happened to each one, so lost messages and duplicate work can
 * be counted rather than argued about. Pure: no Redis, no clock.
 */

export type LedgerEvent =
  | { kind: "produced"; id: string }
  | { kind: "delivered"; id: string; consumer: string; how: string }
  | { kind: "handled"; id: string; consumer: string }
  | { kind: "failed"; id: string; consumer: string; error: string }
  | { kind: "acked"; id: string; consumer: string }
  | { kind: "dead-lettered"; id: string; consumer: string; deliveries: number };

export interface QueueCounts {
  produced: number;
  /** Deliveries of any kind (a take, a read, a claim, a resumed message). */
  deliveries: number;
  /** Deliveries after a message's first: what recovery (reaper, claim, restart) sent out again. */
  redelivered: number;
  /** Distinct messages whose work was done at least once. */
  handled: number;
  /** Work done again on a message already handled: the price of at-least-once delivery. */
  duplicates: number;
  /** Acknowledgements that completed (for a plain list: work completed, since the pop was the only acknowledgement). */
  acked: number;
  /** Work attempts that failed (the poison message). */
  failures: number;
  deadLettered: number;
  /** Produced, yet neither handled nor dead-lettered: gone. */
  lost: number;
  lostIds: string[];
  duplicateIds: string[];
  deadLetteredIds: string[];
}

export class DeliveryLedger {
  readonly events: LedgerEvent[] = [];

  produced(id: string): void {
    this.events.push({ kind: "produced", id });
  }

  delivered(id: string, consumer: string, how: string): void {
    this.events.push({ kind: "delivered", id, consumer, how });
  }

  handled(id: string, consumer: string): void {
    this.events.push({ kind: "handled", id, consumer });
  }

  failed(id: string, consumer: string, error: string): void {
    this.events.push({ kind: "failed", id, consumer, error });
  }

  acked(id: string, consumer: string): void {
    this.events.push({ kind: "acked", id, consumer });
  }

  deadLettered(id: string, consumer: string, deliveries: number): void {
    this.events.push({ kind: "dead-lettered", id, consumer, deliveries });
  }

  /** Every event about one message, in order. */
  historyOf(id: string): LedgerEvent[] {
    return this.events.filter((e) => e.id === id);
  }

  /** How many times each message was handled (work done), by id. */
  handledCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.events) if (e.kind === "handled") counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
    return counts;
  }

  counts(): QueueCounts {
    const produced = this.events.filter((e) => e.kind === "produced").map((e) => e.id);
    const deliveries = new Map<string, number>();
    for (const e of this.events) if (e.kind === "delivered") deliveries.set(e.id, (deliveries.get(e.id) ?? 0) + 1);
    const handled = this.handledCounts();
    const dead = [...new Set(this.events.filter((e) => e.kind === "dead-lettered").map((e) => e.id))];
    const done = new Set([...handled.keys(), ...dead]);
    const lostIds = produced.filter((id) => !done.has(id));
    const duplicateIds = [...handled.entries()]
      .filter(([, n]) => n > 1)
      .map(([id]) => id)
      .sort();
    const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
    return {
      produced: produced.length,
      deliveries: sum(deliveries.values()),
      redelivered: sum([...deliveries.values()].map((n) => Math.max(0, n - 1))),
      handled: handled.size,
      duplicates: sum([...handled.values()].map((n) => n - 1)),
      acked: this.events.filter((e) => e.kind === "acked").length,
      failures: this.events.filter((e) => e.kind === "failed").length,
      deadLettered: dead.length,
      lost: lostIds.length,
      lostIds,
      duplicateIds,
      deadLetteredIds: dead.sort(),
    };
  }
}
