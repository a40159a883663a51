/**
 * `redis-patterns doctor` as a user runs it: exit 0 when every pattern is ok (an AOF server), 1 when one is at risk
 * (no persistence) or unsupported, 2 for a bad --only, 3 when nothing answers, 4 for a wrong password; `--json` is one
 * document with the facts, the verdicts and every command sent; a refused CONFIG leaves the exit code alone.
 */
import { describe, expect, it } from "vitest";
import { freePort } from "../../src/redis/throwaway-server.js";
import { ANSI, lines, parseJsonOutput, runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";
import type { DoctorReport } from "../../src/cli/render/doctor.js";

const PASSWORD = "Doctor-e2e-Pw4Zk8";
const plain = useRedisServer();
const aof = useRedisServer(["--appendonly", "yes"]);
const secured = useRedisServer(["--requirepass", PASSWORD, "--appendonly", "yes"]);
const noConfig = useRedisServer({ config: 'rename-command CONFIG ""\n' });

describe("doctor exit codes", () => {
  it("0 when every pattern is ok (AOF, no memory limit, scripts run, every command allowed)", async () => {
    const result = await runCli(["doctor", "--url", aof().url, "--pings", "10", "--trace", "full"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/✓ all 9 patterns ok/);
    expect(result.stdout).toMatch(/persistence +│ RDB off \(save ""\) · AOF on, appendfsync everysec/);
    // The trace, as every command prints it.
    expect(result.stdout).toMatch(/EVAL "return redis.call\('TIME'\)" 0 +→ 1\) "\d+" 2\) "\d+"/);
    expect(result.stdout).toMatch(/ACL DRYRUN default EVALSHA 0{40} 1 rp:[0-9a-f]{8}:doctor:\{acl\}:a +→ OK/);
    expect(result.stdout).not.toMatch(ANSI);
  });

  it("no persistence: queue, write-behind at risk, a warning, exit 0; --strict: exit 1, one error line", async () => {
    const result = await runCli(["doctor", "--url", plain().url, "--pings", "5"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    // Verdict first: the count before the per-pattern list, the list before the server's facts.
    expect(result.stdout).toMatch(/^! 6 of 9 patterns ok · 3 at risk \(warning; exit 1 only with --strict\)$/m);
    expect(result.stdout).toMatch(/queue +! warning\n +! no persistence/);
    expect(result.stdout.indexOf("6 of 9 patterns ok")).toBeLessThan(result.stdout.indexOf("Server"));
    // The probes only with --trace.
    expect(result.stdout).not.toMatch(/PING +→ PONG/);
    expect(result.stdout).toMatch(/\d+ probes, \d+ commands sent \(--trace summary or --trace full shows them\)/);
    const strict = await runCli(["doctor", "--url", plain().url, "--strict", "--pings", "5"]);
    expect(strict.code).toBe(1);
    expect(lines(strict.stderr)).toEqual([
      "redis-patterns: 3 of 9 patterns unsupported or at risk (--strict): " +
        "cache (warning), queue (warning), primary (warning)",
    ]);
  });

  it("0 with --only ratelimit,lock on the same server: persistence does not matter to them", async () => {
    const result = await runCli([
      "doctor",
      "--url",
      plain().url,
      "--only",
      "ratelimit,lock",
      "--trace",
      "summary",
      "--pings",
      "20",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Checks {2}ratelimit, lock/);
    expect(result.stdout).toMatch(/✓ all 2 patterns ok/);
    expect(result.stdout).toMatch(/… \d+ more commands \(--trace full shows them all\)/);
  });

  it("2 for an unknown pattern in --only, before connecting", async () => {
    const result = await runCli(["doctor", "--only", "ratelimit,queues", "--url", "redis://127.0.0.1:1"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(
      new RegExp(
        /unknown pattern "queues" in --only: /.source +
          /choose from ratelimit, cache, session, leaderboard, hll, analytics, lock, queue/.source,
      ),
    );
  });

  it("3 when nothing answers, also with --json", async () => {
    const port = await freePort();
    const result = await runCli(["doctor", "--json", "--url", `redis://127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    expect(parseJsonOutput(result)).toMatchObject({
      schemaVersion: 1,
      ok: false,
      error: { exitCode: 3, message: expect.stringMatching(/connection refused/) },
    });
  });

  it("4 for a wrong password, and the password appears nowhere", async () => {
    const result = await runCli(["doctor", "--url", `redis://:wrong-${PASSWORD}@127.0.0.1:${secured().port}`]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/authentication failed/);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it("0 with the right password, which is redacted in the setup trace", async () => {
    const result = await runCli([
      "doctor",
      "--json",
      "--pings",
      "3",
      "--url",
      `redis://:${PASSWORD}@127.0.0.1:${secured().port}`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain(PASSWORD);
    const doc = parseJsonOutput<DoctorReport>(result);
    expect(doc.setup.commands.some((c) => c.argv[0]!.toUpperCase() === "AUTH" && c.argv.includes("[redacted]"))).toBe(
      true,
    );
  });

  it("a refused CONFIG is reported as unknown, not as an error: the exit code is the verdicts'", async () => {
    const result = await runCli([
      "doctor",
      "--json",
      "--only",
      "leaderboard,hll,lock",
      "--pings",
      "3",
      "--url",
      noConfig().url,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const doc = parseJsonOutput<DoctorReport>(result);
    expect(doc.ok).toBe(true);
    expect(doc.error).toBeUndefined();
    expect(doc.doctor!.facts.unknowns.map((u) => u.what)).toContain("CONFIG GET maxmemory-policy");
    expect(doc.doctor!.facts.persistence).toMatchObject({ rdbSave: "unknown", source: "info" });
    const human = await runCli([
      "doctor",
      "--width",
      "250",
      "--only",
      "queue",
      "--pings",
      "3",
      "--url",
      noConfig().url,
    ]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/refused +│ CONFIG GET maxmemory, maxmemory-policy, save, appendonly,/);
    expect(human.stdout).toMatch(/unknown command 'CONFIG'/);
    expect(human.stdout).toMatch(/persistence unknown \(CONFIG GET refused/);
  });
});

describe("doctor --json", () => {
  it("one document: envelope, facts, verdicts, and every command sent, in order, ending with QUIT", async () => {
    const result = await runCli(["doctor", "--json", "--strict", "--pings", "10", "--url", plain().url], {
      env: { FORCE_COLOR: "1" },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toMatch(ANSI);
    const doc = parseJsonOutput<DoctorReport>(result);
    expect(doc).toMatchObject({
      schemaVersion: 1,
      ok: false,
      command: "doctor",
      target: { url: plain().url, server: "Redis", mode: "standalone" },
    });
    expect(doc.error).toBeUndefined();
    expect(doc.doctor!.patterns).toEqual([
      "ratelimit",
      "cache",
      "session",
      "leaderboard",
      "hll",
      "analytics",
      "lock",
      "queue",
      "primary",
    ]);
    expect(doc.doctor!.counts).toEqual({ ok: 6, warning: 3, unsupported: 0 });
    expect(doc.doctor!.verdicts.map((v) => [v.pattern, v.verdict])).toEqual([
      ["ratelimit", "ok"],
      ["cache", "warning"],
      ["session", "ok"],
      ["leaderboard", "ok"],
      ["hll", "ok"],
      ["analytics", "ok"],
      ["lock", "ok"],
      ["queue", "warning"],
      ["primary", "warning"],
    ]);
    for (const key of [
      "server",
      "mode",
      "persistence",
      "memory",
      "lua",
      "clock",
      "latency",
      "commandTable",
      "acl",
      "unknowns",
    ]) {
      expect(doc.doctor!.facts, key).toHaveProperty(key);
    }
    expect(doc.doctor!.facts.latency).toMatchObject({ samples: 10 });

    // The exact trace: the steps account for every command but the final QUIT, sequence numbers run on from the setup.
    const total = doc.doctor!.steps.reduce((n, s) => n + s.commands, 0);
    expect(doc.commands).toHaveLength(total + 1);
    expect(doc.commands.at(-1)!.argv[0]!.toUpperCase()).toBe("QUIT");
    const seqs = [...doc.setup.commands, ...doc.commands].map((c) => c.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    for (const cmd of doc.commands) {
      expect("reply" in cmd || "error" in cmd, cmd.argv.join(" ")).toBe(true);
      expect(cmd.ms).toBeGreaterThanOrEqual(0);
    }
    expect(doc.commands.filter((c) => c.argv[0] === "PING")).toHaveLength(10);
    expect(doc.doctor!.steps.map((s) => s.title)).toEqual([
      "server (INFO)",
      "configuration (CONFIG GET)",
      "Lua scripts (EVAL)",
      "clock (TIME)",
      "latency (10 × PING)",
      "ACL permissions (ACL WHOAMI, ACL DRYRUN)",
    ]);
  });
});
