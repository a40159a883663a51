import { describe, expect, it } from "vitest";
import { planSandboxCommand, tokenize } from "../../src/cli/tour/sandbox.js";
import { interactiveProblem } from "../../src/cli/tour/interactive.js";
import { formatDuration, formatRate, paramSpecs, paramsLine, validateParam } from "../../src/cli/tour/params.js";
import { PITFALLS } from "../../src/cli/tour/pitfalls.js";
import { allScenarios } from "../../scenarios/index.js";
import type { TourCliOptions } from "../../src/cli/options/tour.js";
import { createProgram } from "../../src/cli/program.js";
import { selectStart } from "../../src/cli/tour/tour.js";

const P = "rp:abcd1234";

describe("tour sandbox: what a typed command becomes", () => {
  it("splits a line as redis-cli does", () => {
    expect(tokenize(`SET greeting "hello world"`)).toEqual(["SET", "greeting", "hello world"]);
    expect(tokenize(`SET k 'a b' "c\\"d" x"y z"`)).toEqual(["SET", "k", "a b", 'c"d', "xy z"]);
    expect(() => tokenize(`SET k "open`)).toThrow(/unbalanced double quote/);
  });

  it.each([
    [["SET", "greeting", "hi"], ["SET", `${P}:greeting`, "hi"], [`${P}:greeting`]],
    [
      ["MSET", "a", "1", "b", "2"],
      ["MSET", `${P}:a`, "1", `${P}:b`, "2"],
      [`${P}:a`, `${P}:b`],
    ],
    [
      ["ZUNIONSTORE", "dst", "2", "x", "y"],
      ["ZUNIONSTORE", `${P}:dst`, "2", `${P}:x`, `${P}:y`],
      [`${P}:dst`, `${P}:x`, `${P}:y`],
    ],
    [["XREAD", "COUNT", "1", "STREAMS", "s1", "0"], ["XREAD", "COUNT", "1", "STREAMS", `${P}:s1`, "0"], [`${P}:s1`]],
    // A key already under the prefix (copied from a trace) stays as typed.
    [["GET", `${P}:lock:x`], ["GET", `${P}:lock:x`], [`${P}:lock:x`]],
    [["PING"], ["PING"], []],
    [["CONFIG", "GET", "maxmemory"], ["CONFIG", "GET", "maxmemory"], []],
    [["SCAN", "0", "MATCH", "user:*"], ["SCAN", "0", "MATCH", `${P}:user:*`], []],
  ])("%j is sent as %j", (typed, sent, keys) => {
    expect(planSandboxCommand(typed, P)).toEqual({ ok: true, argv: sent, keys });
  });

  it.each([
    ["FLUSHALL", /FLUSHALL is refused.*every database/],
    ["flushdb", /FLUSHDB is refused/],
    ["KEYS *", /KEYS is refused.*SCAN/],
    ["SCAN 0", /SCAN without MATCH/],
    ["SCAN 0 COUNT 10", /SCAN without MATCH/],
    ["CONFIG SET maxmemory 1", /CONFIG SET is refused/],
    ["SHUTDOWN NOSAVE", /SHUTDOWN is refused/],
    ["DEBUG SLEEP 1", /DEBUG is refused/],
    ["SWAPDB 0 1", /SWAPDB is refused/],
    ["MOVE k 1", /MOVE is refused/],
    ["MIGRATE h 6379 k 0 1000", /MIGRATE is refused/],
    ["SCRIPT FLUSH", /SCRIPT FLUSH is refused/],
    ["FUNCTION FLUSH", /FUNCTION FLUSH is refused/],
    ["CLIENT KILL ID 7", /CLIENT KILL is refused/],
    ["ACL SETUSER bob on", /ACL SETUSER is refused/],
    ["ACL DELUSER bob", /ACL DELUSER is refused/],
    ["REPLICAOF h 6379", /REPLICAOF is refused/],
    ["SELECT 1", /SELECT is refused/],
    ['EVAL "return 1" 0', /script can touch any key/],
    ["SORT k BY other_*", /BY\/GET/],
    ["MONITOR", /MONITOR is refused/],
    ["NOSUCHCOMMAND x", /unknown command NOSUCHCOMMAND/],
  ])("%s is refused with the reason", (line, reason) => {
    const plan = planSandboxCommand(tokenize(line), P);
    expect(plan.ok).toBe(false);
    if (!plan.ok) expect(plan.reason).toMatch(reason);
  });
});

