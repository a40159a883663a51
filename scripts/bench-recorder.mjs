#!/usr/bin/env node
// The command recorder's own CPU per command, without a network: ioredis's real Command objects, a connection whose
// sendCommand lets the reply arrive at once (a Buffer, as ioredis's parser hands it over), recorder off vs on
// (`retain: 0`, as bench uses it), interleaved, medians. Prints ns per command. Then the same for bench's wire client's
// hooks (`CommandRecorder.wireHooks`): P commands per write and per read, as the client calls them with `--pipeline P`.
// Needs `npm run build` first.
//   node scripts/bench-recorder.mjs            (docs/bench.md, "Session 3", "Session 4" and "Session 5")
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

// The wire client's hooks: `sent` per command, `written` per write, `replied` per reply with its read's time.
const key = "rp:bench:cache-read:{000000000001}:user";
const value = '{"id":1,"name":"user-1","version":1}';
const none = { sent: () => undefined, written() {}, unwritten: 0, replied() {}, failed() {} };
function wire(hooks, pipeline) {
  const inFlight = 50 * pipeline;
  const tokens = new Array(inFlight);
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i += pipeline) {
    // As the client: a reply goes to the hooks only for a command that got a token (one the recorder keeps), and
    // the read's time is taken once, for the first of them; a write's only when it carries such a command.
    let at = -1;
    for (let k = 0; k < pipeline; k++) {
      const token = tokens[(i + k) % inFlight];
      if (i < inFlight || token === undefined) continue;
      if (at < 0) at = performance.now();
      hooks.replied(token, value, at);
    }
    for (let k = 0; k < pipeline; k++) tokens[(i + k) % inFlight] = hooks.sent("GET", [key]);
    if (hooks.unwritten > 0) hooks.written(performance.now());
  }
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / N;
}
// As bench's threads use it (`retain: 0`: a command is only counted), and keeping every command (a scenario run's
// recorder: a new one per repetition).
for (const pipeline of [1, 16]) {
  const bench = new CommandRecorder({ retain: 0 }).wireHooks("bench-1");
  const x = [];
  const y = [];
  const z = [];
  for (let i = 0; i < 3 + REPS; i++) {
    const a = wire(none, pipeline);
    const b = wire(bench, pipeline);
    const c = wire(new CommandRecorder().wireHooks("bench-1"), pipeline);
    if (i >= 3) {
      x.push(a);
      y.push(b);
      z.push(c);
    }
  }
  console.log(
    `wire client hooks, ${pipeline} per write and read: retain 0 ${(med(y) - med(x)).toFixed(0)} ns per command, ` +
      `keeping every command ${(med(z) - med(x)).toFixed(0)} ns (load average ${loadavg()[0].toFixed(1)})`,
  );
}
