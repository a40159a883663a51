#!/usr/bin/env node
// Reproduces every figure in docs/bench.md and prints the ratios against the issue's targets.
// Starts its own redis-server (no persistence) on a free port, so the numbers are about one known server.
//   node scripts/bench.mjs                 (or: npm run bench, scripts/bench.sh)
//   BENCH_OPS=100000 BENCH_ROUNDS=3 node scripts/bench.mjs     more operations per run, more rounds
//   BENCH_ONLY=ratelimit,lock,threads node scripts/bench.mjs    some patterns (and/or the threads comparison) only;
//   BENCH_SKIP_LOAD=1 skips the 1M load; BENCH_PROCESSES=2 (the default; 0: none) also runs each operation with
//   `--processes 2`; BENCH_LOAD_ROUNDS=5 rounds of the 1M load against redis-cli --pipe, interleaved
//   (scripts/bulk-load.mjs: the same load in one process, with client and server CPU)
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "redis-patterns.js");
const OPS = Number(process.env.BENCH_OPS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ONLY = process.env.BENCH_ONLY?.split(",");
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 2);
const LOAD_ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 5);

const OPERATIONS = [
  ["ratelimit", "--algo", "token-bucket"],
  ["ratelimit", "--algo", "fixed-window"],
  ["ratelimit", "--algo", "sliding-log"],
  ["ratelimit", "--algo", "sliding-counter"],
  ["lock"],
  ["cache"],
  ["leaderboard"],
  ["queue"],
  ["hll"],
  ["session"],
].filter((op) => !ONLY || ONLY.includes(op[0]));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (x, d = 2) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function timeRun(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms(t0);
}

function cli(args) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`redis-patterns ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const port = await freePort();
// In a session of its own, as a server run as a service is: see scripts/redis-server.mjs (autogroup scheduling).
const server = spawn(
  "redis-server",
  ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  { stdio: "ignore", detached: true },
);
const url = `redis://127.0.0.1:${port}`;
process.on("exit", () => server.kill());
for (let i = 0; i < 50; i++) {
  if (spawnSync("redis-cli", ["-p", String(port), "PING"], { encoding: "utf8" }).stdout.trim() === "PONG") break;
  await new Promise((r) => setTimeout(r, 100));
}
const { parseInfo } = await import(join(ROOT, "dist/src/redis/server-info.js"));
const serverVersion = parseInfo(
  execFileSync("redis-cli", ["-p", String(port), "INFO", "server"], { encoding: "utf8" }),
).redis_version;