describe("tour parameters: validated as the command-line options are", () => {
  const specs = paramSpecs({
    workers: 3,
    ttlMs: 150,
    decay: 0.9,
    crash: true,
    traffic: "boundary",
    clients: ["alice"],
    db: "sqlite",
    zero: 0,
  });
  const spec = (param: string) => specs.find((s) => s.param === param)!;

  it("offers numbers, durations, booleans and strings, not lists", () => {
    expect(specs.map((s) => [s.param, s.name, s.kind, s.shown])).toEqual([
      ["workers", "workers", "integer", "3"],
      ["ttlMs", "ttl", "duration", "150ms"],
      ["decay", "decay", "number", "0.9"],
      ["crash", "crash", "boolean", "true"],
      ["traffic", "traffic", "choice", "boundary"],
      ["db", "db", "text", "sqlite"],
      ["zero", "zero", "integer", "0"],
    ]);
  });

  it("rejects what the options reject, with their message", () => {
    expect(validateParam(spec("workers"), "0")).toBe("workers must be at least 1, not 0");
    expect(validateParam(spec("workers"), "two")).toMatch(/whole number/);
    expect(validateParam(spec("workers"), "5")).toBe(true);
    expect(spec("workers").parse("5")).toBe(5);
    expect(validateParam(spec("zero"), "0")).toBe(true);
    expect(validateParam(spec("ttlMs"), "150")).toMatch(/missing unit/);
    expect(spec("ttlMs").parse("2s")).toBe(2000);
    expect(validateParam(spec("decay"), "-1")).toMatch(/positive number/);
    expect(validateParam(spec("traffic"), "spiky")).toMatch(/unknown traffic "spiky"/);
    expect(spec("crash").parse("false")).toBe(false);
  });

  it("shows durations in the shortest exact form, rates per second, minute or hour", () => {
    expect([60_000, 1000, 1500, 3_600_000].map(formatDuration)).toEqual(["1m", "1s", "1500ms", "1h"]);
    expect([5, 10 / 60, 1 / 3600, 0.123456].map(formatRate)).toEqual(["5/s", "10/m", "1/h", "0.12/s"]);
  });
});

