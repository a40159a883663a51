import { describe, expect, it } from "vitest";
import { defaultParams, sessionScenarios, variants, type SessionParams } from "../../scenarios/session/index.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

/** Metrics each variant must report (the issue names readP50Ms and readP99Ms). */
const METRICS: Record<(typeof variants)[number], string[]> = {
  string: ["logins", "requests", "logouts", "expiredSessions", "redirects", "slidingRead", "ttlSeconds"],
  hash: ["servers", "sessions", "requests", "cartIncrements", "minServersPerSession"],
  "lost-update": ["lostUpdatesWholeObject", "lostUpdatesFieldLevel", "lostUpdatesWatch", "watchAborts"],
  "read-latency": ["reads", "readHits", "readP50Ms", "readP99Ms"],
};

const configs: [string, Partial<SessionParams>][] = [
  ["defaults", {}],
  ["one server, one session, a 1 s TTL, few reads", { servers: 1, sessions: 1, ttlSeconds: 1, reads: 20 }],
  ["5 servers, 4 sessions, a 30 min TTL", { servers: 5, sessions: 4, ttlSeconds: 1800, reads: 100 }],
];

describe.each(variants)("session/%s", (variant) => {
  it.each(configs)("%s: every check passes, the metrics are there, no key is left", async (_name, overrides) => {
    const params = { ...defaultParams, ...overrides };
    const result = await harness.run(sessionScenarios[variant], params);
    expect(result.error).toBeUndefined();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.checks.length).toBeGreaterThanOrEqual(1);
    for (const metric of METRICS[variant]) expect(result.metrics[metric], metric).not.toBeUndefined();
    expect(result.leftKeys).toEqual([]);
    // Every key any command named is under the run's session key space.
    for (const cmd of result.steps.flatMap((s) => s.commands)) {
      for (const arg of cmd.argv.filter((a) => a.includes(":session:")))
        expect(arg).toMatch(/^test:sc:.*:session:[A-Za-z0-9_-]{22}$/);
    }
  });
});

describe("what the scenarios demonstrate", () => {
  it("string: requests use GETEX on this server, and the logged-out and expired sessions are redirected", async () => {
    const r = await harness.run(sessionScenarios.string, defaultParams);
    expect(r.metrics).toMatchObject({ slidingRead: "getex", logins: 2, redirects: 2, expiredSessions: 1 });
    const sent = r.steps.flatMap((s) => s.commands.map((c) => c.argv[0]!.toUpperCase()));
    expect(sent).toContain("GETEX");
    expect(sent).toContain("DEL");
    expect(sent).not.toContain("EXPIRE");
  });

  it("hash: every session is served by every server, each its own connection", async () => {
    const r = await harness.run(sessionScenarios.hash, { ...defaultParams, servers: 4, sessions: 2 });
    expect(r.metrics).toMatchObject({
      servers: 4,
      sessions: 2,
      requests: 8,
      cartIncrements: 8,
      minServersPerSession: 4,
    });
    const clients = new Set(r.steps.flatMap((s) => s.commands.map((c) => c.client)));
    expect([...clients].sort()).toEqual(["server-1", "server-2", "server-3", "server-4"]);
    const sent = new Set(r.steps.flatMap((s) => s.commands.map((c) => c.argv[0]!.toUpperCase())));
    for (const name of ["HSET", "HGET", "HINCRBY", "EXPIRE", "HGETALL", "DEL"]) expect(sent.has(name), name).toBe(true);
  });

  it("lost-update: the whole-object write loses exactly one change, field-level and WATCH none", async () => {
    const r = await harness.run(sessionScenarios["lost-update"], defaultParams);
    expect(r.metrics).toMatchObject({
      lostUpdatesWholeObject: 1,
      lostUpdatesFieldLevel: 0,
      lostUpdatesWatch: 0,
      watchAborts: 1,
    });
  });

  it("read-latency: the figure stands next to the chapter's claim, and the percentiles are ordered", async () => {
    const r = await harness.run(sessionScenarios["read-latency"], { ...defaultParams, reads: 300 });
    expect(r.metrics.reads).toBe(300);
    expect(r.metrics.readHits).toBe(300);
    const p50 = Number(r.metrics.readP50Ms);
    const p99 = Number(r.metrics.readP99Ms);
    expect(p50).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(p50);
    expect(r.figures).toHaveLength(1);
    expect(r.figures[0]).toMatchObject({ chapter: "sub-ms session reads (vs 5–50 ms DB)", agrees: p50 < 1 });
    const gets = r.steps[1]!.commands.filter((c) => c.argv[0] === "GET");
    expect(gets).toHaveLength(300 + 30); // a tenth as many warm-up reads, untimed
  });
});

describe("a server without GETEX (renamed away, as on Redis < 6.2)", () => {
  const old = useScenarioHarness(["--rename-command", "GETEX", ""]);

  it("the first GETEX is refused, the run says so and slides with GET + EXPIRE; every check still passes", async () => {
    const r = await old.run(sessionScenarios.string, defaultParams);
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.metrics.slidingRead).toBe("get+expire");
    const commands = r.steps.flatMap((s) => s.commands);
    const refused = commands.filter((c) => c.argv[0] === "GETEX");
    expect(refused).toHaveLength(1);
    expect(refused[0]!.error).toMatch(/unknown command/i);
    const pipelined = commands.filter((c) => c.batch?.kind === "pipeline");
    expect(pipelined.map((c) => c.argv[0])).toContain("EXPIRE");
    expect(r.steps[1]!.notes.join(" ")).toMatch(/does not know GETEX/);
    expect(r.leftKeys).toEqual([]);
  });
});
