import { describe, expect, it } from "vitest";
import {
  blockingTimeout,
  decodeMessage,
  DeliveryLedger,
  emailMessages,
  encodeMessage,
  messageFields,
  messageFromFields,
  messageId,
  queueFeatures,
  sendEmail,
  UndeliverableError,
  versionAtLeast,
} from "../../../src/patterns/queue/index.js";

describe("messages", () => {
  it("are deterministic, numbered m-0001…, and round-trip through the list and stream encodings", () => {
    const a = emailMessages(12);
    expect(a).toEqual(emailMessages(12));
    expect(a[0]).toEqual({ id: "m-0001", to: "user1@example.com", body: "Welcome!" });
    expect(a.map((m) => m.id)).toEqual([...a.map((m) => m.id)].sort());
    expect(messageId(12_345)).toBe("m-12345");
    for (const m of a) {
      expect(decodeMessage(encodeMessage(m))).toEqual(m);
      const flat = messageFields(m);
      const fields: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      expect(messageFromFields(fields)).toEqual(m);
    }
    expect(() => decodeMessage('{"id":"x"}')).toThrow(/not a queue message/);
  });

  it("the poison message fails every time; the others are sent", () => {
    const messages = emailMessages(5, { poisonAt: 3 });
    expect(messages.filter((m) => m.to === "not-an-address").map((m) => m.id)).toEqual(["m-0003"]);
    for (const m of messages) {
      if (m.id === "m-0003") {
        expect(() => sendEmail(m)).toThrow(UndeliverableError);
        expect(() => sendEmail(m)).toThrow(UndeliverableError);
      } else {
        expect(sendEmail(m)).toEqual({ to: m.to, body: m.body });
      }
    }
  });
});

describe("server features", () => {
  it.each([
    ["7.0.15", { blmove: true, xautoclaim: true, fractionalTimeouts: true }],
    ["6.2.0", { blmove: true, xautoclaim: true, fractionalTimeouts: true }],
    ["6.0.20", { blmove: false, xautoclaim: false, fractionalTimeouts: true }],
    ["5.0.14", { blmove: false, xautoclaim: false, fractionalTimeouts: false }],
    ["unknown", { blmove: true, xautoclaim: true, fractionalTimeouts: true }],
  ])("Redis %s", (version, features) => {
    expect(queueFeatures(version)).toEqual(features);
  });

  it("compares versions numerically, not as text", () => {
    expect(versionAtLeast("10.0.0", 6, 2)).toBe(true);
    expect(versionAtLeast("6.10.0", 6, 2)).toBe(true);
    expect(versionAtLeast("6.1.9", 6, 2)).toBe(false);
    expect(versionAtLeast("garbage", 6, 2)).toBeUndefined();
  });

  it("blocking timeouts are seconds, never 0 (forever), whole seconds on old servers", () => {
    expect(blockingTimeout(100, true)).toBe("0.1");
    expect(blockingTimeout(1500, true)).toBe("1.5");
    expect(blockingTimeout(0.2, true)).toBe("0.001");
    expect(blockingTimeout(100, false)).toBe("1");
    expect(blockingTimeout(2500, false)).toBe("3");
  });
});

describe("the delivery ledger", () => {
  it("counts lost, duplicates, redeliveries and dead letters from what happened to each message", () => {
    const ledger = new DeliveryLedger();
    for (const id of ["a", "b", "c", "d", "e"]) ledger.produced(id);
    // a: delivered once, sent, acked.
    ledger.delivered("a", "w1", "take");
    ledger.handled("a", "w1");
    ledger.acked("a", "w1");
    // b: sent by w1, which died before acking; redelivered to w2 and sent again: a duplicate.
    ledger.delivered("b", "w1", "take");
    ledger.handled("b", "w1");
    ledger.delivered("b", "w2", "claim");
    ledger.handled("b", "w2");
    ledger.acked("b", "w2");
    // c: taken and never finished: lost.
    ledger.delivered("c", "w1", "take");
    // d: failed three times, then dead-lettered.
    for (let i = 0; i < 3; i++) {
      ledger.delivered("d", "w2", i === 0 ? "take" : "claim");
      ledger.failed("d", "w2", "bad address");
    }
    ledger.deadLettered("d", "w2", 3);
    // e: never delivered at all: lost too.
    const counts = ledger.counts();
    expect(counts).toEqual({
      produced: 5,
      deliveries: 7,
      redelivered: 3,
      handled: 2,
      duplicates: 1,
      acked: 2,
      failures: 3,
      deadLettered: 1,
      lost: 2,
      lostIds: ["c", "e"],
      duplicateIds: ["b"],
      deadLetteredIds: ["d"],
    });
    expect(ledger.historyOf("b").map((e) => e.kind)).toEqual([
      "produced",
      "delivered",
      "handled",
      "delivered",
      "handled",
      "acked",
    ]);
  });
});
