import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { clientNames } from "../../scenarios/ratelimit/index.js";
import { userScriptParams, userScriptScenario, type UserScriptParams } from "../../scenarios/ratelimit/user-script.js";
import { checkName, type CheckConfig, type ViolationKind } from "../../src/patterns/ratelimit/user-check.js";
import { loadUserLimiter } from "../../src/patterns/ratelimit/user-script.js";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { cleanupRun, planRun, runScenario, type RunEnv } from "../../src/runner/runner.js";
import type { ScenarioResult } from "../../src/runner/types.js";
import { ROOT } from "../helpers/cli.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

const example = (name: string) => (isAbsolute(name) ? name : join(ROOT, "examples", "ratelimit", name));
const dir = mkdtempSync(join(tmpdir(), "user-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (): RunEnv => harness.env();

interface Case {
  script?: string;
  adapter?: string;
  config?: Partial<CheckConfig>;
  fuzz?: number;
  seed?: number;
}

async function check(c: Case): Promise<{ result: ScenarioResult; failed: string[]; e: RunEnv }> {
  const limiter = await loadUserLimiter(c.script && example(c.script), c.adapter && example(c.adapter));
  const config: CheckConfig = {
    contract: "window",
    semantics: "sliding",
    limit: 3,
    windowMs: 60_000,
    capacity: 3,
    refillPerSec: 0.05,
    ...c.config,
  };
  const params: UserScriptParams = userScriptParams({
    limiter,
    config,
    requestsPerClient: 9,
    clients: clientNames(3),
    instances: 4,
    cost: 1,
    clock: "scenario",
    fuzz: c.fuzz ?? 0,
    seed: c.seed ?? 1,
    shrinkTimeMs: 60_000,
    fuzzTimeMs: 120_000,
  });
  const e = env();
  const result = await runScenario(planRun(userScriptScenario(), params), e);
  const cleanup = await cleanupRun(e, false);
  expect(cleanup.error).toBeUndefined();
  // Everything the script wrote under the run's prefix was found and deleted.
  expect(await scanPrefix(harness.connection().redis, e.keys.prefix)).toEqual([]);
  return { result, failed: result.checks.filter((x) => !x.ok).map((x) => x.name), e };
}

const name = (kind: ViolationKind, config: Partial<CheckConfig> = {}) =>
  checkName(kind, {
    contract: "window",
    semantics: "sliding",
    limit: 3,
    windowMs: 60_000,
    capacity: 3,
    refillPerSec: 1,
    ...config,
  });

/** The shortest sequence of a failed check, from its detail: `alice 10:30:00.001 ✓ · …`. */
function shortest(result: ScenarioResult, kind: ViolationKind, config: Partial<CheckConfig> = {}): string[] {
  const detail = result.checks.find((x) => x.name === name(kind, config))?.detail ?? "";
  const m = /: (.*)$/.exec(detail.replace(/^shortest sequence \([^)]*\)/, ""));
  return (m?.[1] ?? "").split(" · ");
}

describe("ratelimit --script: correct limiters pass every check", () => {
  it("a sliding log (ZREMRANGEBYSCORE, ZCARD, ZADD only when allowed)", async () => {
    const { result, failed } = await check({ script: "sliding-log.lua" });
    expect(result.error).toBeUndefined();
    expect(failed).toEqual([]);
    expect(result.checks.length).toBeGreaterThanOrEqual(7);
  });

  it("a fixed window promised as fixed, and matching the fixed-window model exactly", async () => {
    const { failed } = await check({
      script: "fixed-window.lua",
      config: { semantics: "fixed", model: "fixed-window" },
    });
    expect(failed).toEqual([]);
  });

  it("a sliding window counter decides as the sliding-counter model, also under 60 random sequences", async () => {
    const { failed, result } = await check({
      script: "sliding-counter.lua",
      config: { semantics: "fixed", model: "sliding-counter" },
      fuzz: 60,
      seed: 3,
    });
    expect(failed).toEqual([]);
    expect(result.checks.map((x) => x.name)).toContain("decides exactly as the sliding-counter model");
  });

  it("a token bucket (bucket contract), also under 40 random sequences", async () => {
    const { failed, result } = await check({
      script: "token-bucket.lua",
      config: { contract: "bucket", semantics: "bucket", capacity: 3, refillPerSec: 1 },
      fuzz: 40,
      seed: 5,
    });
    expect(failed).toEqual([]);
    expect(result.checks.map((x) => x.name)).toContain("40 random sequences (seed 5): no violation");
  });
});

describe("ratelimit --script: classic mistakes fail with the exact violation and the shortest sequence", () => {
  it("a fixed window promised as sliding: 3 just after a window starts, 1 at the next edge (2 × limit)", async () => {
    const { failed, result } = await check({ script: "fixed-window.lua" });
    expect(failed).toEqual([name("over-limit")]);
    expect(result.checks.find((x) => x.name === name("over-limit"))?.actual).toBe(
      "4 allowed within 60000 ms (up to request 4), limit 3",
    );
    const seq = shortest(result, "over-limit");
    expect(seq).toHaveLength(4);
    expect(seq.every((r) => r.endsWith("✓"))).toBe(true);
    expect(seq[3]).toBe("alice 10:31:00.000 ✓");
  });

  it("a fixed window checked against the sliding-log model: the first request where they disagree", async () => {
    const config = { semantics: "fixed", model: "sliding-log" } as const;
    const { failed, result } = await check({ script: "fixed-window.lua", config });
    expect(failed).toEqual([name("model", config)]);
    const seq = shortest(result, "model", config);
    // Three allowed in one window, and one at the next edge: the log still holds three, the fixed window allows it.
    expect(seq).toHaveLength(4);
    expect(result.checks.find((x) => x.name === name("model", config))?.actual).toBe(
      "request 4 (alice): the sliding-log model rejects it, the script allowed it",
    );
  });

  it("the chapter's ZADD-first sliding log locks a retrying client out (liveness)", async () => {
    const { failed, result } = await check({ script: "sliding-log-zadd-first.lua" });
    expect(failed).toEqual([name("liveness")]);
    const seq = shortest(result, "liveness");
    // Three allowed, one rejected retry that stays in the log, then a request a window later: still rejected.
    expect(seq.map((r) => r.slice(-1))).toEqual(["✓", "✓", "✓", "✗", "✗"]);
  });

  it("INCR without EXPIRE: one request leaves a counter with no TTL", async () => {
    const { failed, result } = await check({ script: "incr-no-expire.lua", config: { semantics: "fixed" } });
    expect(failed).toEqual([name("ttl")]);
    expect(shortest(result, "ttl")).toEqual(["alice 10:30:00.000 ✓"]);
  });

  it("INCR then EXPIRE as two commands: the app dying between them leaves a counter with no TTL", async () => {
    const { failed, result } = await check({ adapter: "incr-then-expire.js", config: { semantics: "fixed" } });
    expect(failed).toEqual([name("ttl")]);
    expect(shortest(result, "ttl")).toEqual(["alice 10:30:00.000 (dies after 1 command) †"]);
  });

  it("GET then INCR from the app: app instances at once all read the same count and all pass", async () => {
    const { failed, result } = await check({ adapter: "get-then-incr.js", config: { semantics: "fixed" } });
    expect(failed).toEqual([
      name("over-limit", { semantics: "fixed" }),
      "4 app instances at once: exactly what the limit allows passes",
    ]);
    const concurrent = result.checks.find((x) => x.name.startsWith("4 app instances"));
    expect(concurrent?.expected).toBe(3);
    expect(Number(concurrent?.actual)).toBeGreaterThan(3);
    // A race between connections: it does not replay one request at a time, and the report says so.
    expect(result.checks.find((x) => x.name === name("over-limit", { semantics: "fixed" }))?.detail).toMatch(
      /does not replay one request at a time/,
    );
  });

  it("the chapter's two-key token bucket (via a JSON adapter) never expires its keys", async () => {
    const config = { contract: "bucket", semantics: "bucket", capacity: 3, refillPerSec: 1 } as const;
    const { failed, result } = await check({
      script: "token-bucket-chapter.lua",
      adapter: "token-bucket-chapter.json",
      config,
    });
    expect(failed).toEqual([name("ttl", config)]);
    expect(shortest(result, "ttl", config)).toHaveLength(1);
  });

  it("a token bucket that spends before it checks goes negative and starves the client", async () => {
    const config = { contract: "bucket", semantics: "bucket", capacity: 3, refillPerSec: 1 } as const;
    const { failed, result } = await check({ script: "token-bucket-negative.lua", config });
    expect(failed).toContain(name("negative", config));
    // Three tokens spent, the fourth request takes the bucket to -1.
    expect(shortest(result, "negative", config)).toHaveLength(4);
  });

  it("a script that answers something else than 1/0 is reported with the reply", async () => {
    const file = join(dir, "ok.lua");
    writeFileSync(file, "return redis.status_reply('OK')\n");
    const { failed, result } = await check({ script: file });
    expect(failed).toContain(name("error"));
    expect(result.checks.find((x) => x.name === name("error"))?.actual).toMatch(/neither 1\/0/);
  });
});

describe("ratelimit --script --fuzz", () => {
  it("finds the fixed window's boundary burst in random traffic, shrinks it; the seed replays it exactly", async () => {
    const first = await check({ script: "fixed-window.lua", fuzz: 200, seed: 11 });
    const again = await check({ script: "fixed-window.lua", fuzz: 200, seed: 11 });
    const fuzzCheck = (r: ScenarioResult) =>
      r.checks.find((x) => x.name === "200 random sequences (seed 11): no violation");
    expect(fuzzCheck(first.result)?.ok).toBe(false);
    expect(fuzzCheck(first.result)?.detail).toBe(fuzzCheck(again.result)?.detail);
    expect(fuzzCheck(first.result)?.detail).toMatch(/replay: --fuzz 200 --seed 11/);
  });
});
