import { describe, expect, it } from "vitest";
import { findRedisBenchmark } from "../../src/bench/redis-benchmark.js";
import { parseJsonOutput, runCli, scanKeys } from "../helpers/cli.js";
import { testPrefix, useRedisClient } from "../helpers/redis.js";

/**
 * `redis-patterns bench` as a user runs it. These check that the numbers are complete and consistent with each other
 * (every requested operation counted, percentiles ordered, the ratio what its parts say), never how fast anything is.
 */
const { server, redis } = useRedisClient();

interface Phase {
  ops: number;
  errors: number;
  wallMs: number;
  opsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  recorded: number;
  clientCpuUsPerOp: number;
  histogram: { ms: number; count: number }[];
}
interface BenchJson {
  ok: boolean;
  command: string;
  operation: { id: string; commands: string[] };
  config: { clients: number; pipeline: number; threads: number; processes: number };
  opsRequested: number | null;
  opsCompleted: number;
  opsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  bottleneck: string;
  clientCpuUsPerOp: number;
  serverCpuUsPerOp: number | null;
  latencyHistogram: { ms: number; count: number }[];
  redisBenchmarkCpuUsPerOp?: number | null;
  errors: number;
  recordingOn: { opsPerSec: number; commandsRecorded: number; commandsRetained: number };
  recordingCostPct: number;
  recordingCpuCostPct: number;
  redisBenchmarkOpsPerSec?: number;
  ratioVsRedisBenchmark?: number;
  rounds: {
    recordingOff: Phase;
    recordingOn: Phase;
    redisBenchmark?: {
      opsPerSec: number;
      runs: { argv: string[]; requests: number; opsPerSec: number; clientCpuUsPerOp: number | null }[];
    };
  }[];
  notes: string[];
  sample: { commands: { argv: string[]; reply?: unknown }[] };
  cleanup: { keys: number; deleted: number };
}

function expectConsistent(phase: Phase, ops: number | null): void {
  if (ops !== null) expect(phase.ops).toBe(ops);
  expect(phase.errors).toBe(0);
  expect(phase.p50Ms).toBeGreaterThan(0);
  expect(phase.p50Ms).toBeLessThanOrEqual(phase.p95Ms);
  expect(phase.p95Ms).toBeLessThanOrEqual(phase.p99Ms);
  expect(phase.p99Ms).toBeLessThanOrEqual(phase.maxMs);
  // ops/s is what ops and wall time say (rounded to whole operations).
  expect(Math.abs(phase.opsPerSec - (phase.ops / phase.wallMs) * 1000)).toBeLessThanOrEqual(phase.opsPerSec * 0.01 + 1);
  // The latency histogram counts every operation once, its buckets in order, within the run's extremes.
  expect(phase.histogram.reduce((sum, b) => sum + b.count, 0)).toBe(phase.ops);
  const values = phase.histogram.map((b) => b.ms);
  expect(values).toEqual([...values].sort((a, b) => a - b));
  expect(values[values.length - 1]).toBeLessThanOrEqual(phase.maxMs);
  expect(phase.clientCpuUsPerOp).toBeGreaterThan(0);
}

