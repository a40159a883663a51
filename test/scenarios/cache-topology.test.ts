import { describe, expect, it } from "vitest";
import { defaultTopologyParams } from "../../scenarios/cache/params.js";
import { remoteScenario, sidecarScenario } from "../../scenarios/cache/topology.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

type Result = Awaited<ReturnType<typeof harness.run>>;
const failed = (r: Result) => r.checks.filter((c) => !c.ok);
const commands = (r: Result) => r.steps.flatMap((s) => s.commands);

describe("cache topology: a sidecar Redis per app instance vs one shared Redis", () => {
  it("sidecar: the others serve the old row after a write; pub/sub fixes it, but for the instance away", async () => {
    const result = await harness.run(sidecarScenario, defaultTopologyParams);
    expect(result.error).toBeUndefined();
    expect(failed(result)).toEqual([]);
    expect(result.metrics).toMatchObject({
      topology: "sidecar",
      instances: 3,
      staleReadsAfterWrite: 2,
      staleReadsWithPubSub: 0,
      staleReadsWhileDisconnected: 1,
      // Every sidecar starts empty: each instance loads each user itself.
      dbReadsToWarm: 3 * defaultTopologyParams.keys,
    });
    // Each instance's cache commands are labelled with its own sidecar, and carry that server's address.
    const byClient = new Map<string, Set<string | undefined>>();
    for (const c of commands(result)) byClient.set(c.client, (byClient.get(c.client) ?? new Set()).add(c.node));
    const nodes = [1, 2, 3].map((k) => [...(byClient.get(`instance-${k}@sidecar-${k}`) ?? [])]);
    for (const n of nodes) expect(n).toHaveLength(1);
    expect(new Set(nodes.flat()).size).toBe(3);
    // The invalidation bus is the shared server; its channel is under the run's prefix, and no key is left there.
    expect(commands(result).some((c) => c.client === "main" && c.argv[0] === "PUBLISH")).toBe(true);
    expect(result.leftKeys).toEqual([]);
    const ports = /sidecars on ports ([\d, ]+);/.exec(result.steps[1]!.notes.join("\n"))?.[1];
    expect(ports?.split(", ")).toHaveLength(3);
  });

  it("remote: one shared copy, so no instance serves the old row; the database loads each user once", async () => {
    const result = await harness.run(remoteScenario, defaultTopologyParams);
    expect(result.error).toBeUndefined();
    expect(failed(result)).toEqual([]);
    expect(result.metrics).toMatchObject({ topology: "remote", staleReadsAfterWrite: 0, dbReadsToWarm: 3 });
    expect(result.leftKeys).toEqual([]);
  });

  it("remote through a delay proxy: every read pays at least the added round trip", async () => {
    const result = await harness.run(remoteScenario, { ...defaultTopologyParams, remoteLatencyMs: 4, reads: 20 });
    expect(failed(result)).toEqual([]);
    expect(result.metrics.remoteLatencyMs).toBe(4);
    // A lower bound set by the proxy's timer (4 ms; it may fire up to 1 ms early against the event loop's cached
    // clock), whatever the machine's load: never a "faster than" assertion.
    expect(result.metrics.readP50Ms as number).toBeGreaterThanOrEqual(3);
    expect(result.leftKeys).toEqual([]);
  });
});