const rows = [];
const out = {
  machine: {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model,
    node: process.version,
    redis: serverVersion,
    loadBefore: loadavg()[0],
  },
  ops: OPS,
  rounds: ROUNDS,
};
console.log(
  `machine: ${out.machine.cores} cores (${out.machine.cpu}), Node ${process.version}, redis-server ${serverVersion} on the same machine; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);

// The published package, laid out as npm installs it: bin/, the esbuild bundle, package.json, and a node_modules with
// only its declared dependencies (see scripts/bundle.mjs). A checkout's bin runs tsc's output instead.
const pkgDir = mkdtempSync(join(tmpdir(), "redis-patterns-bench-package-"));
process.on("exit", () => rmSync(pkgDir, { recursive: true, force: true }));
execFileSync(process.execPath, [join(ROOT, "scripts", "bundle.mjs"), "--outdir", join(pkgDir, "dist", "bundle")]);
mkdirSync(join(pkgDir, "bin"));
copyFileSync(BIN, join(pkgDir, "bin", "redis-patterns.js"));
copyFileSync(join(ROOT, "package.json"), join(pkgDir, "package.json"));
mkdirSync(join(pkgDir, "node_modules"));
for (const dep of Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).dependencies ?? {}))
  symlinkSync(join(ROOT, "node_modules", dep), join(pkgDir, "node_modules", dep), "dir");
const PKG_BIN = join(pkgDir, "bin", "redis-patterns.js");

// 1. Startup: --help, `ratelimit --help` and --version against `node -e 0`, interleaved, medians of 15; the package
// (bundle) and the checkout (tsc's output).
{
  const base = [];
  const runs = { package: { help: [], sub: [], version: [] }, checkout: { help: [], sub: [], version: [] } };
  for (let i = 0; i < 15; i++) {
    base.push(timeRun(process.execPath, ["-e", "0"]));
    for (const [kind, bin] of [
      ["package", PKG_BIN],
      ["checkout", BIN],
    ]) {
      runs[kind].help.push(timeRun(process.execPath, [bin, "--help"]));
      runs[kind].sub.push(timeRun(process.execPath, [bin, "ratelimit", "--help"]));
      runs[kind].version.push(timeRun(process.execPath, [bin, "--version"]));
    }
  }
  const b = median(base);
  out.startup = { nodeMs: b };
  for (const kind of ["package", "checkout"]) {
    const r = runs[kind];
    out.startup[kind] = { helpMs: median(r.help), ratelimitHelpMs: median(r.sub), versionMs: median(r.version) };
    for (const [label, xs] of [
      ["`--help`", r.help],
      ["`ratelimit --help`", r.sub],
      ["`--version`", r.version],
    ])
      rows.push([
        `${label} over \`node -e 0\` (${kind})`,
        `${fmt(median(xs) - b, 0)} ms (${fmt(median(xs), 0)} vs ${fmt(b, 0)})`,
        "≤ 40 ms",
      ]);
  }
}

// 2. A full `ratelimit --algo token-bucket` run (connect, trace, cleanup), wall time, median of 10, interleaved.
{
  const runs = { package: [], checkout: [] };
  for (let i = 0; i < 10; i++) {
    runs.package.push(timeRun(process.execPath, [PKG_BIN, "ratelimit", "--algo", "token-bucket", "--url", url]));
    runs.checkout.push(timeRun(process.execPath, [BIN, "ratelimit", "--algo", "token-bucket", "--url", url]));
  }
  out.ratelimitRunMs = { package: median(runs.package), checkout: median(runs.checkout) };
  for (const kind of ["package", "checkout"])
    rows.push([
      `\`ratelimit --algo token-bucket\`, whole run (${kind})`,
      `${fmt(median(runs[kind]), 0)} ms`,
      "≤ 250 ms",
    ]);
}

// 3. Each pattern's hot operation: 50 clients, pipeline 1 and 16, interleaved with redis-benchmark; recorder on/off;
//    with one Node process (worker threads, the default) and with --processes N.
out.bench = [];
for (const op of OPERATIONS) {
  for (const pipeline of [1, 16]) {
    for (const processes of PROCESSES > 0 ? [0, PROCESSES] : [0]) {
      const r = cli([
        "bench",
        ...op,
        "--ops",
        String(OPS),
        "--clients",
        "50",
        "--pipeline",
        String(pipeline),
        ...(processes > 0 ? ["--processes", String(processes)] : []),
        "--rounds",
        String(ROUNDS),
        "--vs-redis-benchmark",
        "--json",
        "--url",
        url,
      ]);
      const entry = {
        id: r.operation.id,
        pipeline,
        threads: r.config.threads,
        processes: r.config.processes ?? 0,
        opsPerSec: r.opsPerSec,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        recordingOnOpsPerSec: r.recordingOn?.opsPerSec,
        recordingCostPct: r.recordingCostPct,
        recordingCpuCostPct: r.recordingCpuCostPct,
        redisBenchmarkOpsPerSec: r.redisBenchmarkOpsPerSec,
        ratioVsRedisBenchmark: r.ratioVsRedisBenchmark,
        bottleneck: r.bottleneck,
        clientCpu: r.clientCpu,
        serverCpu: r.serverCpu,
        clientCpuUsPerOp: r.clientCpuUsPerOp,
        serverCpuUsPerOp: r.serverCpuUsPerOp,
        redisBenchmarkCpuUsPerOp: r.redisBenchmarkCpuUsPerOp,
        loadAverage: r.machine.loadAverage,
      };
      out.bench.push(entry);
      console.log(
        `  ${entry.id.padEnd(26)} -P ${String(pipeline).padEnd(2)} ${processes ? `${processes} proc` : "1 proc"} ${String(entry.opsPerSec).padStart(7)} ops/s  p50 ${fmt(entry.p50Ms, 3)} ms  ` +
          `redis-benchmark ${String(entry.redisBenchmarkOpsPerSec).padStart(7)}  ratio ${fmt(entry.ratioVsRedisBenchmark)}×  ` +
          `recorder ${fmt(entry.recordingCostPct, 1)}% (CPU ${fmt(entry.recordingCpuCostPct, 1)}%)  ` +
          `CPU/op client ${fmt(entry.clientCpuUsPerOp, 1)} µs, redis-benchmark ${fmt(entry.redisBenchmarkCpuUsPerOp, 1)} µs, server ${fmt(entry.serverCpuUsPerOp, 1)} µs  ` +
          `bottleneck ${entry.bottleneck}  load ${fmt(entry.loadAverage, 1)}`,
      );
    }
  }
}

