import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError } from "../errors.js";

/** A real `redis-server` started for one run (or one test file): no persistence, a temporary directory, a free port. */
export interface ThrowawayServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly version: string;
  stop(): Promise<void>;
}

export interface ThrowawayOptions {
  /** Extra `redis-server` arguments, e.g. `["--enable-debug-command", "yes"]` or `["--requirepass", "…"]`. */
  args?: string[];
  /**
   * A redis.conf to start from (for what only a config file can set, such as `rename-command`); the options above
   * and `args` still apply on top of it.
   */
  configFile?: string;
  /** The binary; `redis-server` from PATH by default. */
  binary?: string;
  /** How long to wait for the server to accept connections. */
  startTimeoutMs?: number;
  /** A fixed port instead of a free one (tests of waiting for a server that starts late). */
  port?: number;
}

export const INSTALL_HINT =
  "install one (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or point --url at a running Redis";

/** The `redis-server` version on PATH, or null when there is none. */
export function redisServerVersion(binary = "redis-server"): string | null {
  const res = spawnSync(binary, ["--version"], { encoding: "utf8" });
  if (res.error || res.status !== 0) return null;
  return /v=(\S+)/.exec(res.stdout)?.[1] ?? "unknown";
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startThrowawayServer(options: ThrowawayOptions = {}): Promise<ThrowawayServer> {
  const binary = options.binary ?? "redis-server";
  const version = redisServerVersion(binary);
  if (version === null) {
    throw new ConnectError(`no Redis answers and there is no redis-server binary to start one: ${INSTALL_HINT}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "redis-patterns-"));
  // A port can be taken between freePort() and the server's bind; try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort());
    const child = spawn(
      binary,
      [
        // redis-server takes a config file only as its first argument.
        ...(options.configFile ? [options.configFile] : []),
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--daemonize",
        "no",
        "--logfile",
        "",
        ...(options.args ?? []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const up = await waitUntilListening(child, port, options.startTimeoutMs ?? 10_000);
    if (up === true) {
      child.stdout?.resume();
      child.stderr?.resume();
      return {
        host: "127.0.0.1",
        port,
        url: `redis://127.0.0.1:${port}`,
        version,
        stop: () => stopChild(child, dir),
      };
    }
    await stopChild(child, null);
    if (attempt === 4 || options.port !== undefined || !/in use/i.test(up)) {
      rmSync(dir, { recursive: true, force: true });
      throw new ConnectError(`could not start redis-server: ${up.trim().split("\n").pop() ?? "unknown error"}`);
    }
  }
  throw new ConnectError("could not start redis-server");
}

/** Resolves true once the port accepts connections, or the server's output when it exited first. */
async function waitUntilListening(child: ChildProcess, port: number, timeoutMs: number): Promise<true | string> {
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.once("exit", () => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) return output || "redis-server exited";
    if (await canConnect(port)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return `redis-server did not accept connections within ${timeoutMs} ms`;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function stopChild(child: ChildProcess, dir: string | null): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}
