import { describe, expect, it } from "vitest";
import { failoverDefaults, failoverScenario, redlockDefaults, redlockScenario } from "../../scenarios/lock/index.js";
import { plainClient } from "../helpers/redis.js";
import { useScenarioHarness } from "../helpers/scenario.js";
import { startThrowawayServer } from "../../src/redis/throwaway-server.js";

const harness = useScenarioHarness();

/** Commands per trace label, over every step. */
function byClient(result: { steps: { commands: { client: string; argv: string[] }[] }[] }): Map<string, string[][]> {
  const map = new Map<string, string[][]>();
  for (const c of result.steps.flatMap((s) => s.commands)) map.set(c.client, [...(map.get(c.client) ?? []), c.argv]);
  return map;
}

describe("lock/redlock on 5 throwaway masters, stopping some during the run", () => {
  it("acquires with 2 of 5 down, fails with 3 down, never two holders; every node's commands labelled", async () => {
    const result = await harness.run(redlockScenario, redlockDefaults);
    expect(result.error).toBeUndefined();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    // On a busy machine a live node may answer past the 50 ms node timeout while two are down: inconclusive, said
    // why, never a failed check (the overlapping-holds check still runs).
    expect(["passed", "inconclusive"]).toContain(result.status);
    const slow = result.status === "inconclusive";
    if (slow) expect(result.inconclusive).toMatch(/too slow to show the lock surviving a minority down/);
    expect(result.checks.length).toBe(slow ? 6 : 7);
    expect(result.metrics).toMatchObject({
      nodes: 5,
      quorum: 3,
      doubleHolds: 0,
      acquiredWithMinorityDown: !slow,
      acquiredWithMajorityDown: false,
    });
    expect(result.metrics.acquisitions).toBe(1 + 2 * redlockDefaults.rounds + (slow ? 0 : 1));
    const clients = byClient(result);
    for (let k = 1; k <= 5; k++) {
      expect(clients.get(`A@node-${k}`)?.some((argv) => argv[0] === "SET" && argv.includes("NX"))).toBe(true);
      expect(clients.get(`B@node-${k}`)?.some((argv) => argv[0] === "SET")).toBe(true);
    }
    // node-4 was made to hang (CLIENT PAUSE), node-5 then node-3 were shut down, each by an operator connection.
    expect([...clients.keys()].filter((c) => c.startsWith("operator@")).sort()).toEqual([
      "operator@node-3",
      "operator@node-4",
      "operator@node-5",
    ]);
    expect(clients.get("operator@node-4")?.map((a) => a.join(" "))).toEqual(
      expect.arrayContaining(["CLIENT PAUSE 60000 WRITE", "CLIENT UNPAUSE"]),
    );
    expect(clients.get("operator@node-5")?.some((a) => a.join(" ") === "SHUTDOWN NOSAVE")).toBe(true);
    expect(result.metrics.validityWithMinorityDownMs as number).toBeLessThanOrEqual(
      150 - (redlockDefaults.nodeTimeoutMs - 2) - 3.5,
    );
    expect(result.leftKeys).toEqual([]);
  });

  it("user-given nodes (one unreachable): acquires on the rest, stops nothing, leaves no lock key", async () => {
    const servers = await Promise.all([1, 2, 3].map(() => startThrowawayServer()));
    try {
      const nodes = [...servers.map((s) => s.url), "redis://127.0.0.1:1"];
      const result = await harness.run(redlockScenario, { ...redlockDefaults, nodes });
      expect(result.error).toBeUndefined();
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.metrics).toMatchObject({ nodes: 4, quorum: 3, doubleHolds: 0, acquiredWithMinorityDown: null });
      // Each node connection is closed once: the scenario's teardown QUITs it while its server runs, and the runner's
      // own close does not send a second QUIT on a connection that is already closing.
      const quits = [...byClient(result)].map(([client, argvs]) => [
        client,
        argvs.filter((a) => /^quit$/i.test(a[0]!)),
      ]);
      expect(quits.filter(([, q]) => q!.length !== 1).map(([client]) => client)).toEqual([]);
      expect(quits.length).toBe(6);
      for (const s of servers) {
        const r = plainClient(s);
        expect(await r.dbsize()).toBe(0);
        r.disconnect();
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  it("3 nodes: with 1 stopped it is still a majority (2 of 3), with 2 stopped it is refused", async () => {
    const result = await harness.run(redlockScenario, { ...redlockDefaults, startNodes: 3, rounds: 3 });
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.metrics).toMatchObject({
      nodes: 3,
      quorum: 2,
      acquiredWithMinorityDown: true,
      acquiredWithMajorityDown: false,
    });
  });
});

describe("lock/failover with a real master and replica", () => {
  it("two holders after promotion; WAIT answered 1 when healthy, 0 when cut; the fencing token repeats", async () => {
    const result = await harness.run(failoverScenario, failoverDefaults);
    expect(result.error).toBeUndefined();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.metrics).toMatchObject({ twoHolders: true, doubleHolds: 1, waitAcksHealthy: 1, waitAcksCut: 0 });
    expect(result.metrics.fenceA).toBe(result.metrics.fenceB);
    const clients = byClient(result);
    expect(clients.get("operator@replica")?.some((a) => a.join(" ") === "REPLICAOF NO ONE")).toBe(true);
    expect(clients.get("operator@master")?.some((a) => a.join(" ") === "SHUTDOWN NOSAVE")).toBe(true);
    expect(clients.get("B@new-master")?.some((a) => a[0] === "SET")).toBe(true);
    expect(result.leftKeys).toEqual([]);
  });
});
