#!/usr/bin/env node
// The command recorder's own CPU per command, without a network: ioredis's real Command objects, a connection whose
// sendCommand lets the reply arrive at once (a Buffer, as ioredis's parser hands it over), recorder off vs on
// (`retain: 0`, as bench uses it), interleaved, medians. Prints ns per command. Needs `npm run build` first.
//   node scripts/bench-recorder.mjs            (docs/bench.md, "Session 3")
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(ROOT, "package.json"));
const Command = require("ioredis/built/Command.js").default;
const { CommandRecorder } = await import(join(ROOT, "dist/src/redis/recorder.js"));
const N = 200_000;
const REPS = Number(process.env.REPS ?? 9);
const reply = Buffer.from("x".repeat(20));
const connection = () => ({ status: "ready", sendCommand: (cmd) => cmd.promise });
const off = connection();
const on = connection();
new CommandRecorder({ retain: 0 }).attach(on, "bench").endHandshake();

async function run(c) {
  const t0 = process.cpuUsage();
  const batch = new Array(1000);
  for (let i = 0; i < N; i++) {
    const cmd = new Command("get", ["rp:bench:key:{000000000001}"], { replyEncoding: "utf8" });
    c.sendCommand(cmd);
    cmd.resolve(reply.subarray(0));
    batch[i % 1000] = cmd.promise;
    if (i % 1000 === 999) await Promise.all(batch);
  }
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / N;
}

for (let i = 0; i < 3; i++) {
  await run(off);
  await run(on);
}
const a = [];
const b = [];
for (let i = 0; i < REPS; i++) {
  a.push(await run(off));
  b.push(await run(on));
}
const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
console.log(
  `ioredis Command + promise: ${med(a).toFixed(0)} ns; with the recorder: ${med(b).toFixed(0)} ns; ` +
    `the recorder: ${(med(b) - med(a)).toFixed(0)} ns per command (load average ${loadavg()[0].toFixed(1)})`,
);
