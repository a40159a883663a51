import { describe, expect, it } from "vitest";
import { parseRedisBenchmarkCsv, sequenceRate } from "../../src/bench/redis-benchmark.js";
import { classifyBottleneck, defaultThreads, splitOps } from "../../src/bench/run.js";

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