describe("bench --json", () => {
  it("ratelimit --ops 2000: both modes count every op, percentiles ordered, EVALSHA traced, no key left", async () => {
    const prefix = testPrefix("bench");
    const result = await runCli([
      "bench",
      "ratelimit",
      "--ops",
      "2000",
      "--json",
      "--url",
      server().url,
      "--prefix",
      prefix,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<BenchJson>(result);
    expect(report).toMatchObject({
      ok: true,
      command: "bench",
      operation: { id: "ratelimit/token-bucket" },
      opsRequested: 2000,
      opsCompleted: 2000,
      errors: 0,
    });
    expect(report.rounds).toHaveLength(1);
    expectConsistent(report.rounds[0]!.recordingOff, 2000);
    expectConsistent(report.rounds[0]!.recordingOn, 2000);
    expect(report.opsPerSec).toBe(report.rounds[0]!.recordingOff.opsPerSec);
    expect([report.p50Ms, report.p99Ms]).toEqual([
      report.rounds[0]!.recordingOff.p50Ms,
      report.rounds[0]!.recordingOff.p99Ms,
    ]);
    // With recording on, the recorder saw every operation's command (plus each connection's handshake), and kept none.
    expect(report.recordingOn.commandsRecorded).toBeGreaterThanOrEqual(2000);
    expect(report.recordingOn.commandsRecorded).toBeLessThanOrEqual(2000 + report.config.clients * 5);
    expect(report.rounds[0]!.recordingOff.recorded).toBe(0);
    expect(report.recordingCostPct).toBeCloseTo((1 - report.recordingOn.opsPerSec / report.opsPerSec) * 100, 0);
    const [off, on] = [report.rounds[0]!.recordingOff, report.rounds[0]!.recordingOn];
    expect(report.recordingCpuCostPct).toBeCloseTo((on.clientCpuUsPerOp / off.clientCpuUsPerOp - 1) * 100, 0);
    expect(["server", "client", "machine", "latency"]).toContain(report.bottleneck);
    expect(report.sample.commands.map((c) => c.argv[0])).toEqual(["EVALSHA"]);
    expect(report.sample.commands[0]!.reply).toHaveLength(4);
    // One key per client, deleted at the end (a full bucket's key may have expired by itself before: ≤ 50).
    expect(report.cleanup.keys).toBe(50);
    expect(report.cleanup.deleted).toBeLessThanOrEqual(50);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  const patterns: [args: string[], id: string, commandsPerOp: number][] = [
    [["ratelimit", "--algo", "fixed-window"], "ratelimit/fixed-window", 1],
    [["ratelimit", "--algo", "sliding-log"], "ratelimit/sliding-log", 1],
    [["ratelimit", "--algo", "sliding-counter"], "ratelimit/sliding-counter", 1],
    [["lock"], "lock/simple", 2],
    [["cache"], "cache/read", 1],
    [["leaderboard"], "leaderboard/win-and-rank", 2],
    [["queue", "--kind", "stream"], "queue/stream", 3],
    [["hll"], "hll/pfadd", 1],
    [["session"], "session/read", 1],
  ];
  it.each(patterns)(
    "bench %j runs its hot operation with pipelining and cleans up",
    async (args, id, commandsPerOp) => {
      const prefix = testPrefix("bench-all");
      const ops = 600;
      const result = await runCli([
        "bench",
        ...args,
        "--ops",
        String(ops),
        "--clients",
        "4",
        "--pipeline",
        "4",
        "--threads",
        "2",
        "--json",
        "--url",
        server().url,
        "--prefix",
        prefix,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const report = parseJsonOutput<BenchJson>(result);
      expect(report.operation.id).toBe(id);
      expect(report.config).toMatchObject({ clients: 4, pipeline: 4, threads: 2 });
      expectConsistent(report.rounds[0]!.recordingOff, ops);
      expectConsistent(report.rounds[0]!.recordingOn, ops);
      expect(report.recordingOn.commandsRecorded).toBeGreaterThanOrEqual(ops * commandsPerOp);
      expect(report.sample.commands).toHaveLength(commandsPerOp);
      expect(report.operation.commands).toHaveLength(commandsPerOp);
      expect(report.sample.commands.map((c) => c.argv[0])).toEqual(report.operation.commands);
      expect(report.cleanup.deleted).toBeLessThanOrEqual(report.cleanup.keys);
      expect(await scanKeys(redis(), prefix)).toEqual([]);
    },
  );

  it("--processes 2: two OS processes, every operation counted once in the merged histogram, CPU per op", async () => {
    const prefix = testPrefix("bench-proc");
    const ops = 1000;
    const result = await runCli([
      "bench",
      "ratelimit",
      "--ops",
      String(ops),
      "--clients",
      "5",
      "--pipeline",
      "2",
      "--processes",
      "2",
      "--json",
      "--url",
      server().url,
      "--prefix",
      prefix,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<BenchJson>(result);
    expect(report.config).toMatchObject({ clients: 5, pipeline: 2, processes: 2, threads: 0 });
    expectConsistent(report.rounds[0]!.recordingOff, ops);
    expectConsistent(report.rounds[0]!.recordingOn, ops);
    expect(report.recordingOn.commandsRecorded).toBeGreaterThanOrEqual(ops);
    expect(report.latencyHistogram).toEqual(report.rounds[0]!.recordingOff.histogram);
    expect(report.clientCpuUsPerOp).toBe(report.rounds[0]!.recordingOff.clientCpuUsPerOp);
    expect(report.serverCpuUsPerOp === null || report.serverCpuUsPerOp > 0).toBe(true);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("--duration runs for a time instead of a count", async () => {
    const result = await runCli([
      "bench",
      "cache",
      "--duration",
      "300ms",
      "--clients",
      "3",
      "--json",
      "--url",
      server().url,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<BenchJson>(result);
    expect(report.opsRequested).toBeNull();
    expect(report.opsCompleted).toBeGreaterThan(0);
    expectConsistent(report.rounds[0]!.recordingOff, null);
    expect(report.rounds[0]!.recordingOff.wallMs).toBeGreaterThanOrEqual(300);
  });

  it("timed runs start warm: min(10,000, --ops) untimed ops first, seen by the server, not the figures", async () => {
    const prefix = testPrefix("benchwarm");
    await redis().call("CONFIG", "RESETSTAT");
    const args = ["bench", "cache", "--ops", "1500", "--clients", "10", "--json", "--url", server().url];
    const result = await runCli([...args, "--prefix", prefix]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<BenchJson & { config: { warmupOps: number } }>(result);
    expect(report.config.warmupOps).toBe(1500);
    expectConsistent(report.rounds[0]!.recordingOff, 1500);
    expectConsistent(report.rounds[0]!.recordingOn, 1500);
    // Per phase (recorder off, on) 1,500 warm-up GETs and 1,500 timed ones; one more for the printed sample, and the
    // GET in the script that gives the run's marker back.
    const stats = String(await redis().call("INFO", "commandstats"));
    const gets = Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1]);
    expect(gets).toBe(2 * (1500 + 1500) + 2);
    // The recorder counts only the timed run's commands.
    expect(report.recordingOn.commandsRecorded).toBe(1500);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  }, 60_000);
});

describe("bench, human output and usage", () => {
  it("prints the table, the recorder's cost, the bottleneck and one operation's trace", async () => {
    // --trace full: the sample operation with every byte (the default summary fits the width, eliding long keys).
    const args = ["bench", "lock", "--ops", "1000", "--clients", "5", "--trace", "full", "--url", server().url];
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toContain("bench lock/simple");
    expect(out).toMatch(/recording off\s+│ 1,000 /);
    expect(out).toMatch(/recording on\s+│ 1,000 /);
    expect(out).toMatch(/recorder [\d,]+ ops\/s with every command recorded/);
    expect(out).toMatch(/bottleneck (the server|the client|the machine|round trips)/);
    expect(out).toMatch(/client CPU [\d.]+ µs\/op \(this tool, \d+ threads?\)/);
    expect(out).toMatch(/latency per operation/);
    expect(out).toMatch(/n 1000 · p50 [\d.]+ · p99/);
    expect(out).toContain("one operation, as sent:");
    expect(out).toMatch(/SET \S+:bench:lock-simple:\{000000000000\}:lock \w+ NX PX 10000\s+→ OK/);
    expect(out).toMatch(/EVALSHA [0-9a-f]{40} 1 \S+:lock \w+\s+→ \(integer\) 1/);
    expect(out).toMatch(/cleanup: deleted \d+ of 5 keys/);
  });

  it.each([
    [["bench", "nosuch"], /pattern/],
    [["bench", "ratelimit", "--algo", "leaky"], /unknown ratelimit kind "leaky"/],
    [["bench", "cache", "--clients", "0"], /--clients must be between 1 and 1000/],
    [["bench", "cache", "--ops", "many"], /--ops must be a whole number/],
    [["bench", "cache", "--threads", "2", "--processes", "2"], /--processes and --threads are alternatives/],
  ])("%j is a usage error (exit 2)", async (args, message) => {
    const result = await runCli([...args, "--url", server().url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("refuses --threads with --processes before it connects: exit 2 even where no server listens", async () => {
    const result = await runCli([
      "bench",
      "cache",
      "--threads",
      "2",
      "--processes",
      "2",
      "--url",
      "redis://127.0.0.1:1",
    ]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/--processes and --threads are alternatives/);
    expect(result.stderr).not.toMatch(/connect/);
  });
});

const redisBenchmark = findRedisBenchmark();
describe("bench --vs-redis-benchmark", () => {
  if (!redisBenchmark) console.warn("skipping the redis-benchmark comparison: redis-benchmark is not on PATH");
  it.skipIf(!redisBenchmark)(
    "runs the same commands through redis-benchmark, and the ratio is what the runs say",
    async () => {
      const prefix = testPrefix("bench-rb");
      const result = await runCli([
        "bench",
        "lock",
        "--ops",
        "2000",
        "--clients",
        "10",
        "--vs-redis-benchmark",
        "--json",
        "--url",
        server().url,
        "--prefix",
        prefix,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const report = parseJsonOutput<BenchJson>(result);
      const rb = report.rounds[0]!.redisBenchmark!;
      // The lock's two commands are two redis-benchmark runs of 2000 requests each, combined as one after the other.
      expect(rb.runs.map((r) => r.argv[0])).toEqual(["SET", "EVALSHA"]);
      for (const run of rb.runs) {
        expect(run.requests).toBe(2000);
        expect(run.opsPerSec).toBeGreaterThan(0);
        // Its own CPU time, from the shell's `times` (10 ms resolution: 0 is possible for a short run).
        expect(run.clientCpuUsPerOp).toBeGreaterThanOrEqual(0);
      }
      expect(report.redisBenchmarkCpuUsPerOp).toBeCloseTo(
        rb.runs.reduce((s, r) => s + r.clientCpuUsPerOp!, 0),
        1,
      );
      expect(rb.opsPerSec).toBeCloseTo(1 / rb.runs.reduce((s, r) => s + 1 / r.opsPerSec, 0), -1);
      expect(report.redisBenchmarkOpsPerSec).toBe(rb.opsPerSec);
      expect(report.ratioVsRedisBenchmark).toBeCloseTo(report.opsPerSec / rb.opsPerSec, 2);
      // redis-benchmark wrote to the same keys (its __rand_int__ is the 12-digit client id): all deleted.
      expect(await scanKeys(redis(), prefix)).toEqual([]);
    },
  );

  it("without redis-benchmark on PATH it says so and still benchmarks the pattern", async () => {
    const result = await runCli(
      ["bench", "cache", "--ops", "300", "--clients", "2", "--vs-redis-benchmark", "--json", "--url", server().url],
      {
        env: { PATH: "/nonexistent" },
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<BenchJson>(result);
    expect(report.ratioVsRedisBenchmark).toBeUndefined();
    expect(report.notes.join("\n")).toMatch(/redis-benchmark is not on PATH/);
    expect(report.opsCompleted).toBe(300);
  });
});
