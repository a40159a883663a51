/**
 * Lost connections (issue 12, case 5): after CLIENT KILL mid-run, or a server stalled past --timeout (CLIENT PAUSE,
 * DEBUG SLEEP), the end-of-run cleanup reconnects (same URL and credentials) and deletes what the run created; when
 * it truly cannot, the last stderr line names the prefix and the exact `redis-patterns cleanup --prefix …` command,
 * which then removes what was left. Against a real redis-server holding thousands of someone else's keys, DEBUG
 * DIGEST compared before and after.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { cleanupCommand } from "../../src/cli/run-cleanup.js";
import { markerKey } from "../../src/redis/ownership.js";
import { runCli, scanKeys, startCli, waitFor, type CliResult } from "../helpers/cli.js";
import { digest, fillForeignData } from "../helpers/foreign-data.js";
import { plainClient, useRedisClient } from "../helpers/redis.js";

const { server, redis: admin } = useRedisClient();
let baseline: string;
beforeAll(async () => {
  await fillForeignData(admin());
  baseline = await digest(admin());
}, 30_000);

const fresh = (name: string) => `rp:${name}${randomBytes(3).toString("hex")}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start a run under `prefix` and resolve once it has written a key of its own (not only its marker). */
async function startWriting(args: string[], prefix: string, timeoutMs = 60_000) {
  const run = startCli([...args, "--prefix", prefix, "--trace", "off", "--url", server().url], { timeoutMs });
  await waitFor(
    `a key of ${args.join(" ")}`,
    async () => run.child.exitCode !== null || (await scanKeys(admin(), prefix)).some((k) => k !== markerKey(prefix)),
    20_000,
  );
  return run;
}

/** The run's connections: every client named redis-patterns (CLIENT KILL … SKIPME yes spares the admin's own). */
async function killRunConnections(): Promise<void> {
  await admin().call("CLIENT", "KILL", "TYPE", "normal");
}

async function expectNothingLeft(result: CliResult, prefix: string): Promise<void> {
  expect(await scanKeys(admin(), prefix), `keys left; stderr: ${result.stderr}`).toEqual([]);
  expect(await digest(admin())).toBe(baseline);
}

describe("CLIENT KILL TYPE normal mid-run: the cleanup reconnects and deletes what the run created", () => {
  const runs: [string[], number][] = [
    [["ratelimit", "--clock", "real", "--window", "2s", "--traffic", "steady"], 0],
    [["ratelimit", "--compare"], 50],
    [["queue"], 0],
    [["queue", "--variant", "stream"], 200],
    [["session"], 100],
    [["leaderboard"], 0],
    [["hll"], 150],
    [["analytics"], 0],
    [["lock"], 100],
    [["cache", "--strategy", "write-behind"], 50],
    [["smoke"], 1_000],
  ];
  for (const [args, delayMs] of runs) {
    it(`${args.join(" ")}, ${delayMs}-${delayMs + 200} ms after its first key`, async () => {
      const prefix = fresh("kill");
      const run = await startWriting(args, prefix);
      // At a random moment near the chosen one: a failure names it.
      const at = delayMs + Math.floor(Math.random() * 200);
      await sleep(at);
      await killRunConnections();
      const result = await run.done;
      // Exit 3 when a scenario lost the server (0 or 1 when the kill fell between commands or on a blocked read).
      expect([0, 1, 3], `killed ${at} ms after the first key; ${result.stderr}`).toContain(result.code);
      expect(result.stderr).not.toMatch(/internal error|could not delete/);
      await expectNothingLeft(result, prefix);
    }, 90_000);
  }

  it("killed twice, the second time during the cleanup's own reconnect window", async () => {
    const prefix = fresh("kill2");
    const run = await startWriting(["queue"], prefix);
    await killRunConnections();
    await sleep(30);
    await killRunConnections();
    const result = await run.done;
    await expectNothingLeft(result, prefix);
  }, 60_000);
});

describe("a server stalled past --timeout: the cleanup waits it out", () => {
  it("CLIENT PAUSE 3 s with --timeout 500ms: exit 3, every key deleted", async () => {
    const prefix = fresh("pause");
    const run = await startWriting(["session", "--timeout", "500ms"], prefix);
    await admin().call("CLIENT", "PAUSE", "3000", "ALL");
    const result = await run.done;
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/cleanup failed \(Command timed out\): retrying/);
    expect(result.stderr).not.toMatch(/could not delete/);
    await expectNothingLeft(result, prefix);
  }, 60_000);

  it("DEBUG SLEEP 2 with --timeout 500ms: every key deleted", async () => {
    const prefix = fresh("sleep");
    // A run that sends a request every ~130 ms for ~5 s (a real-clock window): the stall is sure to catch it mid-run.
    // A short scenario (queue, 1.4 s) could end before its first key was seen, and the stall then hit nobody (exit 0).
    const args = ["ratelimit", "--algo", "sliding-log", "--clock", "real", "--window", "2s", "--traffic", "steady"];
    const run = await startWriting([...args, "--timeout", "500ms"], prefix);
    expect(run.child.exitCode, "the run ended before the stall").toBeNull();
    // DEBUG SLEEP blocks the whole server, the admin connection included: sent from a connection of its own.
    const sleeper = plainClient(server());
    try {
      await sleeper.call("DEBUG", "SLEEP", "2");
    } finally {
      sleeper.disconnect();
    }
    const result = await run.done;
    expect([1, 3], result.stderr).toContain(result.code);
    await expectNothingLeft(result, prefix);
  }, 60_000);
});

