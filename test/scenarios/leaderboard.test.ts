import { describe, expect, it } from "vitest";
import {
  LEADERBOARD_VARIANTS,
  defaultParams,
  leaderboardScenarios,
  type LeaderboardParams,
} from "../../scenarios/leaderboard/index.js";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { connectTarget } from "../../src/redis/connect.js";
import { KeySpace } from "../../src/redis/keys.js";
import { CommandRecorder } from "../../src/redis/recorder.js";
import { cleanupRun, planRun, runScenario, type RunEvent } from "../../src/runner/runner.js";
import type { ScenarioResult } from "../../src/runner/types.js";
import { useScenarioHarness } from "../helpers/scenario.js";
import { testPrefix } from "../helpers/redis.js";

const harness = useScenarioHarness();

function expectAllPassed(result: ScenarioResult & { leftKeys: string[] }): void {
  expect(result.error).toBeUndefined();
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.leftKeys).toEqual([]);
}

const variants: [string, Partial<LeaderboardParams>][] = [
  ["defaults", {}],
  ["a board smaller than the listpack limit", { players: 100, top: 5, page: 1 }],
  ["a seeded player wins, a page past the end, few latency samples", { player: "player:0042", page: 500, repeat: 3 }],
  ["several pipelines, small commands", { players: 5_000, membersPerCommand: 100, commandsPerPipeline: 7, repeat: 5 }],
  ["three days, MAX only", { days: 3, aggregates: ["MAX"] }],
  ["another seed, top 25", { seed: 99, top: 25, radius: 5 }],
];

describe.each(LEADERBOARD_VARIANTS)("leaderboard/%s", (variant) => {
  it.each(variants)("%s: every check passes and no key is left", async (_name, overrides) => {
    const result = await harness.run(leaderboardScenarios[variant], { ...defaultParams, ...overrides });
    expectAllPassed(result);
    expect(result.checks.length).toBeGreaterThanOrEqual(6);
  });
});

describe("what the global board measures", () => {
  it("reports the issue's metrics and the chapter's two figures", async () => {
    const result = await harness.run(leaderboardScenarios.global, defaultParams);
    expectAllPassed(result);
    for (const name of [
      "bytesPerMember",
      "topNMs",
      "rankMs",
      "listpackEntries",
      "seedCommands",
      "seedRoundTrips",
      "place",
      "projected1MBytes",
    ]) {
      expect(typeof result.metrics[name], name).toBe("number");
    }
    expect(result.metrics.listpackEntries).toBe(128);
    // A skiplist member costs tens of bytes at least: the projection lands within sight of the chapter's ~100 MB.
    expect(result.metrics.bytesPerMember as number).toBeGreaterThan(40);
    expect(result.figures.map((f) => f.chapter)).toEqual(["~100 MB", "fast even with millions of members"]);
    expect(result.figures[0]!.measured).toMatch(/MB \(extrapolated from 1,001 members/);
    // The checks name the chapter's operations.
    const names = result.checks.map((c) => c.name).join("\n");
    expect(names).toMatch(/top 10 equal an independent sort/);
    expect(names).toMatch(/at the top \(rank 0/);
    expect(names).toMatch(/at the bottom \(rank 1000/);
    expect(names).toMatch(/encoding switches from listpack to skiplist/);
    // Every latency sample is a recorded command: 4 × repeat of them in the latency step.
    const latencyStep = result.steps[result.steps.length - 1]!;
    expect(latencyStep.commands.filter((c) => c.argv[0] === "ZREVRANGE")).toHaveLength(2 * defaultParams.repeat);
    expect(latencyStep.commands.filter((c) => c.argv[0] === "ZREVRANK")).toHaveLength(2 * defaultParams.repeat);
  });

  it("emits progress events during the bulk load, ending at the total (the CLI draws its bar from them)", async () => {
    const env = harness.env();
    const events: RunEvent[] = [];
    const result = await runScenario(
      planRun(leaderboardScenarios.global, { ...defaultParams, players: 25_000, repeat: 2 }),
      env,
      (e) => events.push(e),
    );
    await cleanupRun(env, false);
    expect(result.ok).toBe(true);
    const progress = events.filter(
      (e): e is Extract<RunEvent, { type: "step-progress" }> => e.type === "step-progress",
    );
    expect(progress.map((e) => e.done)).toEqual([10_000, 20_000, 25_000]);
    expect(progress.every((e) => e.total === 25_000 && e.label === "players" && e.id === "leaderboard/global")).toBe(
      true,
    );
    // Progress is for live renderers only: nothing of it lands in the report.
    expect(JSON.stringify(result)).not.toContain("step-progress");
  });

  it("the seeded board and the model replay exactly: same seed, same top 10", async () => {
    const a = await harness.run(leaderboardScenarios.global, { ...defaultParams, repeat: 1 });
    const b = await harness.run(leaderboardScenarios.global, { ...defaultParams, repeat: 1 });
    expect(a.steps[2]!.tables).toEqual(b.steps[2]!.tables);
  });
});

describe("on a server with another listpack limit", () => {
  const small = useScenarioHarness(["--zset-max-listpack-entries", "16"]);

  it("reads the limit with CONFIG GET and probes 16 and 17 members", async () => {
    const result = await small.run(leaderboardScenarios.global, { ...defaultParams, players: 300, repeat: 2 });
    expectAllPassed(result);
    expect(result.metrics.listpackEntries).toBe(16);
    const memoryStep = result.steps.find((s) => s.title.startsWith("Memory"))!;
    expect(memoryStep.tables[0]!.rows.map((r) => [r[1], r[2]])).toEqual([
      [16, "listpack"],
      [17, "skiplist"],
      [301, "skiplist"],
    ]);
  });
});

describe("with CONFIG and MEMORY refused (an ACL user, as on managed services)", () => {
  it("says so, assumes the default 128, and reports no bytes, while every check still passes", async () => {
    const admin = harness.connection();
    const user = `lb-scenario-${process.pid}`;
    await admin.redis.call("ACL", "SETUSER", user, "on", ">pw", "~*", "+@all", "-config", "-memory");
    const recorder = new CommandRecorder();
    const url = new URL(admin.target.url);
    const connection = await connectTarget({ url: `redis://${user}:pw@${url.host}`, timeoutMs: 5_000, recorder });
    const prefix = testPrefix("lb-acl");
    try {
      const env = {
        redis: connection.redis,
        recorder,
        keys: new KeySpace(prefix),
        target: connection.target,
        signal: new AbortController().signal,
        clockMode: "scenario" as const,
        newClient: (label: string) => connection.newClient(label),
      };
      const result = await runScenario(planRun(leaderboardScenarios.global, { ...defaultParams, repeat: 2 }), env);
      await cleanupRun(env, false);
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.metrics.listpackEntries).toBe(128);
      expect(result.metrics.bytesPerMember).toBeNull();
      const notes = result.steps.flatMap((s) => s.notes).join("\n");
      expect(notes).toMatch(/CONFIG GET was refused .*NOPERM.*assuming Redis's default 128/);
      expect(notes).toMatch(/MEMORY USAGE was refused/);
      expect(result.figures[0]!.measured).toMatch(/unknown/);
      expect(await scanPrefix(admin.redis, prefix)).toEqual([]);
    } finally {
      await connection.close();
      await admin.redis.call("ACL", "DELUSER", user);
    }
  });
});
