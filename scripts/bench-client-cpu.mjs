#!/usr/bin/env node
// The bench client's own CPU per operation, per pattern, at `-c 50 -P 1` and `-P 16` (one worker thread, as `bench`
// runs on this machine): the figure `bench` reports as clientCpuUsPerOp (process.cpuUsage of the whole process over
// the timed run, ÷ operations). CPU time, not wall time, so other work on the machine disturbs it little.
// With BEFORE=<name>=<dir>,… (older checkouts, built), their bench (their src/bench) runs interleaved with this
// one's, so all are measured under the same load, and each repetition gives this checkout's ratio to each of them;
// with RECORDER=1, this checkout with the recorder off and on (a fresh benchmark thread per run, as `bench` runs);
// with RECORDER=slices, off and on alternating within one process (see below). Starts its own redis-server on a free
// port. Needs `npm run build` first (and in each BEFORE checkout).
//   BEFORE=original=/tmp/orig,main=/tmp/main node scripts/bench-client-cpu.mjs     (docs/bench.md, "Session 4")
//   RECORDER=1 REPS=15 node scripts/bench-client-cpu.mjs
//   RECORDER=slices SLICES=60 SLICE=8000 [RECORDER_BEFORE=/tmp/main] node scripts/bench-client-cpu.mjs
//   OPS_P1=10000 OPS_P16=40000 REPS=5 ONLY=cache/read,hll/pfadd PIPELINES=16
// FLOOR=1 (with PIPELINES=1) adds "floor": the operation's commands on plain sockets with nothing between a reply and
// the next command (scripts/raw-floor.mjs), the least CPU per operation a Node client can spend.
//   BEFORE=original=/tmp/orig FLOOR=1 PIPELINES=1 OPS_P1=100000 REPS=3 node scripts/bench-client-cpu.mjs
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { rawFloor } from "./raw-floor.mjs";
import { startRedisServer } from "./redis-server.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const REPS = Number(process.env.REPS ?? 5);
const OPS = { 1: Number(process.env.OPS_P1 ?? 10_000), 16: Number(process.env.OPS_P16 ?? 40_000) };
const PIPELINES = (process.env.PIPELINES ?? "1,16").split(",").map(Number);
const ONLY = process.env.ONLY?.split(",");
const CLIENTS = Number(process.env.CLIENTS ?? 50);
if (process.env.FLOOR && PIPELINES.some((p) => p !== 1)) throw new Error("FLOOR=1 measures -P 1 only: set PIPELINES=1");

const load = async (dir) => ({
  run: await import(pathToFileURL(join(dir, "dist/src/bench/run.js")).href),
  ops: await import(pathToFileURL(join(dir, "dist/src/bench/operations.js")).href),
});
const after = await load(ROOT);
const before = [];
for (const spec of process.env.BEFORE?.split(",") ?? []) {
  const [name, dir] = spec.includes("=") ? spec.split("=") : ["before", spec];
  before.push({ name, lib: await load(dir), record: false });
}
const { WireClient } = await import(pathToFileURL(join(ROOT, "dist/src/bench/wire-client.js")).href);

const { port, stop: stopServer } = await startRedisServer();
const info = await WireClient.connect({ host: "127.0.0.1", port });
const connection = { host: "127.0.0.1", port };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f = (x) => x.toFixed(1);

