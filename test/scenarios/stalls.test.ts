/**
 * Honest under load: a timing-sensitive scenario whose machine stalls (here on purpose, a busy-wait at one of its
 * `ctx.stalls.point`s) is inconclusive, never a pass and never a failure; the same stall with the protection
 * removed (a watchdog that does not renew, a recompute lock shorter than a recompute) still fails.
 */
import { describe, expect, it } from "vitest";
import { stampedeScenarios } from "../../scenarios/cache/index.js";
import { defaultParams, lockScenarios } from "../../scenarios/lock/index.js";
import { cleanupRun, planRun, runScenario } from "../../src/runner/runner.js";
import { startStallMonitor } from "../../src/runner/stalls.js";
import type { ScenarioDef, ScenarioResult } from "../../src/runner/types.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

/** Keep this process busy for `ms`: no timer, no reply handler, no renewal runs meanwhile. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a stalled machine
  }
}

/** Run a scenario with a busy-wait of `ms` at the `nth` time (from 1) it passes `point`. */
async function runStalled<P, S>(
  def: ScenarioDef<P, S>,
  params: P,
  stall?: { point: string; ms: number; nth?: number },
): Promise<ScenarioResult> {
  const env = harness.env();
  let seen = 0;
  const result = await runScenario(planRun(def, params), {
    ...env,
    stallHook: (_id, point) => {
      if (stall && point === stall.point && ++seen === (stall.nth ?? 1)) busyWait(stall.ms);
    },
  });
  const cleanup = await cleanupRun(env, false);
  expect(cleanup.error).toBeUndefined();
  return result;
}

const failed = (r: ScenarioResult) => r.checks.filter((c) => !c.ok).map((c) => c.name);

describe("the stall monitor", () => {
  it("measures a busy-wait as a stall of about its length, in the window holding it, and one still going", async () => {
    const monitor = startStallMonitor();
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = monitor.now();
      busyWait(200);
      // Still inside the stall as far as the sampler knows: counted as one in progress.
      expect(monitor.longest(before)).toBeGreaterThanOrEqual(150);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const after = monitor.now();
      expect(monitor.longest(before, after)).toBeGreaterThanOrEqual(150);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // A later window does not see it.
      expect(monitor.longest(after + 20)).toBeLessThan(150);
      expect(monitor.baseline()).toBeLessThan(150);
    } finally {
      monitor.stop();
    }
  });
});

describe("lock/watchdog under a stalled machine", () => {
  const params = defaultParams;

  it("a stall past the TTL as worker-1 holds the lock: inconclusive (the delay measured), never failed", async () => {
    const r = await runStalled(lockScenarios.watchdog, params, { point: "lock-pitfall-stall", ms: 3 * params.ttlMs });
    expect(r.status, JSON.stringify(failed(r))).toBe("inconclusive");
    expect(r.ok).toBe(true);
    expect(r.inconclusive).toMatch(
      /a renewal came \d+ ms after the previous one was sent .*event loop stalled up to \d+ ms/,
    );
  });

  it("the same stall with the watchdog switched off (--no-renew): the double hold fails", async () => {
    const r = await runStalled(
      lockScenarios.watchdog,
      { ...params, renew: false },
      { point: "lock-pitfall-stall", ms: 3 * params.ttlMs },
    );
    expect(r.status).toBe("failed");
    expect(failed(r)).toContain("no double hold: worker-2 was refused while worker-1 stalled");
    expect(r.inconclusive).toBeUndefined();
  });

  it("a stall as worker-1's lock is deleted: inconclusive if its work ended before a renewal could tell", async () => {
    const r = await runStalled(lockScenarios.watchdog, params, { point: "lock-renewal-fails", ms: 3 * params.ttlMs });
    expect(["inconclusive", "passed"]).toContain(r.status);
    expect(failed(r)).toEqual([]);
  });
});

describe("lock/simple: worker-2's lock after worker-1's late release", () => {
  it("looked at only after its own TTL ran out (a stall): inconclusive; the owner check is still checked", async () => {
    const r = await runStalled(lockScenarios.simple, defaultParams, {
      point: "lock-late-release",
      ms: 2 * defaultParams.ttlMs,
    });
    expect(r.status, JSON.stringify(failed(r))).toBe("inconclusive");
    expect(r.inconclusive).toMatch(/worker-2's lock was gone \d+ ms after its SET NX was sent, past its 150 ms TTL/);
    expect(r.checks.find((c) => c.name.startsWith("worker-1's late release answered 0"))?.ok).toBe(true);
  });
});

describe("cache/stampede-lock under a stalled machine", () => {
  const def = stampedeScenarios.lock;
  const params = { ...def.defaults, concurrency: 4 };

  it("a holder stalled past the recompute lock's TTL lets a waiter in: inconclusive, not a failure", async () => {
    // Load 1 primes; load 2 is the first wave's holder: it stalls longer than the lock's TTL (10 × a 150 ms query),
    // and its query still takes 150 ms after that: a waiter takes the expired lock and loads meanwhile.
    const slow = { ...params, dbLatencyMs: 150 };
    const r = await runStalled(def, slow, { point: "stampede-load", ms: 1_800, nth: 2 });
    expect(r.status, JSON.stringify(r.checks.filter((c) => !c.ok))).toBe("inconclusive");
    expect(r.inconclusive).toMatch(/the recompute lock \(1500 ms TTL\) expired under a request still loading/);
    expect(Number(r.metrics.dbLoads)).toBeGreaterThanOrEqual(2);
  });

  it("a lock shorter than a recompute (single flight broken by configuration): fails, without a stall", async () => {
    // A 300 ms query under a 2 ms lock: the waves that come while it loads find the entry missing and the lock free.
    const r = await runStalled(def, { ...params, dbLatencyMs: 300, lockTtlMs: 2 });
    expect(r.status, JSON.stringify(r.checks.filter((c) => !c.ok))).toBe("failed");
    expect(failed(r)).toContain(
      "single flight: one database load per expiry of the entry, none without an expiry to explain it",
    );
  });

  it("without a stall: one load for the one expiry, passed", async () => {
    const r = await runStalled(def, params);
    expect(r.status, JSON.stringify(r.checks.filter((c) => !c.ok))).toBe("passed");
    expect(r.metrics.dbLoads).toBe(1);
  });
});
