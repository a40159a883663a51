import { describe, expect, it } from "vitest";
import {
  HLL_DENSE_BYTES,
  HLL_STANDARD_ERROR,
  addGeneratedAndCount,
  addGeneratedScript,
  addUniqueInBatches,
  chunk,
  countUnique,
  encodingFromByte,
  growthBoundaries,
  inspectUnique,
  ipAddresses,
  mergeUnique,
  splitAt,
  trackUnique,
} from "../../../src/patterns/hll/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("hll");

describe("the HLL's layout constants", () => {
  it("dense: 16-byte header + 16,384 six-bit registers; σ = 1.04/√16384", () => {
    expect(HLL_DENSE_BYTES).toBe(12_304);
    expect(HLL_STANDARD_ERROR).toBeCloseTo(0.008125, 6);
  });

  it("byte 4 is the encoding", () => {
    expect(encodingFromByte(0)).toBe("dense");
    expect(encodingFromByte(1)).toBe("sparse");
    expect(() => encodingFromByte(7)).toThrow(/not a HyperLogLog/);
  });
});

describe("trackUnique / countUnique / inspectUnique", () => {
  it("counts small sets exactly, says whether a register changed, and stays sparse", async () => {
    const key = `${prefix()}:uv`;
    expect(await trackUnique(redis(), key, ["a", "b", "c"])).toBe(true);
    expect(await trackUnique(redis(), key, ["a", "b"])).toBe(false);
    expect(await countUnique(redis(), [key])).toBe(3);
    const shape = await inspectUnique(redis(), key);
    expect(shape).toMatchObject({ magic: "HYLL", encoding: "sparse" });
    expect(shape.bytes).toBeLessThan(HLL_DENSE_BYTES);
    expect(shape.bytes).toBe(await redis().strlen(key));
  });

  it("turns dense, at exactly 12,304 bytes, once the sparse form would pass hll-sparse-max-bytes", async () => {
    const key = `${prefix()}:uv`;
    for (const batch of chunk(ipAddresses(1, 20_000), 5_000)) await trackUnique(redis(), key, batch);
    expect(await inspectUnique(redis(), key)).toEqual({ magic: "HYLL", encoding: "dense", bytes: HLL_DENSE_BYTES });
  });

  it("follows the server's hll-sparse-max-bytes: with a tiny limit even 100 items are dense", async () => {
    const [, before] = (await redis().call("CONFIG", "GET", "hll-sparse-max-bytes")) as [string, string];
    await redis().call("CONFIG", "SET", "hll-sparse-max-bytes", "0");
    try {
      const key = `${prefix()}:tiny`;
      await trackUnique(redis(), key, ipAddresses(2, 100));
      expect((await inspectUnique(redis(), key)).encoding).toBe("dense");
    } finally {
      await redis().call("CONFIG", "SET", "hll-sparse-max-bytes", before);
    }
  });

  it("PFMERGE is the union: equal to PFCOUNT over the sources, and to an HLL fed the union directly", async () => {
    const p = prefix();
    const days = [ipAddresses(3, 3_000), ipAddresses(3, 5_000).slice(2_000), ipAddresses(4, 2_000)];
    for (const [i, items] of days.entries()) await trackUnique(redis(), `${p}:{d}:${i}`, items);
    const sources = days.map((_, i) => `${p}:{d}:${i}`);
    await mergeUnique(redis(), `${p}:{d}:week`, sources);
    const union = [...new Set(days.flat())];
    await trackUnique(redis(), `${p}:{d}:direct`, union);
    const merged = await countUnique(redis(), [`${p}:{d}:week`]);
    expect(merged).toBe(await countUnique(redis(), sources));
    expect(merged).toBe(await countUnique(redis(), [`${p}:{d}:direct`]));
    expect(Math.abs(merged - union.length)).toBeLessThanOrEqual(4 * HLL_STANDARD_ERROR * union.length);
  });
});

describe("addUniqueInBatches", () => {
  it("one pipeline per batch: PFADD, SADD, and the HLL's size and encoding after each", async () => {
    const items = ipAddresses(5, 4_000);
    const snapshots = await addUniqueInBatches(redis(), {
      key: `${prefix()}:{ips}`,
      exactKey: `${prefix()}:{ips}:exact`,
      batches: splitAt(items, growthBoundaries(items.length, 1_000)),
    });
    expect(snapshots.map((s) => s.added)).toEqual([10, 100, 500, 1_500, 2_500, 3_500, 4_000]);
    expect(snapshots.map((s) => s.newInSet)).toEqual([10, 90, 400, 1_000, 1_000, 1_000, 500]);
    expect(snapshots[0]!.encoding).toBe("sparse");
    expect(snapshots[snapshots.length - 1]).toMatchObject({ encoding: "dense", bytes: HLL_DENSE_BYTES });
    // Sizes only grow, and once dense it stays dense.
    const firstDense = snapshots.findIndex((s) => s.encoding === "dense");
    expect(snapshots.slice(firstDense).every((s) => s.encoding === "dense")).toBe(true);
    expect(snapshots.every((s, i) => i === 0 || s.bytes >= snapshots[i - 1]!.bytes)).toBe(true);
    expect(await redis().scard(`${prefix()}:{ips}:exact`)).toBe(4_000);
  });
});

describe("addGeneratedAndCount (the --trials loader)", () => {
  it("builds the same HLL as sending the same items from the client", async () => {
    const n = 12_345;
    const viaScript = await addGeneratedAndCount(redis(), `${prefix()}:script`, "s9t1:", n, 5_000);
    const items = Array.from({ length: n }, (_, i) => `s9t1:${i}`);
    for (const batch of chunk(items, 5_000)) await trackUnique(redis(), `${prefix()}:client`, batch);
    expect(viaScript).toBe(await countUnique(redis(), [`${prefix()}:client`]));
    // Register for register: the two strings are equal (PFCOUNT caches its answer in the header, so count both first).
    expect(await redis().getBuffer(`${prefix()}:script`)).toEqual(await redis().getBuffer(`${prefix()}:client`));
  });

  it("the script's SHA is what SCRIPT LOAD returns", async () => {
    expect(await redis().call("SCRIPT", "LOAD", addGeneratedScript.lua)).toBe(addGeneratedScript.sha);
  });
});

describe("batching helpers", () => {
  it("growthBoundaries: small steps while sparse, then full batches, ending at the count", () => {
    expect(growthBoundaries(100_000, 10_000)).toEqual([
      10, 100, 500, 1_000, 1_500, 2_000, 3_000, 5_000, 15_000, 25_000, 35_000, 45_000, 55_000, 65_000, 75_000, 85_000,
      95_000, 100_000,
    ]);
    expect(growthBoundaries(50, 10_000)).toEqual([10, 50]);
    expect(growthBoundaries(1, 10)).toEqual([1]);
    expect(growthBoundaries(25, 10)).toEqual([10, 20, 25]);
  });

  it("splitAt and chunk keep every item once, in order", () => {
    const items = Array.from({ length: 25 }, (_, i) => i);
    expect(splitAt(items, [10, 20, 25]).flat()).toEqual(items);
    expect(chunk(items, 10).map((c) => c.length)).toEqual([10, 10, 5]);
  });
});