// RECORDER=slices: the recorder's cost inside one process, as one benchmark thread runs the operation (its wire
// connections, lanes and histogram), recording off and on alternating every SLICE operations, SLICES rounds: adjacent
// slices see the same load, and each variant's ratio of summed CPU times to "off" has a bootstrap interval over the
// rounds. Variants, in a new random order each round: off; "bench" (this checkout's recorder as bench's threads use
// it, `retain: 0`); "full" (a recorder that keeps every command, as a scenario run's does: a new one per slice);
// with RECORDER_BEFORE=<dir> (an older checkout, built), "before" (its recorder with `retain: 0`).
if (process.env.RECORDER === "slices") {
  const { CommandRecorder } = await import(pathToFileURL(join(ROOT, "dist/src/redis/recorder.js")).href);
  const { LatencyHistogram } = await import(pathToFileURL(join(ROOT, "dist/src/stats.js")).href);
  const Before = process.env.RECORDER_BEFORE
    ? (await import(pathToFileURL(join(process.env.RECORDER_BEFORE, "dist/src/redis/recorder.js")).href))
        .CommandRecorder
    : undefined;
  const SLICES = Number(process.env.SLICES ?? 60);
  const SLICE = Number(process.env.SLICE ?? 8_000);
  const VARIANTS = [
    { name: "bench", make: () => new CommandRecorder({ retain: 0 }), fresh: false },
    ...(process.env.FULL === "0" ? [] : [{ name: "full", make: () => new CommandRecorder(), fresh: true }]),
    ...(Before ? [{ name: "before", make: () => new Before({ retain: 0 }), fresh: false }] : []),
  ];
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}; ${SLICES} rounds of ${SLICE} operations; µs of client CPU per op: off, then each recorder ` +
      `(${VARIANTS.map((v) => v.name).join(", ")}) with its cost`,
  );
  const rows = [];
  for (const op of after.ops.HOT_OPERATIONS) {
    if (ONLY && !ONLY.includes(op.id)) continue;
    for (const pipeline of PIPELINES) {
      const entities = op.entities === "shared" ? 1 : CLIENTS;
      const keys = [];
      for (let n = 0; n < entities; n++) keys.push(after.ops.entityKeys("slices", op, after.ops.entityId(n)));
      await op.setup?.(info, keys);
      for (const script of op.scripts) await info.call("SCRIPT", "LOAD", script.lua);
      const clients = [];
      for (let n = 0; n < CLIENTS; n++) clients.push(await WireClient.connect(connection));
      const kept = VARIANTS.map((v) => (v.fresh ? undefined : v.make()));
      const lanes = clients.flatMap((_, n) =>
        Array.from({ length: pipeline }, (_, p) => ({ n, state: op.lane?.(n * pipeline + p) ?? {} })),
      );
      // One slice: the worker's loop (src/bench/worker.ts), SLICE operations, its CPU time per operation.
      // `v`: -1 for off, else the variant's index.
      const slice = async (v) => {
        const recorder = v < 0 ? undefined : (kept[v] ?? VARIANTS[v].make());
        clients.forEach((c, n) => (c.hooks = recorder?.wireHooks(`bench-${n}`)));
        const histogram = new LatencyHistogram();
        let started = 0;
        const t0 = process.cpuUsage();
        await Promise.all(
          lanes.map(async ({ n, state }) => {
            const k = keys[op.entities === "shared" ? 0 : n];
            let t = performance.now();
            while (started < SLICE) {
              await op.run(clients[n], k, state, started++);
              const t1 = performance.now();
              histogram.record((t1 - t) * 1000);
              t = t1;
            }
          }),
        );
        const cpu = process.cpuUsage(t0);
        return (cpu.user + cpu.system) / histogram.total;
      };
      const order = [-1, ...VARIANTS.map((_, i) => i)];
      for (const v of order) await slice(v);
      const cpu = order.map(() => []);
      // A new order every round (seeded shuffle): a slice pays for some of the garbage the one before it left, so
      // no variant may always follow the same other one.
      let shuffleSeed = 7;
      const next = () => (shuffleSeed = (shuffleSeed * 48271) % 2147483647) / 2147483647;
      for (let r = 0; r < SLICES; r++) {
        const round = order.map((_, k) => k);
        for (let j = round.length - 1; j > 0; j--) {
          const m = Math.floor(next() * (j + 1));
          [round[j], round[m]] = [round[m], round[j]];
        }
        for (const k of round) cpu[k].push(await slice(order[k]));
      }
      for (const c of clients) c.disconnect();
      await info.call("FLUSHALL");
      const sum = (xs, idx) => idx.reduce((t, i) => t + xs[i], 0);
      const all = cpu[0].map((_, i) => i);
      // 2,000 resamples of the rounds: the 2.5th and 97.5th percentiles of each variant's cost.
      let seed = 1;
      const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
      const resamples = Array.from({ length: 2_000 }, () => all.map(() => Math.floor(random() * SLICES)));
      const row = { id: op.id, pipeline, offUsPerOp: sum(cpu[0], all) / SLICES, load: loadavg()[0], variants: [] };
      for (let v = 0; v < VARIANTS.length; v++) {
        const on = cpu[v + 1];
        const cost = (idx) => sum(on, idx) / sum(cpu[0], idx) - 1;
        const boots = resamples.map(cost).sort((a, b) => a - b);
        row.variants.push({
          name: VARIANTS[v].name,
          usPerOp: sum(on, all) / SLICES,
          costPct: cost(all) * 100,
          interval95Pct: [boots[50] * 100, boots[1_949] * 100],
          medianRoundPct: median(on.map((x, i) => x / cpu[0][i] - 1)) * 100,
        });
      }
      rows.push(row);
      console.log(
        `${op.id.padEnd(26)} -P ${String(pipeline).padEnd(2)} off ${f(row.offUsPerOp)}` +
          row.variants
            .map(
              (v) =>
                `  ${v.name} ${f(v.usPerOp)} ${v.costPct >= 0 ? "+" : ""}${v.costPct.toFixed(1)} % ` +
                `(${v.interval95Pct.map((x) => x.toFixed(1)).join(" … ")}; median ${v.medianRoundPct.toFixed(1)})`,
            )
            .join("") +
          `  load ${row.load.toFixed(1)}`,
      );
    }
  }
  if (process.env.JSON_OUT)
    (await import("node:fs")).writeFileSync(process.env.JSON_OUT, JSON.stringify(rows, null, 2));
  await info.quit();
  stopServer();
  process.exit(0);
}

// The variants measured, interleaved in this order every repetition (the first one alternates, see below).
const variants = process.env.RECORDER
  ? [
      { name: "recorder off", lib: after, record: false },
      { name: "recorder on", lib: after, record: true },
    ]
  : [
      ...before,
      // FLOOR=1: what no Node client goes below (scripts/raw-floor.mjs), measured under the same load.
      ...(process.env.FLOOR ? [{ name: "floor", floor: true }] : []),
      { name: "after", lib: after, record: false },
    ];

const loads = [loadavg()[0]];
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}; ${REPS} repetitions; µs of client CPU per op`,
);
const results = [];
for (const op of after.ops.HOT_OPERATIONS) {
  if (ONLY && !ONLY.includes(op.id)) continue;
  for (const pipeline of PIPELINES) {
    const cpu = variants.map(() => []);
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => i).reverse();
      for (const v of order) {
        const variant = variants[v];
        const lib = variant.lib ?? after;
        const vop = lib.ops.HOT_OPERATIONS.find((o) => o.id === op.id);
        const prefix = `cpu${rep}${v}`;
        const entities = vop.entities === "shared" ? 1 : CLIENTS;
        const keys = [];
        for (let n = 0; n < entities; n++) keys.push(lib.ops.entityKeys(prefix, vop, lib.ops.entityId(n)));
        await vop.setup?.(info, keys);
        for (const script of vop.scripts) await info.call("SCRIPT", "LOAD", script.lua);
        if (variant.floor) {
          const ops = OPS[pipeline] ?? 20_000;
          cpu[v].push(await rawFloor({ port, op: vop, keysOf: (n) => keys[n], clients: CLIENTS, ops }));
          await info.call("FLUSHALL");
          continue;
        }
        const phase = await lib.run.runPatternPhase(info, {
          op: vop,
          prefix,
          connection,
          clients: CLIENTS,
          pipeline,
          threads: 1,
          ops: OPS[pipeline] ?? 20_000,
          record: variant.record,
          commandTimeoutMs: 60_000,
        });
        if (phase.errors > 0) throw new Error(`${variant.name} ${op.id}: ${phase.firstError}`);
        // Older checkouts report only the CPU as cores busy (rounded to 0.01) over the wall time.
        cpu[v].push(phase.clientCpuUsPerOp ?? (phase.clientCpu * phase.wallMs * 1000) / phase.ops);
        await info.call("FLUSHALL");
      }
    }
    loads.push(loadavg()[0]);
    const meds = cpu.map(median);
    const row = {
      id: op.id,
      pipeline,
      variants: variants.map((v, i) => ({ name: v.name, cpu: cpu[i], median: meds[i] })),
    };
    // The last variant's ratio to each other one, per repetition (same moment, same load): median and range.
    const last = cpu.length - 1;
    row.ratios = cpu.slice(0, last).map((base, b) => {
      const ratios = cpu[last].map((x, i) => x / base[i]);
      return { vs: variants[b].name, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
    });
    results.push(row);
    console.log(
      `${op.id.padEnd(26)} -P ${String(pipeline).padEnd(2)} ` +
        row.variants
          .map((v) => `${v.name} ${f(v.median)} (${f(Math.min(...v.cpu))}…${f(Math.max(...v.cpu))})`)
          .join("  ") +
        row.ratios
          .map((r) => `  ×${r.median.toFixed(2)} vs ${r.vs} (${r.min.toFixed(2)}…${r.max.toFixed(2)})`)
          .join("") +
        `  load ${loadavg()[0].toFixed(1)}`,
    );
  }
}
console.log(`load average during the run: ${f(Math.min(...loads))}…${f(Math.max(...loads))}`);
if (process.env.JSON_OUT)
  (await import("node:fs")).writeFileSync(process.env.JSON_OUT, JSON.stringify(results, null, 2));
await info.quit();
stopServer();
