/**
 * The trace is exact: what `--json` lists as sent is what the server received, command for command, argument for
 * argument. A MONITOR connection on a throwaway server watches the built CLI (a child process) and the two sequences
 * are compared.
 *
 * What MONITOR shows on Redis 7.0 (checked on this server by the first test, relied on by the others):
 *  - Commands are shown as the client sent them (argument case kept), in the order the server ran them.
 *  - AUTH and HELLO … AUTH are NOT hidden: they appear with the secret replaced by "(redacted)" (the trace writes
 *    "[redacted]"). The connection handshake (AUTH, SELECT, CLIENT SETNAME) therefore does appear.
 *  - Hidden: commands flagged `admin` (CONFIG, DEBUG, …), and commands rejected before they run (unknown command,
 *    wrong number of arguments, NOPERM, NOAUTH, …).
 *  - `skip_monitor` is set on exactly the script calls (EVAL, EVALSHA, their _RO forms, FCALL, FCALL_RO), yet they are
 *    shown: the flag only stops the generic after-execution feed, and the scripting engine shows the call itself
 *    before the script runs. So EVAL/EVALSHA comes before the commands its script runs, which appear with source
 *    "lua", not the client's address.
 *  - An EVALSHA answered with NOSCRIPT IS shown (like any script call, before the SHA is looked up), with no "lua"
 *    lines after it. (Redis before 7.0 fed MONITOR differently; this file asserts the 7.0 behaviour it relies on.)
 *  - QUIT is shown (on 7.0 it is not in the command table; COMMAND INFO quit is nil); the trace ends each
 *    connection with it too, as the last of the cleanup commands.
 *  - A transaction's queued commands are shown when EXEC runs them (MULTI, the commands, EXEC: the trace's order).
 *    When EXEC is aborted because a WATCHed key changed (EXEC → nil) they never run, and MONITOR shows only MULTI
 *    and EXEC: the comparison leaves those queued commands out (the trace keeps them, with their QUEUED replies).
 * The comparison accounts for each of these explicitly: the trace may not contain an admin command, a skip_monitor
 * command other than the script calls, or a pre-execution rejection (asserted, via COMMAND INFO), and the handshake
 * is compared with the redaction mark translated.
 */
import { createHash, randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedCommand } from "../../src/redis/recorder.js";
import { REDACTED } from "../../src/redis/redact.js";
import type { RunReport } from "../../src/runner/report.js";
import { useRedisServer } from "../helpers/redis.js";
import { assertBuilt } from "../helpers/cli.js";
import {
  MONITOR_REDACTED,
  SCRIPT_CALLS,
  documentedCommands,
  documentedRecords,
  drain,
  expectExactTrace,
  scriptInnerLines,
  traceProblems,
  tracedRun,
  watch,
  type HiddenOnPurpose,
  type Watched,
} from "./trace-compare.js";

const ALGORITHMS = ["fixed-window", "sliding-log", "sliding-counter", "token-bucket"] as const;
const PASSWORD = `pw-${randomBytes(6).toString("hex")}`;

const plain = useRedisServer();
const secured = useRedisServer(["--requirepass", PASSWORD]);

const watched: Record<"plain" | "secured", Watched> = {} as Record<"plain" | "secured", Watched>;

beforeAll(async () => {
  assertBuilt();
  watched.plain = await watch(plain);
  watched.secured = await watch(secured, PASSWORD);
});

afterAll(async () => {
  for (const w of Object.values(watched)) {
    w.tap.close();
    await w.control.quit().catch(() => w.control.disconnect());
  }
});

