import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { durabilityScenarios, primaryDefaults } from "../../scenarios/primary/index.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

type Result = Awaited<ReturnType<typeof harness.run>>;

function clients(result: Result): Set<string> {
  return new Set(result.steps.flatMap((s) => s.commands.map((c) => c.client)));
}

function failed(result: Result) {
  return result.checks.filter((c) => !c.ok);
}

/**
 * Short runs: 600 ms of writes is enough to count; the bounds, not exact counts, are asserted (timing decides
 * them).
 */
const params = { ...primaryDefaults, killAfterMs: 600 };

describe("primary: acknowledged writes lost to a SIGKILL, per persistence setting", () => {
  it("none: the restarted server is empty, every acknowledged write is lost", async () => {
    const result = await harness.run(durabilityScenarios.none, params);
    expect(result.error).toBeUndefined();
    expect(failed(result)).toEqual([]);
    expect(result.metrics.acked as number).toBeGreaterThan(0);
    expect(result.metrics.lost).toBe(result.metrics.acked);
    expect(result.metrics.keysAfterRestart).toBe(0);
    expect(result.leftKeys).toEqual([]);
  });

  it("aof-always: no acknowledged write lost, every match whole; commands are labelled with the server", async () => {
    const result = await harness.run(durabilityScenarios["aof-always"], params);
    expect(result.error).toBeUndefined();
    expect(failed(result)).toEqual([]);
    expect(result.metrics.lost).toBe(0);
    expect(result.metrics.recovered).toBe(result.metrics.acked);
    const labels = clients(result);
    for (const l of ["cart@aof-always", "flags@aof-always", "game@aof-always", "sessions@aof-always"])
      expect(labels.has(l)).toBe(true);
    expect(labels.has("reader@aof-always (restarted)")).toBe(true);
    const commands = result.steps.flatMap((s) => s.commands);
    expect(commands.some((c) => c.client === "game@aof-always" && /^EVAL/.test(c.argv[0]!))).toBe(true);
    expect(commands.some((c) => c.client === "sessions@aof-always" && c.argv[0]!.toUpperCase() === "MULTI")).toBe(true);
    expect(commands.some((c) => c.argv[0] === "CONFIG" && c.reply && JSON.stringify(c.reply).includes("always"))).toBe(
      true,
    );
    // Nothing went to the server under test: the keys live on the throwaway server only.
    expect(commands.filter((c) => c.client === "main" && c.argv[0] !== "INFO")).toEqual([]);
    expect(result.leftKeys).toEqual([]);
  });

  it("aof-everysec and rdb stay within their promise; the throwaway server's files are removed", async () => {
    for (const setting of ["aof-everysec", "rdb"] as const) {
      const result = await harness.run(durabilityScenarios[setting], { ...params, killAfterMs: 1_500 });
      expect(result.error).toBeUndefined();
      expect(failed(result)).toEqual([]);
      expect(result.metrics.lost as number).toBeLessThanOrEqual(result.metrics.lostBound as number);
      const dir = /data directory (\S+);/.exec(result.steps[0]!.notes.join("\n"))?.[1];
      expect(dir).toBeDefined();
      expect(existsSync(dir!)).toBe(false);
    }
  });
});
