#!/usr/bin/env node
// Where the time of the 1,000,000-member leaderboard load goes, against `redis-cli --pipe` sending the same ZADDs
// from a file (docs/bench.md): the pattern's seedBoard through ioredis with the command recorder attached, as the
// `leaderboard` run does, in this process; PAIRS interleaved pairs, the order alternating (seed first, then pipe
// first). Per side: wall time, the server's main-thread CPU (INFO cpu) and, for the seed, this process's CPU. On a
// busy machine the wall times follow the server's share of the cores; the CPU times say whether the two sides asked
// the server for the same work and whether the client could keep ahead of it on a core of its own.
// With BEFORE=<dir> (an older checkout, built), its seedBoard and recorder run too, beside this one's (the order
// alternating), in every pair. Starts its own redis-server on a free port. Needs `npm run build` first.
//   PAIRS=5 N=1000000 [BEFORE=/tmp/main] node scripts/bulk-load.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startRedisServer } from "./redis-server.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PAIRS = Number(process.env.PAIRS ?? 5);
const N = Number(process.env.N ?? 1_000_000);
const lib = (dir, path) => import(pathToFileURL(join(dir, "dist/src", path)).href);
const { Redis } = await import("ioredis");
const { generatePlayers } = await lib(ROOT, "patterns/leaderboard/seed.js");
const versions = [];
for (const [name, dir] of [["seed", ROOT], ...(process.env.BEFORE ? [["before", process.env.BEFORE]] : [])]) {
  const { seedBoard } = await lib(dir, "patterns/leaderboard/board.js");
  const { CommandRecorder } = await lib(dir, "redis/recorder.js");
  versions.push({ name, seedBoard, CommandRecorder });
}

const { port, stop: stopServer } = await startRedisServer();
const admin = new Redis({ port, host: "127.0.0.1", commandTimeout: 120_000 });
const serverCpuMs = async () => {
  const info = await admin.info("cpu");
  const field = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return (field("used_cpu_sys_main_thread") + field("used_cpu_user_main_thread")) * 1000;
};

// The same commands both ways: ZADD of 1,000 members each (the seed's default), the players in the seed's order.
const players = generatePlayers(N, { seed: 1, maxScore: 3_000 });
const dir = mkdtempSync(join(tmpdir(), "rp-bulk-"));
const file = join(dir, "zadd.resp");
const bulk = (s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const chunks = [];
for (let i = 0; i < players.length; i += 1000) {
  const part = players.slice(i, i + 1000);
  let cmd = `*${2 + part.length * 2}\r\n${bulk("ZADD")}${bulk("rp-bulk:pipe")}`;
  for (const p of part) cmd += bulk(String(p.score)) + bulk(p.player);
  chunks.push(cmd);
}
writeFileSync(file, chunks.join(""));

async function seedSide({ seedBoard, CommandRecorder }) {
  const redis = new Redis({ port, host: "127.0.0.1", lazyConnect: true, commandTimeout: 120_000 });
  const recorder = new CommandRecorder();
  const attached = recorder.attach(redis, "main");
  await redis.connect();
  attached.endHandshake();
  const s0 = await serverCpuMs();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await seedBoard(redis, "rp-bulk:seed", players);
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const serverMs = (await serverCpuMs()) - s0;
  if (result.added !== N) throw new Error(`seed added ${result.added} of ${N}`);
  await redis.quit();
  await admin.del("rp-bulk:seed");
  return { wallMs, clientCpuMs: (c.user + c.system) / 1000, serverMs, recorded: recorder.total };
}

async function pipeSide() {
  const s0 = await serverCpuMs();
  const t0 = performance.now();
  execFileSync("sh", ["-c", `redis-cli -p ${port} --pipe < ${file}`], { stdio: "ignore" });
  const wallMs = performance.now() - t0;
  const serverMs = (await serverCpuMs()) - s0;
  if ((await admin.zcard("rp-bulk:pipe")) !== N) throw new Error("redis-cli --pipe did not load every member");
  await admin.del("rp-bulk:pipe");
  return { wallMs, serverMs };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f = (x, d = 0) => x.toFixed(d);
console.log(
  `${N} members, ${PAIRS} pairs; load average ${loadavg()
    .map((x) => f(x, 1))
    .join(" ")}`,
);
// One load first, not counted: the server's first million members also pay for growing its memory, and this process
// compiles the client's code; whichever side went first would carry both.
await seedSide(versions[0]);
await pipeSide();
const rows = [];
for (let i = 0; i < PAIRS; i++) {
  let pipe;
  if (i % 2 === 1) pipe = await pipeSide();
  const sides = versions.map(() => undefined);
  for (const v of versions.map((_, j) => (i % 2 === 0 ? j : versions.length - 1 - j)))
    sides[v] = await seedSide(versions[v]);
  if (i % 2 === 0) pipe = await pipeSide();
  const seed = sides[0];
  const row = { seed, pipe, wallRatio: seed.wallMs / pipe.wallMs, serverCpuRatio: seed.serverMs / pipe.serverMs };
  if (sides[1]) row.before = { ...sides[1], wallRatio: sides[1].wallMs / pipe.wallMs };
  rows.push(row);
  console.log(
    `pair ${i + 1} (${i % 2 === 0 ? "seed first" : "pipe first"}): seed ${f(seed.wallMs)} ms, pipe ${f(pipe.wallMs)} ` +
      `ms: ×${f(row.wallRatio, 2)}; server CPU ${f(seed.serverMs)} / ${f(pipe.serverMs)} ms (×${f(row.serverCpuRatio, 2)}); ` +
      `client CPU ${f(seed.clientCpuMs)} ms (${f(seed.clientCpuMs / seed.serverMs, 2)} of the server's); ` +
      (row.before
        ? `before: ${f(row.before.wallMs)} ms (×${f(row.before.wallRatio, 2)}), client CPU ${f(row.before.clientCpuMs)} ms, ` +
          `server CPU ${f(row.before.serverMs)} ms; `
        : "") +
      `load ${f(loadavg()[0], 1)}`,
  );
}
const ratios = rows.map((r) => r.wallRatio);
console.log(
  `wall ratio median ×${f(median(ratios), 2)} (${f(Math.min(...ratios), 2)}…${f(Math.max(...ratios), 2)}), ` +
    `${ratios.filter((r) => r <= 1.1).length} of ${PAIRS} ≤ 1.1×; server CPU ratio median ` +
    `×${f(median(rows.map((r) => r.serverCpuRatio)), 2)}; client CPU ÷ server CPU median ` +
    `${f(median(rows.map((r) => r.seed.clientCpuMs / r.seed.serverMs)), 2)}` +
    (rows[0]?.before
      ? `; before: wall ratio median ×${f(median(rows.map((r) => r.before.wallRatio)), 2)}, client CPU after ÷ ` +
        `before median ${f(median(rows.map((r) => r.seed.clientCpuMs / r.before.clientCpuMs)), 2)}`
      : ""),
);
if (process.env.JSON_OUT) writeFileSync(process.env.JSON_OUT, JSON.stringify(rows, null, 2));
rmSync(dir, { recursive: true, force: true });
admin.disconnect();
stopServer();
process.exit(0);
