/**
 * smoke as a CI job meets it in the field: a user the ACL restricts, a server out of memory, a connection that drops.
 * One scenario's trouble never hides the others: each is skipped (with the reason) or fails on its own, and the
 * run goes on.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { parseJsonOutput, runCli, startCli } from "../helpers/cli.js";
import { plainClient, useRedisClient } from "../helpers/redis.js";
import type { RunReport as Report } from "../../src/runner/report.js";

const { server, redis: admin } = useRedisClient();
const dir = mkdtempSync(join(tmpdir(), "smoke-field-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A URL for an ACL user with every permission but the ones taken away. */
async function userUrl(name: string, ...rules: string[]): Promise<string> {
  await admin().call("ACL", "SETUSER", name, "reset", "on", ">pw", "~*", "&*", "+@all", ...rules);
  return `redis://${name}:pw@${server().host}:${server().port}`;
}

function byId(report: Report): Map<string, Report["scenarios"][number]> {
  return new Map(report.scenarios.map((s) => [s.id, s]));
}

describe("smoke in the field", () => {
  it("skips what the ACL user cannot run, with the reason, everywhere the result shows", async () => {
    const url = await userUrl("noscripts", "-@scripting");
    const only = ["--only", "ratelimit/fixed-window,lock/simple,cache/cache-aside"];
    const junit = join(dir, "skipped.xml");

    const json = await runCli(["smoke", ...only, "--json", "--junit", junit, "--url", url]);
    expect(json.code, json.stderr).toBe(0);
    const scenarios = byId(parseJsonOutput<Report>(json));
    expect(scenarios.get("cache/cache-aside")?.status).toBe("passed");
    for (const id of ["ratelimit/fixed-window", "lock/simple"]) {
      expect(scenarios.get(id)?.status, id).toBe("skipped");
      // The reason names the missing capability and why it is missing here.
      expect(scenarios.get(id)?.skipped).toMatch(/^EVALSHA, EVAL: denied to ACL user noscripts/);
    }
    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(/<testsuites [^>]*tests="3" failures="0" errors="0" skipped="2"/);
    expect(xml).toMatch(/name="lock\/simple"[^>]*>\s*<skipped message="EVALSHA, EVAL: denied to ACL user noscripts/);
    expect(json.stderr).toContain(`JUnit written to ${junit}`);

    const human = await runCli(["smoke", ...only, "--width", "200", "--url", url]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /Skipped \(this server cannot run them\):\n {2}– ratelimit\/fixed-window: EVALSHA, EVAL/,
    );
    expect(human.stdout.trim().split("\n").at(-1)).toMatch(
      /✓ no failures \(3 scenarios, \d+ commands\): 1 passed, 0 failed, 0 errored, 2 skipped, 0 inconclusive$/,
    );
  });

  it("--strict: the same skips fail the run, and JSON, JUnit and the human summary all say so", async () => {
    const url = await userUrl("noscripts", "-@scripting");
    const only = ["--only", "ratelimit/fixed-window,lock/simple,cache/cache-aside"];
    const strictJunit = join(dir, "strict.xml");
    const strictJson = await runCli(["smoke", ...only, "--strict", "--json", "--junit", strictJunit, "--url", url]);
    expect(strictJson.code).toBe(1);
    const strictReport = parseJsonOutput<Report>(strictJson);
    expect(strictReport.ok).toBe(false);
    const strictScenarios = byId(strictReport);
    for (const id of ["ratelimit/fixed-window", "lock/simple"]) {
      expect(strictScenarios.get(id)?.status, id).toBe("skipped");
      expect(strictScenarios.get(id)?.ok, id).toBe(false);
    }
    const strictXml = readFileSync(strictJunit, "utf8");
    expect(strictXml).toMatch(/<testsuites [^>]*tests="3" failures="2" errors="0" skipped="0"/);
    expect(strictXml).toMatch(
      new RegExp(
        /name="lock\/simple"[^>]*>\s*/.source +
          /<failure message="EVALSHA, EVAL: denied to ACL user noscripts[^"]*\(--strict\)" type="Skipped">/.source,
      ),
    );
    expect(strictXml).not.toContain("<skipped");

    const strict = await runCli(["smoke", ...only, "--strict", "--width", "200", "--url", url]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/lock\/simple: skipped \(EVALSHA, EVAL: denied/);
    expect(strict.stdout).toMatch(/Skipped \(this server cannot run them\) — they fail this run:\n {2}– ratelimit/);
    expect(strict.stdout.trim().split("\n").at(-1)).toMatch(
      new RegExp(
        /✗ not ok \(3 scenarios, \d+ commands\): 1 passed, 0 failed, 0 errored, 2 skipped, 0 inconclusive; /.source +
          /2 skipped or inconclusive fail this run$/.source,
      ),
    );
  }, 60_000);

  it("NOPERM in one scenario fails it, with its step and command; the others still run (exit 4)", async () => {
    // The time series reads its stream's shape with XINFO STREAM: only that command is refused.
    const url = await userUrl("noxinfo", "-xinfo");
    const junit = join(dir, "noperm.xml");
    const result = await runCli(["smoke", "--only", "analytics/*", "--json", "--junit", junit, "--url", url]);
    expect(result.code, result.stderr).toBe(4);
    const scenarios = byId(parseJsonOutput<Report>(result));
    expect([...scenarios.values()].map((s) => s.status)).toEqual(["passed", "passed", "errored"]);
    const failed = scenarios.get("analytics/timeseries")!;
    expect(failed.error).toMatch(/^permission denied: NOPERM .*'xinfo/);
    expect(failed.errorAt?.command).toMatch(/^XINFO STREAM rp:/);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(
      /type="ScenarioError">step: [^\n]+\ncommand: XINFO STREAM rp:[^\n]+\nerror: permission denied: NOPERM/,
    );
  });

  it("a command a scenario declares it needs, denied to the user, skips that scenario instead", async () => {
    const url = await userUrl("nozcard", "-zcard");
    const result = await runCli(["smoke", "--only", "ratelimit/*", "--json", "--url", url]);
    expect(result.code, result.stderr).toBe(0);
    const scenarios = byId(parseJsonOutput<Report>(result));
    expect([...scenarios.values()].map((s) => s.status)).toEqual(["passed", "skipped", "passed", "passed"]);
    expect(scenarios.get("ratelimit/sliding-log")?.skipped).toMatch(/^ZCARD: denied to ACL user nozcard/);
  });

  it("OOM inside MULTI is named OOM (not only EXECABORT), and every scenario still runs", async () => {
    await admin().call("CONFIG", "SET", "maxmemory", "1");
    try {
      const result = await runCli([
        "smoke",
        "--only",
        "session/hash,leaderboard/time-scoped",
        "--json",
        "--url",
        server().url,
      ]);
      expect(result.code).toBe(1);
      const report = parseJsonOutput<Report>(result);
      expect(report.scenarios.map((s) => s.status)).toEqual(["errored", "errored"]);
      for (const s of report.scenarios) {
        expect(s.error, s.id).toMatch(
          /^OOM command not allowed .*\(OOM inside MULTI: the server discarded the transaction/,
        );
        // The command named is the queued one the server refused, not the EXEC that reported it.
        expect(s.errorAt?.command, s.id).not.toMatch(/^exec/i);
      }
    } finally {
      await admin().call("CONFIG", "SET", "maxmemory", "0");
    }
  });

  it("a connection lost mid-scenario fails that scenario; the next one runs on a re-opened connection", async () => {
    // Watch the server: once queue/reliable has started (its producer's first LPUSH), drop every connection of the run.
    const monitor = plainClient(server());
    await monitor.call("CLIENT", "SETNAME", "test-monitor");
    const killer = plainClient(server());
    const mon = await (monitor as Redis).monitor();
    let killed = false;
    mon.on("monitor", (_time: string, args: string[]) => {
      if (killed || args[0]?.toUpperCase() !== "LPUSH" || !/:reliable:/.test(args[1] ?? "")) return;
      killed = true;
      void (async () => {
        const list = String(await killer.call("CLIENT", "LIST"));
        for (const line of list.split("\n")) {
          const id = /\bid=(\d+)/.exec(line)?.[1];
          if (id && /\bname=redis-patterns\b/.test(line)) await killer.call("CLIENT", "KILL", "ID", id).catch(() => {});
        }
      })();
    });
    try {
      const run = startCli(["smoke", "--only", "queue/reliable,queue/stream", "--json", "--url", server().url]);
      const result = await run.done;
      expect(killed).toBe(true);
      expect(result.code, result.stderr).toBe(3);
      const scenarios = byId(parseJsonOutput<Report>(result));
      expect(scenarios.get("queue/reliable")?.status).toBe("errored");
      expect(scenarios.get("queue/reliable")?.error).toMatch(/lost the server|Connection is closed/);
      expect(scenarios.get("queue/stream")?.status).toBe("passed");
      expect(result.stderr).toMatch(/reconnected to redis:\/\/127\.0\.0\.1/);
    } finally {
      mon.disconnect();
      monitor.disconnect();
      killer.disconnect();
    }
  });

  it("a real double hold fails (watchdog --no-renew) whatever the machine's load; with renewals never", async () => {
    const off = await runCli(["lock", "--algo", "watchdog", "--no-renew", "--json", "--url", server().url]);
    expect(off.code).toBe(1);
    const broken = parseJsonOutput<Report & { scenarios: { checks: { name: string; ok: boolean }[] }[] }>(off)
      .scenarios[0]!;
    expect(broken.status).toBe("failed");
    expect(broken.checks.find((c) => c.name.startsWith("no double hold"))?.ok).toBe(false);

    const on = await runCli(["lock", "--algo", "watchdog", "--json", "--url", server().url]);
    const kept = parseJsonOutput<Report & { scenarios: { inconclusive?: string }[] }>(on).scenarios[0]!;
    // On a busy machine the renewals may come too late to show the point: inconclusive, said why, never a failure.
    expect(["passed", "inconclusive"]).toContain(kept.status);
    if (kept.status === "inconclusive") expect(kept.inconclusive).toMatch(/renewal came \d+ ms after the previous one/);
    expect(on.code, on.stderr).toBe(0);
  });

  it("a stalled machine makes the watchdog inconclusive; --strict fails it; JSON, JUnit, summary agree", async () => {
    // The CLI busy-waits 450 ms (3 × the TTL) right as worker-1 starts its stall: no renewal can run, the lock expires.
    const env = { REDIS_PATTERNS_TEST_STALL: "lock-pitfall-stall:450" };
    const only = ["--only", "lock/watchdog,lock/no-lock"];
    const plain = await runCli(["smoke", ...only, "--width", "200", "--url", server().url], { env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(
      /Inconclusive \(this machine was too slow to show the point\):\n {2}\? lock\/watchdog: a renewal came/,
    );
    expect(plain.stdout.trim().split("\n").at(-1)).toMatch(
      /✓ no failures \(2 scenarios, \d+ commands\): 1 passed, 0 failed, 0 errored, 0 skipped, 1 inconclusive$/,
    );

    const junit = join(dir, "inconclusive.xml");
    const strict = await runCli(["smoke", ...only, "--strict", "--json", "--junit", junit, "--url", server().url], {
      env,
    });
    expect(strict.code).toBe(1);
    const report = parseJsonOutput<Report & { scenarios: { inconclusive?: string }[] }>(strict);
    expect(report.ok).toBe(false);
    const watchdog = byId(report).get("lock/watchdog") as Report["scenarios"][number] & { inconclusive?: string };
    expect(watchdog.status).toBe("inconclusive");
    expect(watchdog.ok).toBe(false);
    expect(watchdog.inconclusive).toMatch(/event loop stalled up to \d+ ms/);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(/<testsuites [^>]*tests="2" failures="1" errors="0" skipped="0"/);
    expect(xml).toMatch(
      /name="lock\/watchdog"[^>]*>\s*<failure message="inconclusive: a renewal came[^"]*" type="Inconclusive">/,
    );
  }, 60_000);

  it("a TTL shorter than this machine can show is inconclusive, not a failure; --strict fails on it", async () => {
    // 1 ms: the entries expire before any read can see them; the run says so instead of failing the check.
    const args = ["cache", "--invalidate", "versioned", "--ttl", "1ms", "--json", "--url", server().url];
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(0);
    const scenario = parseJsonOutput<Report & { scenarios: { inconclusive?: string }[] }>(result).scenarios[0]!;
    expect(scenario.status).toBe("inconclusive");
    expect(scenario.inconclusive).toMatch(/past their 1 ms TTL: this machine was too slow/);
  });
});