// 4. Loading 1,000,000 leaderboard members: the pattern's seed (ZADD × 1000 members, 10 per pipeline) against
//    redis-cli --pipe sending the same commands from a file.
if (!process.env.BENCH_SKIP_LOAD) {
  const { generatePlayers } = await import(join(ROOT, "dist/src/patterns/leaderboard/seed.js"));
  const players = generatePlayers(1_000_000, { seed: 1, maxScore: 3_000 });
  const dir = mkdtempSync(join(tmpdir(), "rp-bench-"));
  const file = join(dir, "zadd.resp");
  const key = `rp-bench-pipe:${process.pid}`;
  const chunks = [];
  const bulk = (s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  for (let i = 0; i < players.length; i += 1000) {
    const part = players.slice(i, i + 1000);
    let cmd = `*${2 + part.length * 2}\r\n${bulk("ZADD")}${bulk(key)}`;
    for (const p of part) cmd += bulk(String(p.score)) + bulk(p.player);
    chunks.push(cmd);
  }
  writeFileSync(file, chunks.join(""));
  // Interleaved: the pattern's seed (its own timing of seedBoard) and redis-cli --pipe, LOAD_ROUNDS times, the order
  // alternating (seed first in odd rounds, pipe first in even ones), so a load that rises or falls during a round
  // weighs on both sides alike.
  const seedRuns = [];
  const pipeRuns = [];
  const seed = () => {
    const r = cli([
      "leaderboard",
      "--variant",
      "global",
      "--players",
      "1000000",
      "--trace",
      "off",
      // A million members on a busy machine: single commands (the cleanup's deletes) can take longer than the 5 s
      // default, which would end the whole script.
      "--timeout",
      "120s",
      "--json",
      "--url",
      url,
    ]);
    seedRuns.push(r.scenarios[0].metrics.seedMs);
  };
  const pipe = () => {
    const t0 = process.hrtime.bigint();
    execFileSync("sh", ["-c", `redis-cli -p ${port} --pipe < ${file}`], { stdio: "ignore" });
    pipeRuns.push(ms(t0));
    execFileSync("redis-cli", ["-p", String(port), "DEL", key], { stdio: "ignore" });
  };
  // One --pipe load first, not counted: the server's first million members also pay for growing its memory.
  pipe();
  pipeRuns.pop();
  for (let i = 0; i < LOAD_ROUNDS; i++) {
    if (i % 2 === 0) {
      seed();
      pipe();
    } else {
      pipe();
      seed();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const ratios = seedRuns.map((s, i) => s / pipeRuns[i]);
  out.load = { seedMs: seedRuns, redisCliPipeMs: pipeRuns, ratio: median(ratios) };
  rows.push([
    "1,000,000 leaderboard members loaded",
    `${fmt(median(seedRuns), 0)} ms vs redis-cli --pipe ${fmt(median(pipeRuns), 0)} ms: ${fmt(out.load.ratio)}× (median of ${LOAD_ROUNDS} interleaved pairs; range ${fmt(Math.min(...ratios))}…${fmt(Math.max(...ratios))})`,
    "≤ 1.1×",
  ]);
}

// 5. One worker thread against two, same run otherwise: on a machine whose cores the server shares, a second client
//    thread competes with Redis.
if (!ONLY || ONLY.includes("threads")) {
  out.threads = {};
  for (const threads of [1, 2]) {
    const r = cli([
      "bench",
      "ratelimit",
      "--algo",
      "token-bucket",
      "--ops",
      String(OPS),
      "--clients",
      "50",
      "--threads",
      String(threads),
      "--rounds",
      String(ROUNDS),
      "--vs-redis-benchmark",
      "--json",
      "--url",
      url,
    ]);
    out.threads[threads] = {
      opsPerSec: r.opsPerSec,
      ratioVsRedisBenchmark: r.ratioVsRedisBenchmark,
      bottleneck: r.bottleneck,
    };
  }
  rows.push([
    "`bench ratelimit` -c 50 -P 1 with 1 worker thread / 2",
    `${out.threads[1].opsPerSec} / ${out.threads[2].opsPerSec} ops/s (${fmt(out.threads[1].ratioVsRedisBenchmark)}× / ${fmt(out.threads[2].ratioVsRedisBenchmark)}× redis-benchmark)`,
    "(informative)",
  ]);
}

for (const e of out.bench) {
  const target = e.pipeline === 1 ? "≥ 1.0×" : "≥ 0.5×";
  rows.push([
    `\`bench ${e.id}\` -c 50 -P ${e.pipeline}${e.processes ? ` --processes ${e.processes}` : ""} vs redis-benchmark`,
    `${fmt(e.ratioVsRedisBenchmark)}× (${e.opsPerSec} / ${e.redisBenchmarkOpsPerSec} ops/s; CPU/op client ${fmt(e.clientCpuUsPerOp, 1)} µs vs redis-benchmark ${fmt(e.redisBenchmarkCpuUsPerOp, 1)} µs, server ${fmt(e.serverCpuUsPerOp, 1)} µs; bottleneck: ${e.bottleneck}; load ${fmt(e.loadAverage, 1)})`,
    target,
  ]);
}
const costs = out.bench.map((e) => e.recordingCostPct).filter((x) => x !== null && x !== undefined);
if (costs.length)
  rows.push([
    "recorder on vs off, throughput (median over the runs above)",
    `${fmt(median(costs), 1)}% slower (range ${fmt(Math.min(...costs), 1)} … ${fmt(Math.max(...costs), 1)})`,
    "≤ 5%",
  ]);
const cpuCosts = out.bench.map((e) => e.recordingCpuCostPct).filter((x) => x !== null && x !== undefined);
if (cpuCosts.length)
  rows.push([
    "recorder on vs off, client CPU per operation (median over the runs above)",
    `${fmt(median(cpuCosts), 1)}% more (range ${fmt(Math.min(...cpuCosts), 1)} … ${fmt(Math.max(...cpuCosts), 1)})`,
    "≤ 5%",
  ]);
out.machine.loadAfter = loadavg()[0];

console.log("\n| figure | measured | target |\n|---|---|---|");
for (const [what, measured, target] of rows) console.log(`| ${what} | ${measured} | ${target} |`);
console.log(
  `\nload average ${out.machine.loadBefore.toFixed(2)} before, ${out.machine.loadAfter.toFixed(2)} after (other processes on the machine make every figure noisier)`,
);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(out, null, 2));
server.kill();
