import { describe, expect, it } from "vitest";
import {
  generateWorkload,
  modelStrategy,
  percentile,
  seededRandom,
  zipfSampler,
  type WorkloadOp,
} from "../../../src/patterns/cache/index.js";

describe("seededRandom / zipfSampler", () => {
  it("replays the same sequence for the same seed, another for another seed", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it("skews towards low ids roughly as 1/rank (skew 1)", () => {
    const pick = zipfSampler(10, 1, seededRandom(1));
    const counts = new Array<number>(11).fill(0);
    const n = 20_000;
    for (let i = 0; i < n; i++) counts[pick()]! += 1;
    const h10 = [...Array(10).keys()].reduce((s, k) => s + 1 / (k + 1), 0);
    // Expected share of user 1: 1/H10 ≈ 34%; of user 10: 1/(10·H10) ≈ 3.4%. Bounds of ±5 standard deviations.
    for (const rank of [1, 2, 10]) {
      const p = 1 / rank / h10;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(counts[rank]! - n * p)).toBeLessThan(5 * sd);
    }
    expect(counts[0]).toBe(0);
  });
});

describe("generateWorkload", () => {
  it("has the asked reads and writes, ids in range, and each write the user's next version", () => {
    const ops = generateWorkload({ reads: 50, writes: 20, keys: 8, seed: 3 });
    expect(ops.filter((o) => o.kind === "read")).toHaveLength(50);
    expect(ops.filter((o) => o.kind === "write")).toHaveLength(20);
    expect(ops.map((o) => o.seq)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
    expect(ops.every((o) => o.id >= 1 && o.id <= 8)).toBe(true);
    const last = new Map<number, number>();
    for (const op of ops) {
      if (op.kind !== "write") continue;
      expect(op.row.version).toBe((last.get(op.id) ?? 1) + 1);
      expect(op.row.id).toBe(op.id);
      expect(op.row.name).toBe(`user ${op.id} · edit ${op.row.version - 1}`);
      last.set(op.id, op.row.version);
    }
    expect(generateWorkload({ reads: 50, writes: 20, keys: 8, seed: 3 })).toEqual(ops);
  });
});

describe("percentile", () => {
  it("is nearest-rank, and null without samples", () => {
    const xs = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 99)).toBe(10);
    expect(percentile(xs, 100)).toBe(10);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([], 50)).toBeNull();
  });
});

describe("modelStrategy", () => {
  // read 1 (miss), read 1 (hit), write 1 → v2, read 1, read 2 (miss), write 2 → v2, read 2
  const ops: WorkloadOp[] = [
    { seq: 1, kind: "read", id: 1 },
    { seq: 2, kind: "read", id: 1 },
    { seq: 3, kind: "write", id: 1, row: { id: 1, name: "user 1 · edit 1", version: 2 } },
    { seq: 4, kind: "read", id: 1 },
    { seq: 5, kind: "read", id: 2 },
    { seq: 6, kind: "write", id: 2, row: { id: 2, name: "user 2 · edit 1", version: 2 } },
    { seq: 7, kind: "read", id: 2 },
  ];
  const summary = (s: Parameters<typeof modelStrategy>[0]) =>
    modelStrategy(s, ops).reads.map((r) => `${r.hit ? "hit" : "miss"} v${r.version}${r.stale ? " stale" : ""}`);

  it("cache-aside deletes on write: the next read misses and is fresh", () => {
    expect(summary("cache-aside")).toEqual(["miss v1", "hit v1", "miss v2", "miss v1", "miss v2"]);
  });
  it("read-through writes around the cache: the cached copy is stale", () => {
    expect(summary("read-through")).toEqual(["miss v1", "hit v1", "hit v1 stale", "miss v1", "hit v1 stale"]);
    expect(modelStrategy("read-through", ops).staleReads).toBe(2);
  });
  it("write-through and write-behind update the cache: hits, fresh", () => {
    expect(summary("write-through")).toEqual(["miss v1", "hit v1", "hit v2", "miss v1", "hit v2"]);
    expect(summary("write-behind")).toEqual(["miss v1", "hit v1", "hit v2", "miss v1", "hit v2"]);
  });
});
