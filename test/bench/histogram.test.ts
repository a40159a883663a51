import { describe, expect, it } from "vitest";
import { LatencyHistogram, bucketOf, valueOf } from "../../src/bench/histogram.js";
import { parseRedisBenchmarkCsv, sequenceRate } from "../../src/bench/redis-benchmark.js";
import { classifyBottleneck, defaultThreads, splitOps } from "../../src/bench/run.js";
import { seededRandom } from "../../src/patterns/leaderboard/seed.js";

/** The latency histogram against exact percentiles of the same values, computed by sorting. */
describe("LatencyHistogram", () => {
  const exact = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;

  it("counts values below 128 µs exactly", () => {
    const h = new LatencyHistogram();
    for (let v = 0; v < 128; v++) h.record(v);
    expect(h.total).toBe(128);
    for (const p of [1, 50, 90, 99, 100]) expect(h.percentile(p)).toBe(exact([...Array(128).keys()], p));
    expect(h.min).toBe(0);
    expect(h.max).toBe(127);
  });

  it("every bucket holds the values that map to it, and its reported value is within 1/64 of them", () => {
    for (const v of [128, 129, 255, 256, 1000, 12_345, 999_999, 2 ** 31 + 7]) {
      const i = bucketOf(v);
      expect(bucketOf(Math.floor(valueOf(i)))).toBe(i);
      expect(Math.abs(valueOf(i) - v) / v).toBeLessThanOrEqual(1 / 64);
      expect(bucketOf(v + 1)).toBeGreaterThanOrEqual(i);
    }
  });

  it("the integer bucket formula below 2^31 agrees with the log2 one at every power of two and between", () => {
    const byLog2 = (v: number) => {
      if (v < 128) return v;
      const shift = Math.floor(Math.log2(v)) - 6;
      return 128 + (shift - 1) * 64 + (Math.floor(v / 2 ** shift) - 64);
    };
    const random = seededRandom(3);
    const values: number[] = [];
    for (let b = 7; b <= 32; b++) values.push(2 ** b - 1, 2 ** b, 2 ** b + 1);
    for (let k = 0; k < 5_000; k++) values.push(Math.floor(2 ** (7 + 25 * random())));
    for (const v of values) expect(bucketOf(v), String(v)).toBe(byLog2(v));
  });

  it("percentiles of a skewed sample are ordered and within the bucket precision of the exact ones", () => {
    const random = seededRandom(7);
    const values = Array.from({ length: 20_000 }, () => Math.round(50 + 200_000 * random() ** 6));
    const h = new LatencyHistogram();
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    const ps = [50, 90, 95, 99, 99.9];
    const got = ps.map((p) => h.percentile(p));
    for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThanOrEqual(got[i - 1]!);
    ps.forEach((p, i) => expect(Math.abs(got[i]! - exact(sorted, p))).toBeLessThanOrEqual(exact(sorted, p) / 64 + 1));
    expect(h.max).toBe(sorted[sorted.length - 1]);
    expect(h.percentile(100)).toBe(h.max);
    expect(h.mean()).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
  });

  it("merging histograms gives the histogram of all values together", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    const random = seededRandom(3);
    for (let i = 0; i < 5_000; i++) {
      const v = random() * 10_000;
      (i % 3 === 0 ? a : b).record(v);
      all.record(v);
    }
    const merged = LatencyHistogram.from(a.toData());
    merged.merge(b.toData());
    expect(merged.toData()).toEqual(all.toData());
  });

  it("an empty histogram reports zeros", () => {
    const h = new LatencyHistogram();
    expect(h.percentile(99)).toBe(0);
    expect(h.toData()).toMatchObject({ total: 0, min: 0, max: 0 });
  });
});

describe("bench arithmetic", () => {
  it("splits operations over threads in proportion, summing exactly", () => {
    expect(splitOps(2000, [25, 25])).toEqual([1000, 1000]);
    const parts = splitOps(1001, [17, 17, 16]);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(1001);
    expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(21);
  });

  it("a sequence of commands runs at the harmonic combination of their rates", () => {
    expect(sequenceRate([100_000])).toBe(100_000);
    expect(sequenceRate([100_000, 100_000])).toBe(50_000);
    expect(sequenceRate([60_000, 30_000])).toBe(20_000);
  });

  it("reads redis-benchmark's CSV result line", () => {
    const csv =
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms",' +
      '"max_latency_ms"\n"GET foo","12658.23","0.302","0.024","0.087","2.151","5.487","6.399"\n';
    expect(parseRedisBenchmarkCsv(csv)).toEqual({ opsPerSec: 12658.23, p50Ms: 0.087, p99Ms: 5.487 });
    expect(parseRedisBenchmarkCsv('"GET foo","5000.00"\n')).toEqual({ opsPerSec: 5000, p50Ms: 0, p99Ms: 0 });
    expect(parseRedisBenchmarkCsv("")).toBeUndefined();
  });

  it("names the bottleneck from the CPU each side used", () => {
    expect(classifyBottleneck({ clientCpu: 0.5, serverCpu: 0.95 }, 1, 2, true)).toBe("server");
    expect(classifyBottleneck({ clientCpu: 0.97, serverCpu: 0.4 }, 1, 4, true)).toBe("client");
    expect(classifyBottleneck({ clientCpu: 1.2, serverCpu: 0.6 }, 2, 2, true)).toBe("machine");
    expect(classifyBottleneck({ clientCpu: 1.2, serverCpu: 0.6 }, 2, 2, false)).toBe("latency");
    expect(classifyBottleneck({ clientCpu: 0.3, serverCpu: null }, 1, 2, true)).toBe("latency");
    // Other processes: more runnable threads than cores on average.
    expect(classifyBottleneck({ clientCpu: 0.3, serverCpu: 0.2 }, 1, 2, true, 6.5)).toBe("machine");
  });

  it("leaves a core to a local server when choosing threads", () => {
    expect(defaultThreads(50, true, 2)).toBe(1);
    expect(defaultThreads(50, false, 2)).toBe(2);
    expect(defaultThreads(3, false, 8)).toBe(3);
    expect(defaultThreads(50, true, 1)).toBe(1);
  });
});
