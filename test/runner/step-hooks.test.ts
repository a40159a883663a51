/**
 * What the tour adds below the CLI: the runner's `beforeStep` hook (run, skip, stop; teardown still runs) and the
 * recorder's gate (a command is held until the gate resolves and only then reaches the server, in order).
 */
import { describe, expect, it } from "vitest";
import { cleanupRun, planRun, runScenario, type StepAction } from "../../src/runner/runner.js";
import { defineScenario } from "../../src/runner/types.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

const counting = defineScenario<Record<string, never>, { ran: string[]; tornDown: boolean }>({
  id: "test/hooks",
  title: "three steps",
  explain: "each step INCRs its own key",
  defaults: {},
  init: () => ({ ran: [], tornDown: false }),
  steps: () =>
    ["a", "b", "c"].map((name) => ({
      title: name,
      run: async (ctx, state) => {
        state.ran.push(name);
        await ctx.redis.incr(ctx.keys.key(name));
      },
    })),
  teardown: async (_ctx, state) => {
    state.tornDown = true;
  },
});

describe("runner: beforeStep", () => {
  it.each<[StepAction[], string[]]>([
    [
      ["run", "run", "run"],
      ["a", "b", "c"],
    ],
    [
      ["run", "skip", "run"],
      ["a", "c"],
    ],
    [["run", "stop"], ["a"]],
    [["stop"], []],
  ])("%j runs %j, and teardown always", async (actions, ran) => {
    const env = harness.env();
    const seen: number[] = [];
    let state: { ran: string[]; tornDown: boolean } | undefined;
    const def = { ...counting, init: () => (state = counting.init({})) };
    const result = await runScenario(planRun(def, {}), env, () => {}, {
      beforeStep: ({ index }) => {
        seen.push(index);
        return actions[index]!;
      },
    });
    expect(state!.ran).toEqual(ran);
    expect(state!.tornDown).toBe(true);
    expect(result.steps.map((s) => s.title)).toEqual(ran);
    expect(seen).toEqual(actions.map((_, i) => i));
    await cleanupRun(env, false);
  });

  it("can wait: nothing of a step is sent before the hook resolves", async () => {
    const env = harness.env();
    let release!: () => void;
    const run = runScenario(planRun(counting, {}), env, () => {}, {
      beforeStep: ({ index }) => (index === 1 ? new Promise<StepAction>((r) => (release = () => r("run"))) : "run"),
    });
    while (!release) await new Promise((r) => setTimeout(r, 5));
    expect(await env.redis.exists(env.keys.key("a"), env.keys.key("b"))).toBe(1);
    release();
    await run;
    expect(await env.redis.exists(env.keys.key("a"), env.keys.key("b"), env.keys.key("c"))).toBe(3);
    await cleanupRun(env, false);
  });
});

describe("recorder: the step-through gate", () => {
  it("holds each command until the gate resolves, then sends and records it in order", async () => {
    const env = harness.env();
    const key = env.keys.key("gated");
    const held: { argv: string[]; release: () => void }[] = [];
    env.recorder.setGate((argv) => new Promise<void>((release) => held.push({ argv, release })));
    const mark = env.recorder.mark();
    const first = env.redis.set(key, "1");
    const second = env.redis.call("INCR", key);
    try {
      while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
      expect(held.map((h) => h.argv)).toEqual([
        ["set", key, "1"],
        ["INCR", key],
      ]);
      expect(env.recorder.since(mark)).toEqual([]);
    } finally {
      env.recorder.setGate(undefined);
    }
    // Not on the server while held (checked on the same connection, after the gate is gone).
    expect(await env.redis.exists(key)).toBe(0);
    held[0]!.release();
    held[1]!.release();
    expect(await first).toBe("OK");
    expect(await second).toBe(2);
    expect(env.recorder.since(mark).map((c) => c.argv[0])).toEqual(["exists", "set", "INCR"]);
    await cleanupRun(env, false);
  });

  it("a rejected gate cancels the command: it never reaches the server", async () => {
    const env = harness.env();
    const key = env.keys.key("cancelled");
    env.recorder.setGate(() => Promise.reject(new Error("not sent")));
    const sent = env.redis.set(key, "1");
    env.recorder.setGate(undefined);
    await expect(sent).rejects.toThrow("not sent");
    expect(await env.redis.exists(key)).toBe(0);
    await cleanupRun(env, false);
  });
});
