import { describe, expect, it } from "vitest";
import { defaultQueueParams, queueScenarios, type QueueParams } from "../../scenarios/queue/index.js";
import { queueKinds, type QueueKind } from "../../src/patterns/queue/index.js";
import { cleanupRun, planRun, runScenario } from "../../src/runner/runner.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

const METRICS = ["produced", "acked", "redelivered", "duplicates", "deadLettered", "lost", "throughput"];

const variants: [string, Partial<QueueParams>][] = [
  ["defaults (two consumers crash)", {}],
  ["no crash", { crash: false }],
  ["no crash, no poison", { crash: false, poison: false }],
  ["5 consumers, 60 messages, batches of 4", { consumers: 5, messages: 60, batch: 4 }],
  ["2 consumers, batches of 1", { consumers: 2, messages: 5, batch: 1 }],
];

// Every kind's checks, in several configurations: each must pass, report the metrics and leave no key behind.
describe.each(queueKinds)("queue/%s", (kind) => {
  it.each(variants)("%s: every check passes, the metrics are there, no key is left", async (_name, overrides) => {
    const params = { ...defaultQueueParams, ...overrides };
    const result = await harness.run(queueScenarios[kind], params);
    expect(result.error).toBeUndefined();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.checks.length).toBeGreaterThanOrEqual(3);
    for (const metric of METRICS) expect(result.metrics[metric], metric).not.toBeUndefined();
    expect(result.metrics.produced).toBe(params.messages);
    expect(result.leftKeys).toEqual([]);
    expect(result.figures).toHaveLength(1);
  });
});

describe("what the scenarios demonstrate, with the default crashes", () => {
  async function run(kind: QueueKind, overrides: Partial<QueueParams> = {}) {
    return harness.run(queueScenarios[kind], { ...defaultQueueParams, ...overrides });
  }

  it("the plain list loses exactly the messages the crashed consumers held unstarted, every time", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await run("list");
      expect(r.metrics.lost).toBe(2);
      expect(r.metrics.duplicates).toBe(0);
      expect(r.metrics.redelivered).toBe(0);
      expect(r.figures[0]?.measured).toContain("(m-0003, m-0006)");
    }
  });

  it("the reliable list and the stream lose nothing; each sends the two unacknowledged messages twice", async () => {
    for (const kind of ["reliable", "stream"] as const) {
      const r = await run(kind);
      expect(r.metrics.lost, kind).toBe(0);
      expect(r.metrics.duplicates, kind).toBe(2);
    }
  });

  it("the reliable list: 4 redeliveries (2 resumed by the restart, 2 returned by the reaper)", async () => {
    const r = await run("reliable");
    expect(r.metrics.redelivered).toBe(4);
    expect(r.metrics.acked).toBe(12);
    expect(r.metrics.moveCommand).toBe("BLMOVE");
  });

  it("the stream: the poison message is dead-lettered after 3 deliveries, the rest acknowledged", async () => {
    const r = await run("stream");
    expect(r.metrics.deadLettered).toBe(1);
    expect(r.metrics.acked).toBe(11);
    // 2 read back by the restart, 2 claimed from the dead consumer, the poison claimed twice.
    expect(r.metrics.redelivered).toBe(6);
    expect(r.metrics.claimCommand).toBe("XAUTOCLAIM");
    const dlq = r.steps.at(-1)!.tables.find((t) => t.title === "The dead-letter stream");
    expect(dlq?.rows.map((row) => [row[1], row[4]])).toEqual([["m-0012", "3"]]);
  });

  it("--max-deliveries 1: the poison message goes to the dead-letter stream on its first failure", async () => {
    const r = await run("stream", { maxDeliveries: 1, crash: false });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.metrics.deadLettered).toBe(1);
    expect(r.metrics.claimRounds).toBe(0);
  });

  it("the crashed consumers' connections really closed: they sent nothing after the crash", async () => {
    const r = await run("stream");
    const clients = new Set(r.steps.flatMap((s) => s.commands.map((c) => c.client)));
    expect([...clients].sort()).toEqual([
      "main",
      "stream:consumer-1",
      "stream:consumer-2",
      "stream:consumer-2-restarted",
      "stream:consumer-3",
      "stream:producer",
    ]);
    const crashStep = r.steps.findIndex((s) => s.title.includes("crash mid-batch"));
    const later = r.steps.slice(crashStep + 1).flatMap((s) => s.commands);
    expect(later.some((c) => c.client === "stream:consumer-1" || c.client === "stream:consumer-2")).toBe(false);
  });

  it("the reliable queue also works on the real clock (the visibility timeout is then a real wait)", async () => {
    const result = await harness.run(queueScenarios.reliable, defaultQueueParams, "real");
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.metrics.lost).toBe(0);
    expect(result.leftKeys).toEqual([]);
  });
});

describe("servers before 6.2: BRPOPLPUSH and XPENDING + XCLAIM, said so in a note", () => {
  // The version the scenario sees is lowered; the server (7.0) still has the older commands, so the paths run for real.
  async function runAsOld(kind: QueueKind) {
    const env = harness.env();
    const old = { ...env, target: { ...env.target, version: "6.0.9" } };
    const result = await runScenario(planRun(queueScenarios[kind], defaultQueueParams), old);
    await cleanupRun(old, false);
    return result;
  }

  it("reliable: BRPOPLPUSH instead of BLMOVE", async () => {
    const r = await runAsOld("reliable");
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    const names = new Set(r.steps.flatMap((s) => s.commands.map((c) => c.argv[0])));
    expect(names.has("BRPOPLPUSH")).toBe(true);
    expect(names.has("BLMOVE")).toBe(false);
    expect(r.steps[0]?.notes.join(" ")).toMatch(/fallback: BRPOPLPUSH for BLMOVE \(BLMOVE: needs Redis ≥ 6\.2/);
    expect(r.fallbacks).toEqual([expect.stringMatching(/^BRPOPLPUSH for BLMOVE/)]);
    // The titles name what was sent: no step or scenario title claims a BLMOVE that never went over the wire.
    expect(r.title).toMatch(/BRPOPLPUSH into a processing list/);
    const said = r.steps.map((s) => `${s.title} ${s.say ?? ""}`).join("\n");
    expect(said).not.toMatch(/BLMOVE/);
    expect(r.metrics.moveCommand).toBe("BRPOPLPUSH");
  });

  it("stream: XPENDING + XCLAIM instead of XAUTOCLAIM", async () => {
    const r = await runAsOld("stream");
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    const names = new Set(r.steps.flatMap((s) => s.commands.map((c) => c.argv[0])));
    expect(names.has("XCLAIM")).toBe(true);
    expect(names.has("XAUTOCLAIM")).toBe(false);
    expect(r.steps[0]?.notes.join(" ")).toMatch(/fallback: XPENDING \+ XCLAIM for XAUTOCLAIM/);
    expect(r.title).toMatch(/XPENDING \+ XCLAIM/);
    const titles = r.steps.map((s) => `${s.title} ${s.say ?? ""}`).join("\n");
    expect(titles).not.toMatch(/XAUTOCLAIM/);
    expect(r.metrics.claimCommand).toBe("XCLAIM");
    expect(r.metrics.deadLettered).toBe(1);
  });
});