describe("what MONITOR shows on this server", () => {
  it("redacts AUTH; hides admin and rejected commands; shows NOSCRIPT, EVAL before its lua lines, QUIT", async () => {
    const w = watched.secured;
    await drain(w);
    const probe = new Redis({
      host: w.server().host,
      port: w.server().port,
      password: PASSWORD,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableReadyCheck: false,
    });
    await probe.connect();
    const swallow = (p: Promise<unknown>) => p.catch((err: Error) => err.message);
    await probe.call("CLIENT", "SETNAME", "probe");
    await probe.call("CONFIG", "GET", "maxmemory"); // admin
    await probe.call("DEBUG", "SLEEP", "0"); // admin
    await swallow(probe.call("NOSUCHCOMMAND")); // rejected before running
    await swallow(probe.call("GET")); // wrong number of arguments: rejected before running
    await swallow(probe.call("EVALSHA", "0".repeat(40), 0)); // NOSCRIPT: shown
    await probe.call("EVAL", "redis.call('SET', KEYS[1], 'x'); return redis.call('DEL', KEYS[1])", 1, "probe:k");
    await probe.quit();
    const lines = await drain(w);
    // skip_monitor is on the script calls only, which are shown regardless (below): nothing else is silently hidden.
    const skipMonitor: string[] = [];
    const walk = (list: unknown[][]): void => {
      for (const c of list) {
        if ((c[2] as string[]).includes("skip_monitor")) skipMonitor.push(String(c[0]));
        if (Array.isArray(c[9])) walk(c[9] as unknown[][]);
      }
    };
    walk((await w.control.call("COMMAND")) as unknown[][]);
    expect(skipMonitor.sort()).toEqual(SCRIPT_CALLS);
    const probeSource = lines.find((l) => l.argv[0] === "client" || l.argv[0] === "CLIENT")?.source;
    const shown = lines
      .filter((l) => l.source === probeSource || l.source === "lua")
      .map((l) => [l.source === "lua" ? "lua" : "probe", ...l.argv]);
    expect(shown).toEqual([
      ["probe", "auth", MONITOR_REDACTED],
      ["probe", "CLIENT", "SETNAME", "probe"],
      ["probe", "EVALSHA", "0".repeat(40), "0"],
      ["probe", "EVAL", "redis.call('SET', KEYS[1], 'x'); return redis.call('DEL', KEYS[1])", "1", "probe:k"],
      ["lua", "SET", "probe:k", "x"],
      ["lua", "DEL", "probe:k"],
      ["probe", "quit"],
    ]);
  });
});