describe("tour parameters: named by the command's flags, parsed by the flags' own parsers", () => {
  const program = createProgram();
  const optionsOf = (id: string) => program.commands.find((c) => c.name() === id.split("/")[0])!.options;

  it("ratelimit: --window 1m, --rate 10/m, --requests 30, not windowMs = 60000 or 0.16666666666666666", async () => {
    const def = (await allScenarios()).find((s) => s.id === "ratelimit/fixed-window")!;
    const specs = paramSpecs(def.defaults, optionsOf(def.id));
    expect(paramsLine(specs)).toBe(
      "--limit 10  --window 1m  --rate 10/m  --burst 10  --cost 1  --requests 30  --traffic boundary  --clock scenario",
    );
    const window = specs.find((s) => s.name === "--window")!;
    expect(window.param).toBe("windowMs");
    expect(window.parse("2s")).toBe(2000);
    expect(validateParam(window, "25h")).toMatch(/--window/);
    // The rate shown rounded or exact; Enter on it keeps the value as it was.
    const rate = specs.find((s) => s.name === "--rate")!;
    expect(rate.parse(rate.shown)).toBe(def.defaults.ratePerSec);
    expect(rate.parse("5/s")).toBe(5);
  });

  it("session: --ttl 1h sets ttlSeconds 3600", async () => {
    const def = (await allScenarios()).find((s) => s.id === "session/string")!;
    const ttl = paramSpecs(def.defaults, optionsOf(def.id)).find((s) => s.param === "ttlSeconds")!;
    expect([ttl.name, ttl.shown]).toEqual(["--ttl", "1h"]);
    expect(ttl.parse("30m")).toBe(1800);
  });

  it("every scenario: no raw floats or internal names, and each shown value reads back", async () => {
    for (const def of await allScenarios()) {
      for (const spec of paramSpecs(def.defaults, optionsOf(def.id))) {
        expect(spec.name, def.id).not.toMatch(/[A-Z]/);
        expect(spec.shown, `${def.id} ${spec.name}`).not.toMatch(/\.\d{3,}/);
        if (spec.kind === "choice" || spec.kind === "boolean") continue;
        // Typed (not the default kept by Enter): parsed by the option to the same value. A 0 the option refuses
        // (--remote-latency takes a duration) is kept only by Enter.
        const value = def.defaults[spec.param];
        if (value === 0 && validateParam(spec, ` ${spec.shown}`) !== true) continue;
        expect(validateParam(spec, ` ${spec.shown}`), `${def.id} ${spec.name}`).toBe(true);
        const typed = spec.parse(` ${spec.shown}`);
        if (typeof value === "number") expect(typed as number, `${def.id} ${spec.name}`).toBeCloseTo(value, 2);
        else expect(typed, `${def.id} ${spec.name}`).toEqual(value);
      }
    }
  });
});

describe("tour: refuses where nobody can answer", () => {
  const tty = { isTTY: true };
  it.each([
    [{ json: true }, { stdin: tty, stderr: tty, env: {} }, "--json"],
    [{ input: false }, { stdin: tty, stderr: tty, env: {} }, "--no-input"],
    [{}, { stdin: tty, stderr: tty, env: { CI: "true" } }, "CI is set"],
    [{}, { stdin: {}, stderr: tty, env: {} }, "stdin is not a terminal"],
    [{}, { stdin: tty, stderr: {}, env: {} }, "stderr is not a terminal"],
    [{}, { stdin: tty, stderr: tty, env: {} }, undefined],
  ])("%j %j → %s", (opts, io, problem) => {
    expect(interactiveProblem(opts, io)).toBe(problem);
  });
});

describe("tour pitfalls", () => {
  it("name scenarios that exist", async () => {
    const ids = new Set((await allScenarios()).map((s) => s.id));
    for (const id of Object.keys(PITFALLS)) expect(ids.has(id), id).toBe(true);
  });
});

describe("tour: the router", () => {
  async function parseTour(argv: string[]): Promise<TourCliOptions[]> {
    const calls: TourCliOptions[] = [];
    const program = createProgram({ tour: async (opts) => void calls.push(opts) });
    program.configureOutput({ writeOut: () => {}, writeErr: () => {} });
    await program.parseAsync(["node", "redis-patterns", ...argv]);
    return calls;
  }

  it("passes the pattern and --no-input", async () => {
    expect((await parseTour(["tour"]))[0]).toMatchObject({ input: true });
    expect((await parseTour(["tour"]))[0]!.pattern).toBeUndefined();
    expect((await parseTour(["tour", "lock/no-lock"]))[0]).toMatchObject({ pattern: "lock/no-lock", input: true });
    expect((await parseTour(["--json", "tour", "--no-input", "queue"]))[0]).toMatchObject({
      pattern: "queue",
      input: false,
      json: true,
    });
  });

  it("an unknown pattern is refused before connecting, naming the patterns", async () => {
    await expect(selectStart("nosuch")).rejects.toThrow(
      /unknown pattern "nosuch": choose one of ratelimit, cache, .*queue/,
    );
    expect((await selectStart("lock")).patterns.map((p) => p.entry.name)).toEqual(["lock"]);
    expect((await selectStart("queue/list")).first?.id).toBe("queue/list");
  });
});
