import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError } from "../errors.js";
import { killWithParent, removeWithParent } from "./kill-with-parent.js";
import { versionFromBanner } from "./server-info.js";

/** A real `redis-server` started for one run (or one test file): no persistence, a temporary directory, a free port. */
export interface ThrowawayServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly version: string;
  /** The binary it runs. */
  readonly binary: string;
  /** Its working directory (RDB and AOF files go here); removed by stop(). */
  readonly dir: string;
  /** The running process's id; undefined between kill() and restart(). */
  readonly pid: number | undefined;
  /** Stop the process (if it runs) and remove its directory. */
  stop(): Promise<void>;
  /** A crash: SIGKILL the process and wait until it is gone. Its files stay in `dir` for restart(). */
  kill(): Promise<void>;
  /** Start it again with the same arguments, port and directory, so it loads whatever its files hold. */
  restart(): Promise<void>;
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
  /**
   * Persistence settings replacing the default `--save "" --appendonly no`, e.g. `["--save", "1 100",
   * "--appendonly", "no"]` or `["--save", "", "--appendonly", "yes", "--appendfsync", "always"]`.
   */
  persistence?: string[];
}

export const INSTALL_HINT =
  "install one (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or point --url at " +
  "a running Redis";

/** The `redis-server` version on PATH, or null when there is none. */
export function redisServerVersion(binary = "redis-server"): string | null {
  const res = spawnSync(binary, ["--version"], { encoding: "utf8" });
  if (res.error || res.status !== 0) return null;
  return versionFromBanner(res.stdout);
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

/**
 * Every redis-server this process started and has not stopped, with a synchronous way to end it. Whatever way the
 * process ends (normal exit, an error, process.exit after a second Ctrl-C, SIGTERM or SIGHUP turned into an exit by
 * the CLI), the "exit" handler SIGKILLs what is left and removes its directory: a throwaway server never outlives the
 * run that started it. (SIGKILL of the tool itself cannot be caught: then nothing can.)
 */
const live = new Map<symbol, () => void>();
let exitHookInstalled = false;

function register(killNow: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", stopAllThrowawayServersNow);
  }
  const id = Symbol("redis-server");
  live.set(id, killNow);
  return () => live.delete(id);
}

/** SIGKILL every throwaway server still running and remove its directory, synchronously (safe in an exit handler). */
export function stopAllThrowawayServersNow(): void {
  for (const killNow of live.values()) {
    try {
      killNow();
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** How many throwaway servers this process has running (for tests and the lifecycle checks). */
export function runningThrowawayServers(): number {
  return live.size;
}

export async function startThrowawayServer(options: ThrowawayOptions = {}): Promise<ThrowawayServer> {
  const binary = options.binary ?? "redis-server";
  const version = redisServerVersion(binary);
  if (version === null) {
    throw new ConnectError(`no Redis answers and there is no redis-server binary to start one: ${INSTALL_HINT}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "redis-patterns-"));
  // Kept while the server lives and across a kill() and restart(); a SIGKILL of this process, which runs none of the
  // paths below, leaves it to its watcher.
  const unwatchDir = removeWithParent(dir);
  const removeDir = () => {
    rmSync(dir, { recursive: true, force: true });
    unwatchDir();
  };
  const argsFor = (port: number): string[] => [
    // redis-server takes a config file only as its first argument.
    ...(options.configFile ? [options.configFile] : []),
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    ...(options.persistence ?? ["--save", "", "--appendonly", "no"]),
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--logfile",
    "",
    ...(options.args ?? []),
  ];
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  // A port can be taken between freePort() and the server's bind; try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort());
    let child = spawn(binary, argsFor(port), { stdio: ["ignore", "pipe", "pipe"] });
    // Stopped on every exit path below; a SIGKILL of this process, which runs none of them, by its watcher.
    killWithParent(child);
    const unregister = register(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      removeDir();
    });
    const up = await waitUntilListening(child, port, startTimeoutMs);
    if (up === true) {
      child.stdout?.resume();
      child.stderr?.resume();
      let stopped = false;
      return {
        host: "127.0.0.1",
        port,
        url: `redis://127.0.0.1:${port}`,
        version,
        binary,
        dir,
        get pid() {
          return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
        },
        stop: async () => {
          stopped = true;
          await stopChild(child);
          removeDir();
          unregister();
        },
        kill: () => killChild(child),
        restart: async () => {
          if (stopped) throw new Error("restart() after stop(): the server's directory is gone");
          await killChild(child);
          child = spawn(binary, argsFor(port), { stdio: ["ignore", "pipe", "pipe"] });
          killWithParent(child);
          const again = await waitUntilListening(child, port, startTimeoutMs);
          if (again !== true) {
            await stopChild(child);
            throw new ConnectError(
              `could not restart redis-server: ${again.trim().split("\n").pop() ?? "unknown error"}`,
            );
          }
          child.stdout?.resume();
          child.stderr?.resume();
        },
      };
    }
    await stopChild(child);
    unregister();
    if (attempt === 4 || options.port !== undefined || !/in use/i.test(up)) {
      removeDir();
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
    // The port answering is not enough: another process may have taken it between freePort() and our bind (our
    // server then exits with "Address already in use"). It is ours when its INFO names our child's pid.
    if (await canConnect(port)) {
      const pid = await serverPid(port);
      if (pid === child.pid || (pid === null && !exited)) return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return `redis-server did not accept connections within ${timeoutMs} ms`;
}

/** The pid in the INFO server of whatever listens on `port`; null when it answers with an error (a password). */
function serverPid(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (pid: number | null) => {
      socket.destroy();
      resolve(pid);
    };
    socket.once("connect", () => socket.write("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"));
    socket.on("data", (d: Buffer) => {
      reply += d.toString();
      const pid = /process_id:(\d+)/.exec(reply);
      if (pid) done(Number(pid[1]));
      else if (reply.startsWith("-") && reply.includes("\r\n")) done(null);
    });
    socket.once("error", () => done(-1));
    socket.once("close", () => done(-1));
  });
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

/** SIGKILL: no shutdown save, no AOF flush; resolves once the process has exited. */
async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