describe("the --json trace equals what MONITOR saw", () => {
  for (const algo of ALGORITHMS) {
    it(`ratelimit --algo ${algo} (default traffic)`, async () => {
      await expectExactTrace(watched.plain, await tracedRun(watched.plain, ["ratelimit", "--algo", algo]));
    });
  }

  for (const algo of ALGORITHMS) {
    it(`ratelimit --algo ${algo} --traffic burst --clients 2 --cost 2`, async () => {
      const run = await tracedRun(watched.plain, [
        "ratelimit",
        "--algo",
        algo,
        "--traffic",
        "burst",
        "--clients",
        "2",
        "--cost",
        "2",
      ]);
      await expectExactTrace(watched.plain, run);
      // Both identifiers' keys were used: the multi-client run really sent commands for each.
      const keys = documentedCommands(run.report).map((c) => c.argv.join(" "));
      expect(keys.some((k) => k.includes(":{alice}:"))).toBe(true);
      expect(keys.some((k) => k.includes(":{bob}:"))).toBe(true);
    });
  }

  it("ratelimit --compare", async () => {
    const run = await tracedRun(watched.plain, ["ratelimit", "--compare"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual(ALGORITHMS.map((a) => `ratelimit/${a}`));
  });

  it("session (four variants: app servers on own connections, pipelines, MULTI/EXEC, an aborted WATCH)", async () => {
    const run = await tracedRun(watched.plain, ["session"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual([
      "session/string",
      "session/hash",
      "session/lost-update",
      "session/read-latency",
    ]);
    // The aborted transaction is in the document (its SET answered QUEUED, its EXEC nil), and MONITOR shows no SET
    // for it.
    const aborted = documentedCommands(run.report).filter((c) => /^exec$/i.test(c.argv[0]!) && c.reply === null);
    expect(aborted).toHaveLength(1);
  });

  // One algorithm per run: each worker label then names one connection (the comparison reuses worker-1 per scenario).
  for (const args of [["--algo", "simple"], ["--algo", "watchdog"], ["--algo", "fencing"], ["--no-lock"]]) {
    it(`lock ${args.join(" ")} (workers on their own connections, renewals from a timer)`, async () => {
      const run = await tracedRun(watched.plain, ["lock", ...args]);
      await expectExactTrace(watched.plain, run);
      const clients = new Set(documentedCommands(run.report).map((c) => c.client));
      expect([...clients].sort()).toEqual(["main", "worker-1", "worker-2", "worker-3"]);
    });
  }

  it("hll (100,000 addresses in batches of 10,000 per PFADD/SADD; PFMERGE of 7 days)", async () => {
    const run = await tracedRun(watched.plain, ["hll"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual(["hll/unique-count", "hll/weekly-merge"]);
    // Every one of the 100,000 addresses went over the wire in the PFADDs, and the trace has each of them.
    const pfadded = documentedCommands(run.report).filter(
      (c) => c.argv[0] === "PFADD" && c.argv[1]!.endsWith(":unique-ips:{api}"),
    );
    expect(pfadded.reduce((n, c) => n + c.argv.length - 2, 0)).toBe(100_000);
  });

  it("hll --trials 3 --count 20000 (items generated by a Lua script inside the server)", async () => {
    await expectExactTrace(watched.plain, await tracedRun(watched.plain, ["hll", "--trials", "3", "--count", "20000"]));
  });

  it("analytics (counters with MULTI/EXEC, trending with a second instance, a stream time series)", async () => {
    const run = await tracedRun(watched.plain, ["analytics"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual([
      "analytics/counters",
      "analytics/trending",
      "analytics/timeseries",
    ]);
    expect(new Set(documentedCommands(run.report).map((c) => c.client))).toEqual(new Set(["main", "web-2"]));
  });

  it("queue (list, reliable, stream; blocking pops and reads; consumers dying mid-batch send no QUIT)", async () => {
    const run = await tracedRun(watched.plain, ["queue"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual(["queue/list", "queue/reliable", "queue/stream"]);
    const commands = documentedCommands(run.report);
    // The crashed consumers' connections closed without a QUIT; the restarted ones and the others end with one.
    for (const kind of ["list", "reliable", "stream"]) {
      const mine = (client: string) => commands.filter((c) => c.client === client).map((c) => c.argv[0]!.toUpperCase());
      expect(mine(`${kind}:consumer-1`)).not.toContain("QUIT");
      expect(mine(`${kind}:consumer-2`)).not.toContain("QUIT");
      expect(mine(`${kind}:consumer-2-restarted`).at(-1)).toBe("QUIT");
    }
    for (const name of ["BRPOP", "BLMOVE", "XREADGROUP", "XAUTOCLAIM", "XPENDING"])
      expect(
        commands.some((c) => c.argv[0] === name),
        name,
      ).toBe(true);
  });

  it("cache (four strategies on SQLite; write-behind's worker on own connection; db statements left out)", async () => {
    const run = await tracedRun(watched.plain, ["cache"]);
    await expectExactTrace(watched.plain, run);
    expect(run.report.scenarios.map((s) => s.id)).toEqual([
      "cache/cache-aside",
      "cache/read-through",
      "cache/write-through",
      "cache/write-behind",
    ]);
    expect(new Set(documentedCommands(run.report).map((c) => c.client))).toEqual(new Set(["main", "worker"]));
    // The database statements are in the document (and numbered with the commands), but not among the Redis commands.
    const statements = documentedRecords(run.report).filter((c) => c.source === "db");
    expect(statements.length).toBeGreaterThan(0);
    expect(run.lines.some((l) => /^(SELECT|UPDATE|CREATE|DROP)\b/.test(l.argv[0] ?? ""))).toBe(false);
  });

  for (const args of [
    ["--invalidate", "event"],
    ["--invalidate", "versioned"],
    ["--stampede", "--protect", "lock"],
    ["--stampede", "--protect", "early-expiry"],
    ["--race"],
  ]) {
    it(`cache ${args.join(" ")} (instances, resubscribing subscribers, concurrent clients, pipelines)`, async () => {
      await expectExactTrace(watched.plain, await tracedRun(watched.plain, ["cache", ...args]));
    });
  }

  it("leaderboard (ZADDs in pipelines, MULTI/EXEC per day, ZUNIONSTORE, an expiry; admin CONFIG GET out)", async () => {
    const configGet: HiddenOnPurpose = (c) =>
      c.argv.length === 3 && c.argv[0] === "CONFIG" && c.argv[1] === "GET" && c.argv[2] === "zset-max-listpack-entries";
    const run = await tracedRun(watched.plain, ["leaderboard"]);
    await expectExactTrace(watched.plain, run, configGet);
    expect(run.report.scenarios.map((s) => s.id)).toEqual([
      "leaderboard/global",
      "leaderboard/time-scoped",
      "leaderboard/ties",
    ]);
    // MONITOR shows the 1,000-member ZADD whole: 2,002 arguments, as the document has them.
    const seed = run.lines.find(
      (l) => l.argv[0]?.toUpperCase() === "ZADD" && l.argv[1]!.endsWith(":leaderboard:{global}"),
    );
    expect(seed?.argv).toHaveLength(2_002);
  });

  it("a password and a database in the URL: AUTH (redacted on both sides) and SELECT are the handshake", async () => {
    const run = await tracedRun(watched.secured, ["ratelimit", "--algo", "token-bucket"]);
    await expectExactTrace(watched.secured, run);
    expect(run.report.setup.commands.filter((c) => c.phase === "handshake").map((c) => c.argv)).toEqual([
      ["auth", REDACTED],
      ["select", "3"],
      ["client", "setname", "redis-patterns"],
    ]);
    const cli = run.lines.filter((l) => l.source !== "lua" && !watched.secured.own.has(l.source));
    expect(cli[0]!.argv).toEqual(["auth", MONITOR_REDACTED]);
    expect(cli.slice(1).every((l) => l.db === 3)).toBe(true);
    expect(run.lines.some((l) => l.raw.includes(PASSWORD))).toBe(false);
    expect(run.result.stdout).not.toContain(PASSWORD);
  });

  it("after SCRIPT FLUSH a script's first call is EVALSHA → NOSCRIPT → EVAL, in the document and MONITOR", async () => {
    const w = watched.plain;
    await w.control.call("SCRIPT", "FLUSH");
    const run = await tracedRun(w, ["ratelimit", "--compare"]);
    await expectExactTrace(w, run); // includes the failed EVALSHAs, which MONITOR does show on 7.0

    const commands = documentedCommands(run.report);
    expect(run.report.scripts).toHaveLength(4);
    for (const script of run.report.scripts) {
      expect(createHash("sha1").update(script.lua).digest("hex")).toBe(script.sha);
      const calls = commands.filter((c) => c.argv[0] === "EVALSHA" && c.argv[1] === script.sha);
      const first = calls[0]!;
      expect(first.error, script.name).toMatch(/^NOSCRIPT/);
      expect(calls.slice(1).every((c) => c.error === undefined)).toBe(true);
      const fallback = commands[commands.indexOf(first) + 1]!;
      expect(fallback.argv).toEqual(["EVAL", script.lua, ...first.argv.slice(2)]);
      expect(fallback.error).toBeUndefined();
    }
    // The four fallbacks, and the EVAL that gives the run's prefix marker back (src/redis/ownership.ts).
    expect(commands.filter((c) => c.argv[0] === "EVAL" && !c.argv[3]?.endsWith(":rp-run"))).toHaveLength(4);

    // MONITOR: the NOSCRIPT EVALSHA line is there and ran nothing; the EVAL right after it ran the script.
    const { calls } = scriptInnerLines(run.lines, w.own);
    for (const script of run.report.scripts) {
      const i = calls.findIndex((c) => c.argv[1] === script.sha);
      expect(calls[i]!.argv[0]).toBe("EVALSHA");
      expect(calls[i]!.inner).toEqual([]);
      expect(calls[i + 1]!.argv[0]).toBe("EVAL");
      expect(calls[i + 1]!.argv[1]).toBe(script.lua);
      expect(calls[i + 1]!.inner.length).toBeGreaterThan(0);
    }
  });

  it("the comparison can fail: a dropped, an invented or an altered command is reported", async () => {
    const run = await tracedRun(watched.plain, ["ratelimit", "--algo", "fixed-window"]);
    expect(traceProblems(run.report, run.lines, watched.plain.own)).toEqual([]);
    const mutate = (edit: (steps: RecordedCommand[]) => void): RunReport => {
      const copy = structuredClone(run.report);
      edit(copy.scenarios[0]!.steps[0]!.commands);
      // Renumber, so only the comparison with MONITOR (not the seq check) can notice.
      documentedCommands(copy).forEach((c, i) => (c.seq = i + 1));
      return copy;
    };
    const dropped = mutate((cmds) => cmds.splice(1, 1));
    const invented = mutate((cmds) => cmds.splice(1, 0, { ...cmds[1]!, argv: ["GET", "invented"] }));
    const altered = mutate((cmds) => (cmds[1]!.argv = [...cmds[1]!.argv.slice(0, -1), "999"]));
    for (const report of [dropped, invented, altered]) {
      expect(traceProblems(report, run.lines, watched.plain.own).length).toBeGreaterThan(0);
    }
  });
});
