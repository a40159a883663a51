#!/usr/bin/env node
// Ctrl-C latency (issue 12): the time from SIGINT to the process's exit, for the long phase of every command, as
// test/safety/interrupt-latency.test.ts interrupts them (that test asserts exit 130 and nothing left, not the time).
// Starts its own redis-server (or uses --url), runs each case --reps times, prints the times with the load average.
// Meant to be run on a busy machine too:
//   node scripts/interrupt-latency.mjs [--reps 3] [--only leaderboard] [--url redis://…] [--json]
//   ../shared/tools/under-load -- node scripts/interrupt-latency.mjs
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "redis-patterns.js");
const args = process.argv.slice(2);
const value = (name) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
};
const REPS = Number(value("--reps") ?? 3);
const ONLY = value("--only");
const JSON_OUT = args.includes("--json");
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// [label, args, when: { atMs } from the start, { afterMarkerMs } after the run claimed its prefix (its marker key:
// the process is up, its handler installed; for loops that run before any other key), or { afterKeyMs } after the
// run's first key other than its marker]
const CASES = [
  ["leaderboard 1M, building", ["leaderboard", "--players", "1000000"], { afterMarkerMs: 1_000 }],
  ["leaderboard 1M, 300 ms into the load", ["leaderboard", "--players", "1000000"], { afterKeyMs: 300 }],
  ["leaderboard 1M, 1.5 s into the load", ["leaderboard", "--players", "1000000"], { afterKeyMs: 1_500 }],
  ["hll --count 10M, generating", ["hll", "--count", "10000000"], { afterMarkerMs: 1_000 }],
  ["hll --trials 1000", ["hll", "--count", "100000", "--trials", "1000"], { afterKeyMs: 1_500 }],
  ["session reads 1M", ["session", "--variant", "read-latency", "--reads", "1000000"], { afterKeyMs: 500 }],
  ["analytics 1440 min", ["analytics", "--minutes", "1440"], { afterKeyMs: 300 }],
  ["queue 100k", ["queue", "--messages", "100000"], { afterKeyMs: 300 }],
  ["cache --reads 1M", ["cache", "--reads", "1000000"], { afterKeyMs: 500 }],
  ["ratelimit 30k", ["ratelimit", "--requests", "30000", "--clock", "real", "--window", "1s"], { afterKeyMs: 300 }],
  ["lock 50 workers", ["lock", "--workers", "50", "--increments", "1000"], { afterKeyMs: 300 }],
  ["smoke", ["smoke"], { afterKeyMs: 1_000 }],
  ["doctor --pings 100k", ["doctor", "--pings", "100000"], { atMs: 3_000 }],
  ["bench ratelimit", ["bench", "ratelimit", "--ops", "100000000"], { afterMarkerMs: 3_000 }],
  ["bench queue --processes 2", ["bench", "queue", "--duration", "10m", "--processes", "2"], { afterMarkerMs: 3_000 }],
  ["primary", ["primary"], { atMs: 4_000 }],
];

/** Whether a key of the run other than its marker exists (SCAN MATCH over the whole keyspace). */
async function hasRunKey(admin, prefix) {
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    if (keys.some((k) => !k.endsWith(":rp-run"))) return true;
    cursor = next;
  } while (cursor !== "0");
  return false;
}

async function main() {
  const { startThrowawayServer } = await import(join(ROOT, "dist/src/redis/throwaway-server.js"));
  const { Redis } = await import("ioredis");
  const server = value("--url") ? undefined : await startThrowawayServer();
  const url = value("--url") ?? server.url;
  const admin = new Redis(url);
  const results = [];
  try {
    for (const [label, cmd, when] of CASES) {
      if (ONLY && !label.includes(ONLY)) continue;
      const times = [];
      const codes = [];
      const loads = [];
      for (let r = 0; r < REPS; r++) {
        const prefix = `rp:lat${randomBytes(3).toString("hex")}`;
        const child = spawn(process.execPath, [BIN, ...cmd, "--prefix", prefix, "--trace", "off", "--url", url], {
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
        const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
        if (when.atMs !== undefined) await sleep(when.atMs);
        else if (when.afterMarkerMs !== undefined) {
          while (child.exitCode === null && !(await admin.exists(`${prefix}:rp-run`))) await sleep(20);
          await sleep(when.afterMarkerMs);
        } else {
          while (child.exitCode === null && !(await hasRunKey(admin, prefix))) await sleep(20);
          await sleep(when.afterKeyMs);
        }
        if (child.exitCode !== null) {
          codes.push(`ended first (${child.exitCode})`);
          continue;
        }
        loads.push(loadavg()[0]);
        const t0 = performance.now();
        child.kill("SIGINT");
        const code = await exited;
        times.push(Math.round(performance.now() - t0));
        codes.push(code);
        if (code !== 130) codes.push(stderr.trim().split("\n").pop());
      }
      const row = { label, ms: times, codes, load: loads.map((l) => Number(l.toFixed(1))) };
      results.push(row);
      if (!JSON_OUT)
        console.log(
          `${label.padEnd(40)} ${times.map((t) => `${(t / 1000).toFixed(2)} s`).join("  ")}   ` +
            `(exit ${[...new Set(codes)].join(", ")}; load ${row.load.join(", ")})`,
        );
    }
  } finally {
    admin.disconnect();
    await server?.stop();
  }
  const meta = { date: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model, load: load() };
  if (JSON_OUT) console.log(JSON.stringify({ ...meta, results }, null, 2));
  else console.log(`${meta.date}, ${meta.cores} × ${meta.cpu}, load average now ${meta.load}`);
}

await main();
