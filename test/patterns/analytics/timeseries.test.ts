import { describe, expect, it } from "vitest";
import {
  addSample,
  addSamplesToSortedSet,
  bucketStats,
  cpuSamples,
  idTime,
  inspectStream,
  parseSampleMember,
  sampleId,
  sampleMember,
  samplesBetween,
  sortedSetSamplesBetween,
  trimBefore,
  trimToCount,
  type Sample,
} from "../../../src/patterns/analytics/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("timeseries");
const T = Date.UTC(2024, 0, 15, 10, 0, 0);

async function fill(key: string, samples: readonly Sample[]): Promise<void> {
  const pipe = redis().pipeline();
  for (const s of samples)
    pipe.xadd(key, sampleId(s.ts, s.host === "server1" ? 0 : 1), "value", s.value.toFixed(1), "host", s.host);
  await pipe.exec();
}

describe("IDs and members", () => {
  it("round-trip", () => {
    expect(sampleId(T, 1)).toBe(`${T}-1`);
    expect(idTime(`${T}-1`)).toBe(T);
    const s = { ts: T, host: "server1", value: 45.2 };
    expect(sampleMember(s)).toBe(`${T}:server1:45.2`);
    expect(parseSampleMember(sampleMember(s))).toEqual(s);
  });
});

describe("the stream", () => {
  it("XADD with explicit IDs, XRANGE by time returns exactly the window", async () => {
    const key = `${prefix()}:metrics:{cpu}`;
    const samples = cpuSamples(3, T, 10);
    expect(await addSample(redis(), key, samples[0]!, 0)).toBe(`${T}-0`);
    await fill(key, samples.slice(1));
    const from = T + 5 * 60_000;
    const got = await samplesBetween(redis(), key, from);
    expect(got).toEqual(samples.filter((s) => s.ts >= from));
    expect(await samplesBetween(redis(), key, from, from + 15_000)).toEqual(
      samples.filter((s) => s.ts >= from && s.ts <= from + 15_000),
    );
  });

  it("refuses an ID older than its newest entry", async () => {
    const key = `${prefix()}:metrics:{cpu}`;
    await addSample(redis(), key, { ts: T + 1_000, host: "server1", value: 1 });
    await expect(addSample(redis(), key, { ts: T, host: "server1", value: 1 })).rejects.toThrow(/equal or smaller/);
  });

  it("approximate trims drop whole macro nodes only; exact trims leave exactly what was asked", async () => {
    const p = prefix();
    const samples = cpuSamples(4, T, 30); // 240 entries: macro nodes of 100, 100, 40
    for (const k of ["a", "b", "c", "d"]) await fill(`${p}:{cpu}:${k}`, samples);
    const shape = await inspectStream(redis(), `${p}:{cpu}:a`);
    expect(shape).toMatchObject({ length: 240, nodes: 3, firstId: `${T}-0` });
    expect(await trimToCount(redis(), `${p}:{cpu}:a`, 80, "approximate")).toBe(100);
    expect(await trimToCount(redis(), `${p}:{cpu}:b`, 80, "exact")).toBe(160);
    const cutoff = T + 20 * 60_000;
    expect(await trimBefore(redis(), `${p}:{cpu}:c`, cutoff, "approximate")).toBe(100);
    expect(await trimBefore(redis(), `${p}:{cpu}:d`, cutoff, "exact")).toBe(160);
    expect((await inspectStream(redis(), `${p}:{cpu}:a`)).length).toBe(140);
    expect((await inspectStream(redis(), `${p}:{cpu}:d`)).firstId).toBe(`${cutoff}-0`);
    // Asking to keep more than one node's worth less than there is: ~ removes nothing at all.
    expect(await trimToCount(redis(), `${p}:{cpu}:c`, 139, "approximate")).toBe(0);
  });
});

describe("the sorted set form", () => {
  it("ZADD many samples in one command; ZRANGE … BYSCORE returns the same window as XRANGE", async () => {
    const samples = cpuSamples(5, T, 5);
    expect(await addSamplesToSortedSet(redis(), `${prefix()}:{cpu}:z`, samples)).toBe(samples.length);
    const from = T + 60_000;
    const to = T + 3 * 60_000;
    const got = await sortedSetSamplesBetween(redis(), `${prefix()}:{cpu}:z`, from, to);
    expect(got).toEqual(samples.filter((s) => s.ts >= from && s.ts <= to));
    expect(await addSamplesToSortedSet(redis(), `${prefix()}:{cpu}:z`, [])).toBe(0);
  });
});

describe("bucketStats", () => {
  it("min, max, avg and count per bucket and host", () => {
    const s = (sec: number, host: string, value: number): Sample => ({ ts: T + sec * 1000, host, value });
    const stats = bucketStats([s(0, "a", 10), s(15, "a", 20), s(15, "b", 5), s(60, "a", 7), s(75, "a", 9.5)], 60_000);
    expect(stats).toEqual([
      { start: T, host: "a", count: 2, min: 10, max: 20, avg: 15 },
      { start: T, host: "b", count: 1, min: 5, max: 5, avg: 5 },
      { start: T + 60_000, host: "a", count: 2, min: 7, max: 9.5, avg: 8.25 },
    ]);
    expect(bucketStats([], 60_000)).toEqual([]);
  });
});