describe("CLIENT PAUSE past --timeout at a random moment, in every pattern: nothing left", () => {
  const runs: string[][] = [
    ["ratelimit", "--compare"],
    ["cache"],
    ["session", "--variant", "hash"],
    ["hll"],
    ["leaderboard"],
    ["analytics"],
    ["lock"],
    ["queue", "--variant", "reliable"],
    ["smoke"],
  ];
  for (const args of runs) {
    it(`${args.join(" ")}: paused 2 s (--timeout 500ms) within 400 ms of its first key`, async () => {
      const prefix = fresh("pause");
      const delayMs = Math.floor(Math.random() * 400);
      const run = await startWriting([...args, "--timeout", "500ms"], prefix);
      await sleep(delayMs);
      await admin().call("CLIENT", "PAUSE", "2000", "ALL");
      const result = await run.done;
      // Exit 3 when a command timed out in the pause; 0 or 1 when the pause fell where nothing was waiting on it.
      expect([0, 1, 3], `paused ${delayMs} ms after the first key; ${result.stderr}`).toContain(result.code);
      expect(result.stderr, `paused ${delayMs} ms after the first key`).not.toMatch(/internal error|could not delete/);
      await expectNothingLeft(result, prefix);
    }, 90_000);
  }
});

describe("three runs racing for one prefix", () => {
  it("exactly one runs; the others exit 2 naming it, having written nothing; nothing is left", async () => {
    const prefix = fresh("race");
    // The winner holds the prefix for seconds (300,000 players built, loaded, measured): the other two, started with
    // it, meet its marker however the machine schedules their start.
    const runs = [0, 1, 2].map(() =>
      startCli(
        [
          "leaderboard",
          "--variant",
          "global",
          "--players",
          "300000",
          "--prefix",
          prefix,
          "--trace",
          "off",
          "--url",
          server().url,
        ],
        {
          timeoutMs: 60_000,
        },
      ),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join("\n")).toEqual([0, 2, 2]);
    for (const refused of results.filter((r) => r.code === 2)) {
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
      expect(refused.stderr).toMatch(/is in use by another redis-patterns run/);
    }
    await expectNothingLeft(results[0]!, prefix);
  }, 90_000);
});

describe("when the cleanup truly cannot finish", () => {
  it("the last line names the prefix and the exact cleanup command, which then removes what is left", async () => {
    const prefix = fresh("stuck");
    const run = await startWriting(["session", "--timeout", "300ms"], prefix);
    // Writes paused longer than the cleanup's patience (10 s with --timeout 300ms); then lifted.
    await admin().call("CLIENT", "PAUSE", "30000", "WRITE");
    let result: CliResult;
    try {
      result = await run.done;
    } finally {
      await admin().call("CLIENT", "UNPAUSE");
    }
    expect(result.code, result.stderr).toBe(3);
    const last = result.stderr.trim().split("\n").at(-1)!;
    const command = `redis-patterns cleanup --prefix ${prefix} --url ${server().url}`;
    expect(last).toMatch(new RegExp(`left under ${prefix}\\b`));
    expect(last.endsWith(`remove them with: ${command}`), last).toBe(true);
    // The command as printed (less the program name), with --yes since this is no terminal.
    const cleanup = await runCli([...command.split(" ").slice(1), "--yes"]);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    await expectNothingLeft(cleanup, prefix);
  }, 90_000);
});

describe("the cleanup command shown", () => {
  it("has --url only for a target other than the default, never the password, and the TLS and cluster options", () => {
    expect(cleanupCommand({}, "rp:abc", undefined)).toBe("redis-patterns cleanup --prefix rp:abc");
    expect(cleanupCommand({ url: "redis://127.0.0.1:6379" }, "rp:abc")).toBe("redis-patterns cleanup --prefix rp:abc");
    expect(cleanupCommand({ url: "redis://app:s3cret@db.internal:6380/2" }, "rp:abc")).toBe(
      "redis-patterns cleanup --prefix rp:abc --url redis://app@db.internal:6380/2 " +
        "(with the password in REDIS_PASSWORD, or --ask-pass)",
    );
    expect(cleanupCommand({}, "rp:abc", "redis://:pw@10.0.0.5:6379")).toBe(
      "redis-patterns cleanup --prefix rp:abc --url redis://10.0.0.5:6379 " +
        "(with the password in REDIS_PASSWORD, or --ask-pass)",
    );
    expect(
      cleanupCommand(
        { url: ["redis://n1:7000", "redis://n2:7001"], cluster: true, tlsCa: "/etc/ca dir/ca.pem", insecure: false },
        "my run",
      ),
    ).toBe(
      "redis-patterns cleanup --prefix 'my run' --url redis://n1:7000 --url redis://n2:7001 " +
        "--cluster --tls-ca '/etc/ca dir/ca.pem'",
    );
    expect(cleanupCommand({ url: "rediss://h:6380", insecure: true }, "rp:x")).toBe(
      "redis-patterns cleanup --prefix rp:x --url rediss://h:6380 --insecure",
    );
  });
});
