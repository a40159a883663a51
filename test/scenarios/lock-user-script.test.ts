import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHECKS, userLockParams, userLockScenario } from "../../scenarios/lock/user-script.js";
import { loadUserLock } from "../../src/patterns/lock/user-script.js";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { cleanupRun, planRun, runScenario, type RunEnv } from "../../src/runner/runner.js";
import type { ScenarioResult } from "../../src/runner/types.js";
import { ROOT } from "../helpers/cli.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

const file = (name: string) => join(ROOT, "examples", "lock", `${name}.lua`);

async function check(
  acquire: string,
  release: string,
  extend?: string,
  fuzz = 0,
): Promise<{ result: ScenarioResult; failed: string[] }> {
  const env: RunEnv = harness.env("real");
  const keys = env.keys;
  const lock = loadUserLock({
    acquire: file(acquire),
    release: file(release),
    ...(extend ? { extend: file(extend) } : {}),
  });
  // A TTL long enough for a busy machine; the stall is still longer than it.
  const params = userLockParams({
    lock,
    names: [acquire, release],
    workers: 3,
    increments: 8,
    ttlMs: 300,
    pauseMs: 700,
    resource: "order-456",
    fuzz,
    seed: 1,
  });
  const result = await runScenario(planRun(userLockScenario(), params), env);
  const cleanup = await cleanupRun(env, false);
  expect(cleanup.error).toBeUndefined();
  expect(await scanPrefix(harness.connection().redis, keys.prefix)).toEqual([]);
  return { result, failed: result.checks.filter((c) => !c.ok).map((c) => c.name) };
}

const detail = (r: ScenarioResult, name: string) => r.checks.find((c) => c.name === name)?.detail;

describe("lock --acquire-script / --release-script / --extend-script", () => {
  it("a correct lock (SET NX PX, owner-checked release and extension) passes every check", async () => {
    const { result, failed } = await check("acquire", "release", "extend");
    expect(result.error).toBeUndefined();
    expect(failed).toEqual([]);
    const names = result.checks.map((c) => c.name);
    for (const name of [
      CHECKS.acquire,
      CHECKS.exclusion,
      CHECKS.foreignRelease,
      CHECKS.ownRelease,
      CHECKS.foreignExtend,
      CHECKS.ownExtend,
      CHECKS.expiry,
      CHECKS.workers,
    ]) {
      expect(names).toContain(name);
    }
  });

  it("a release without an owner check: a non-owner deletes the lock; an expired holder, the next one's", async () => {
    const { result, failed } = await check("acquire", "release-no-owner-check");
    expect(failed).toEqual([CHECKS.foreignRelease, CHECKS.expiry]);
    expect(detail(result, CHECKS.foreignRelease)).toBe(
      "sequence: worker-1 acquire(token-1, 10000 ms) → yes · worker-2 release(token-2) → yes · worker-1 GET → nil",
    );
    expect(result.checks.find((c) => c.name === CHECKS.expiry)?.actual).toBe(
      "the late release answered 1; the lock holds nil",
    );
  });

  it("SET without NX: a second worker takes a held lock, and concurrent increments get lost", async () => {
    const { result, failed } = await check("acquire-no-nx", "release");
    expect(failed).toContain(CHECKS.exclusion);
    expect(detail(result, CHECKS.exclusion)).toBe(
      "sequence: worker-1 acquire(token-1, 10000 ms) → yes · worker-2 acquire(token-2, 10000 ms) → yes · " +
        'worker-1 GET → "token-2"',
    );
  });

  it("SETNX without a TTL: the lock never expires", async () => {
    const { result, failed } = await check("acquire-no-ttl", "release");
    expect(failed).toEqual([CHECKS.acquire]);
    expect(result.checks.find((c) => c.name === CHECKS.acquire)?.actual).toBe("acquired, PTTL -1");
  });

  it("a fencing counter under the lock key without a TTL is a key left behind for ever", async () => {
    const { result, failed } = await check("acquire-fence-no-ttl", "release");
    expect(failed).toEqual([CHECKS.keys]);
    expect(result.checks.find((c) => c.name === CHECKS.keys)?.actual).toMatch(/\{order-456\}:fence has no TTL$/);
  });

  it("--fuzz: random sequences pass on a correct lock, and shrink to two operations on a broken one", async () => {
    const good = await check("acquire", "release", "extend", 150);
    expect(good.failed).toEqual([]);
    expect(good.result.checks.map((c) => c.name)).toContain(CHECKS.fuzz(150, 1));
    const bad = await check("acquire", "release", "extend-no-owner-check", 150);
    expect(bad.failed).toContain(CHECKS.fuzz(150, 1));
    const detail = bad.result.checks.find((c) => c.name === CHECKS.fuzz(150, 1))?.detail ?? "";
    // Someone acquires, someone else extends it: two operations, the second answered yes.
    expect(detail).toMatch(
      new RegExp(
        String.raw`^sequence: worker-(\d) acquire\(token-\1\) → yes, the lock: token-\1 · ` +
          String.raw`worker-(?!\1)\d extend\(token-\d\) → yes, the lock: token-\1$`,
      ),
    );
  });

  it("an extension without an owner check: a non-owner keeps someone else's lock alive", async () => {
    const { result, failed } = await check("acquire", "release", "extend-no-owner-check");
    expect(failed).toEqual([CHECKS.foreignExtend]);
    expect(result.checks.find((c) => c.name === CHECKS.foreignExtend)?.actual).toMatch(/^1, PTTL \d+$/);
  });
});
