#!/usr/bin/env node
// Start-up figures (issue 16): `--help`, `ratelimit --help` and a whole `ratelimit --algo token-bucket` run, each
// against `node -e 0`, for the checkout's bin/ and for the package as npm installs it (bin/, dist/bundle, a
// node_modules with only the declared dependencies). Runs are interleaved (every case of every build in each
// repetition), so load from other work hits all of them alike; wall times are medians, CPU times (the child's user +
// system, from /proc/self/stat's cutime/cstime, 10 ms ticks) are means over the repetitions.
//   node scripts/startup.mjs                                  (also run by `npm run bench`, scripts/bench.sh)
//   node scripts/startup.mjs --reps 31 --json
//   node scripts/startup.mjs --bin before=/tmp/old/bin/redis-patterns.js --bin after=bin/redis-patterns.js
//   node scripts/startup.mjs --url redis://127.0.0.1:6379     use that server instead of starting one
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const values = (name) => args.flatMap((a, i) => (a === name && i + 1 < args.length ? [args[i + 1]] : []));
const REPS = Number(values("--reps")[0] ?? 21);
const JSON_OUT = flag("--json");
const log = JSON_OUT ? () => {} : (line) => console.log(line);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

/** CPU time (ms) of the children this process has waited for: utime + stime of reaped children, in 10 ms ticks. */
function childrenCpuMs() {
  if (!existsSync("/proc/self/stat")) return undefined;
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After "(comm)": state is field 3, so cutime (16) and cstime (17) are at indexes 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** One run: wall ms and CPU ms (undefined off Linux). Fails loudly on a non-zero exit: a broken build is no figure. */
function timeRun(argv) {
  const cpu0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT, env: runEnv });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  const cpu1 = childrenCpuMs();
  return { wall, cpu: cpu0 === undefined ? undefined : cpu1 - cpu0 };
}

function freePort() {
  return new Promise((done) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

// No REDIS_URL or colour settings from the caller's shell: every run gets --url, and output goes to a pipe.
const runEnv = { ...process.env, NO_COLOR: "1" };
delete runEnv.REDIS_URL;
delete runEnv.FORCE_COLOR;

// The builds to compare: --bin label=path (repeatable), else the checkout's bin and the package laid out as installed.
let builds = values("--bin").map((spec) => {
  const at = spec.indexOf("=");
  return { label: spec.slice(0, at), bin: resolve(spec.slice(at + 1)) };
});
const cleanups = [];
process.on("exit", () => cleanups.forEach((f) => f()));
if (builds.length === 0) {
  const pkgDir = mkdtempSync(join(tmpdir(), "redis-patterns-startup-package-"));
  cleanups.push(() => rmSync(pkgDir, { recursive: true, force: true }));
  execFileSync(process.execPath, [join(ROOT, "scripts", "bundle.mjs"), "--outdir", join(pkgDir, "dist", "bundle")]);
  mkdirSync(join(pkgDir, "bin"));
  copyFileSync(join(ROOT, "bin", "redis-patterns.js"), join(pkgDir, "bin", "redis-patterns.js"));
  copyFileSync(join(ROOT, "package.json"), join(pkgDir, "package.json"));
  mkdirSync(join(pkgDir, "node_modules"));
  for (const dep of Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).dependencies ?? {}))
    symlinkSync(join(ROOT, "node_modules", dep), join(pkgDir, "node_modules", dep), "dir");
  builds = [
    { label: "checkout", bin: join(ROOT, "bin", "redis-patterns.js") },
    { label: "package", bin: join(pkgDir, "bin", "redis-patterns.js") },
  ];
}

let url = values("--url")[0];
if (!url) {
  const port = await freePort();
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  cleanups.push(() => server.kill());
  url = `redis://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 50 && !up; i++) {
    up = spawnSync("redis-cli", ["-p", String(port), "PING"], { encoding: "utf8" }).stdout?.trim() === "PONG";
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) throw new Error("redis-server from PATH did not answer (or give --url)");
}

const CASES = [
  { name: "--help", args: ["--help"], target: "≤ 40 ms over node -e 0" },
  { name: "ratelimit --help", args: ["ratelimit", "--help"], target: "≤ 40 ms over node -e 0" },
  {
    name: "ratelimit --algo token-bucket (whole run)",
    args: ["ratelimit", "--algo", "token-bucket", "--url", url],
    target: "≤ 250 ms wall, idle",
  },
];

const machine = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model,
  node: process.version,
  loadBefore: load(),
  date: new Date().toISOString(),
};
log(
  `machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}; load average before ${machine.loadBefore}`,
);
log(`${REPS} interleaved repetitions; wall: median ms, CPU: mean ms (user + system)`);

// Warm the file cache once, so the first repetition is not the one that reads from disk.
for (const b of builds) for (const c of CASES) timeRun([b.bin, ...c.args]);
timeRun(["-e", "0"]);

const base = [];
const runs = new Map(builds.flatMap((b) => CASES.map((c) => [`${b.label}\t${c.name}`, []])));
for (let rep = 0; rep < REPS; rep++) {
  base.push(timeRun(["-e", "0"]));
  for (const c of CASES) for (const b of builds) runs.get(`${b.label}\t${c.name}`).push(timeRun([b.bin, ...c.args]));
}
machine.loadAfter = load();

const summary = (rs) => {
  const cpus = rs.map((r) => r.cpu).filter((x) => x !== undefined);
  return {
    wallMs: median(rs.map((r) => r.wall)),
    cpuMs: cpus.length ? cpus.reduce((a, b) => a + b, 0) / cpus.length : null,
  };
};
const node = summary(base);
const results = [];
for (const b of builds)
  for (const c of CASES) {
    const s = summary(runs.get(`${b.label}\t${c.name}`));
    results.push({
      build: b.label,
      case: c.name,
      ...s,
      wallOverNodeMs: s.wallMs - node.wallMs,
      cpuOverNodeMs: s.cpuMs === null ? null : s.cpuMs - node.cpuMs,
      target: c.target,
    });
  }

if (JSON_OUT) {
  console.log(JSON.stringify({ machine, reps: REPS, node, results }, null, 2));
} else {
  const f = (x) => (x === null ? "–" : x.toFixed(0));
  log(`node -e 0: ${f(node.wallMs)} ms wall, ${f(node.cpuMs)} ms CPU`);
  log("build     case                                        wall  (over node)   CPU  (over node)   target");
  for (const r of results)
    log(
      `${r.build.padEnd(9)} ${r.case.padEnd(42)} ${f(r.wallMs).padStart(5)}  (${f(r.wallOverNodeMs).padStart(5)})` +
        `  ${f(r.cpuMs).padStart(6)}  (${f(r.cpuOverNodeMs).padStart(5)})   ${r.target}`,
    );
  log(`load average after ${machine.loadAfter}`);
}
process.exit(0); // the redis-server child (if started here) keeps the event loop alive; "exit" stops it
