// A throwaway redis-server for the measuring scripts: no persistence, on a free port of 127.0.0.1, stopped when the
// script exits (Ctrl-C too). Resolves once it answers PING. It runs in a session of its own (`detached`), as a Redis
// server started as a service does: with Linux's autogroup scheduling (on by default) the CPU is shared between
// sessions first, so in the script's session the client would compete with the server for one share (redis-cli, which
// needs almost no CPU, would not) and a busy machine would weigh on the two sides unequally.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

export async function startRedisServer() {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore", detached: true },
  );
  process.on("exit", () => server.kill());
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));
  for (let i = 0; i < 100; i++) {
    if (spawnSync("redis-cli", ["-p", String(port), "PING"], { encoding: "utf8" }).stdout.trim() === "PONG") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, stop: () => server.kill() };
}
