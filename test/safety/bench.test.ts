/**
 * `bench` obeys the rules every run obeys (issue 12): it claims its prefix with a run marker before its first write
 * (refusing a prefix that holds someone's keys or another run's marker), deletes only what it created, and every key
 * it writes carries a TTL within the bound from the moment it exists, also the keys its worker threads, its forked
 * processes (`--processes`) and redis-benchmark (`--vs-redis-benchmark`) write, which carry no command of their own
 * for it. A SIGKILLed bench's children stop with it (they would otherwise write its keys again after they expired or
 * were cleaned up, without a TTL), and `cleanup --prefix` finds what it left through its marker. Against a server
 * holding someone else's keys: DEBUG DIGEST unchanged after each case.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findRedisBenchmark } from "../../src/bench/redis-benchmark.js";
import { RUN_MARKER_TTL_MS, markerKey } from "../../src/redis/ownership.js";
import { RUN_KEY_TTL_S } from "../../src/redis/ttl-guard.js";
import { ROOT, runCli, scanKeys, startCli, waitFor } from "../helpers/cli.js";
import { digest, useForeignData } from "../helpers/foreign-data.js";

const { server, admin, baseline } = useForeignData(2000);
const BOUND_MS = Math.max(RUN_KEY_TTL_S * 1000, RUN_MARKER_TTL_MS);
const hasRedisBenchmark = findRedisBenchmark() !== undefined;
const newPrefix = () => `rp:bench${randomBytes(3).toString("hex")}`;

/** Processes whose command line holds `text` (Linux /proc), e.g. redis-benchmark with the run's key template. */
function processesWith(text: string, program?: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (program !== undefined && readFileSync(join("/proc", entry, "comm"), "utf8").trim() !== program) continue;
      if (readFileSync(join("/proc", entry, "cmdline"), "utf8").includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Connections to the server other than the admin's own: bench's main one, its workers', redis-benchmark's. */
async function otherClients(): Promise<string[]> {
  const id = String(await admin().call("CLIENT", "ID"));
  return String(await admin().call("CLIENT", "LIST"))
    .split("\n")
    .filter((line) => line.trim() && !line.startsWith(`id=${id} `));
}

describe("bench owns its prefix", () => {
  it("on a server full of someone else's keys: nothing left, DEBUG DIGEST unchanged", async () => {
    for (const args of [
      ["cache", "--ops", "2000"],
      ["queue", "--ops", "2000", "--processes", "2", ...(hasRedisBenchmark ? ["--vs-redis-benchmark"] : [])],
    ]) {
      const prefix = newPrefix();
      const result = await runCli(["bench", ...args, "--prefix", prefix, "--url", server().url, "--json"]);
      expect(result.code, result.stderr).toBe(0);
      expect(await scanKeys(admin(), prefix)).toEqual([]);
      expect(await digest(admin())).toBe(baseline());
    }
  }, 120_000);

  it("refuses a prefix holding someone's keys, one held by another run, one that normalises to nothing", async () => {
    const held = newPrefix();
    const marker = JSON.stringify({
      tool: "redis-patterns",
      run: "0123456789ab",
      host: "elsewhere",
      pid: 1,
      started: new Date().toISOString(),
      version: "0.0.0",
      state: "running",
    });
    await admin().set(markerKey(held), marker, "PX", 60_000);
    const cases: [string, RegExp][] = [
      ["rp:app", /already holds keys/],
      [held, /in use by another redis-patterns run 0123456789ab/],
      [":::", /no letter or digit/],
    ];
    for (const [prefix, message] of cases) {
      const result = await runCli(["bench", "lock", "--ops", "100", "--prefix", prefix, "--url", server().url]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(await admin().get(markerKey(held))).toBe(marker);
    await admin().del(markerKey(held));
    expect(await digest(admin())).toBe(baseline());
  }, 60_000);
});

describe("SIGKILL mid-round: every key left has a TTL within the bound, and cleanup --prefix removes them", () => {
  // [options, killed while redis-benchmark runs (else while the workers do)]
  const cases: [string[], boolean][] = [
    [["queue", "--duration", "10m", "--processes", "2"], false],
    [["leaderboard", "--duration", "10m"], false],
    [["hll", "--duration", "10m", "--processes", "2"], false],
    [["cache", "--duration", "10m"], false],
    [["queue", "--ops", "20000", "--clients", "4", "--processes", "2", "--vs-redis-benchmark"], true],
    [["leaderboard", "--ops", "20000", "--vs-redis-benchmark"], true],
  ];
  for (const [args, duringRedisBenchmark] of cases) {
    it.skipIf(duringRedisBenchmark && !hasRedisBenchmark)(
      `bench ${args.join(" ")}`,
      async () => {
        const prefix = newPrefix();
        const run = startCli(["bench", ...args, "--prefix", prefix, "--url", server().url], { timeoutMs: 120_000 });
        const keyOf = (k: string) => k !== markerKey(prefix);
        if (duringRedisBenchmark) {
          await waitFor(
            "redis-benchmark on the run's keys",
            async () => run.child.exitCode !== null || processesWith(`${prefix}:bench`, "redis-benchmark").length > 0,
            90_000,
          );
        } else {
          // The workers are connected and writing (the setup's keys exist before they start).
          await waitFor(
            "the workers",
            async () =>
              run.child.exitCode !== null ||
              (await otherClients()).some((c) => c.includes("name=redis-patterns-bench-")),
            60_000,
          );
        }
        expect(run.child.exitCode, "the bench ended before the kill").toBeNull();
        run.child.kill("SIGKILL");
        await run.done;
        // Its forked processes and redis-benchmark stop with it (else they would go on for minutes, writing its keys).
        await waitFor(
          "every connection of the killed bench to close",
          async () => (await otherClients()).length === 0,
          30_000,
        );
        // A killed redis-benchmark's `sh` wrapper still prints its `times` and exits: on a busy machine that can come
        // after the last connection closed.
        await waitFor("its processes to end", async () => processesWith(`${prefix}:bench`).length === 0, 30_000);
        const left = await scanKeys(admin(), prefix);
        expect(left.filter(keyOf).length, "keys left to check").toBeGreaterThan(0);
        expect(left).toContain(markerKey(prefix));
        for (const key of left) {
          const pttl = Number(await admin().pttl(key));
          expect(pttl, `${key}'s TTL`).toBeGreaterThan(0);
          expect(pttl, `${key}'s TTL`).toBeLessThanOrEqual(BOUND_MS);
        }
        const cleanup = await runCli(["cleanup", "--prefix", prefix, "--yes", "--url", server().url]);
        expect(cleanup.code, cleanup.stderr).toBe(0);
        expect(cleanup.stdout).toMatch(/left by a run that did not finish/);
        expect(await scanKeys(admin(), prefix)).toEqual([]);
        expect(await digest(admin())).toBe(baseline());
      },
      180_000,
    );
  }
});

describe("redis-benchmark stops when the process that started it is killed", () => {
  it.skipIf(!hasRedisBenchmark)(
    "SIGKILL of the parent: redis-benchmark (100,000,000 requests) goes too",
    async () => {
      const prefix = newPrefix();
      const key = `${prefix}:bench:x`;
      // A parent that runs a long redis-benchmark through runRedisBenchmark, as bench does.
      const script =
        `const m = await import(${JSON.stringify(join(ROOT, "dist/src/bench/redis-benchmark.js"))});` +
        `const { Redis } = await import("ioredis");` +
        `const info = new Redis(${server().port}, "127.0.0.1");` +
        `await m.runRedisBenchmark(m.findRedisBenchmark(), info, ["-h", "127.0.0.1", "-p", "${server().port}"], ` +
        `{ argv: ["GET", ${JSON.stringify(key)}] }, { clients: 2, requests: 100000000, pipeline: 1, entities: 1 });`;
      const parent = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, stdio: "ignore" });
      await waitFor("redis-benchmark", async () => processesWith(key, "redis-benchmark").length > 0, 30_000);
      parent.kill("SIGKILL");
      await waitFor("redis-benchmark to stop", async () => processesWith(key).length === 0, 30_000);
      await waitFor("its connections to close", async () => (await otherClients()).length === 0, 30_000);
      expect(await digest(admin())).toBe(baseline());
    },
    90_000,
  );
});
