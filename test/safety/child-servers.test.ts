/**
 * Every redis-server the tool starts is stopped on every exit path (issue 12, case 8): a normal end, an error, a
 * double Ctrl-C (the second one exits at once), SIGTERM and SIGHUP. `lock --algo redlock` starts five throwaway
 * masters; the test finds them as the CLI's child processes, signals the CLI while they run, and checks that none of
 * them outlives it, nor its directory. A SIGKILL of the CLI, which runs none of its handlers, is covered by a watcher
 * per server (src/redis/kill-with-parent.ts), which also removes the server's directory.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { startCli, waitFor } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";

const server = useRedisServer();

/** The redis-server processes whose parent is `pid`. */
function childServers(pid: number): number[] {
  let out: string;
  try {
    out = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" });
  } catch {
    return []; // no children (ps exits 1)
  }
  return out
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((child) => {
      try {
        return readFileSync(`/proc/${child}/comm`, "utf8").trim().startsWith("redis-server");
      } catch {
        return false;
      }
    });
}

/** A server's working directory: the throwaway directory it was started in (`--dir`), or none once it is gone. */
function workingDir(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** The servers' throwaway directories, once each server has moved into its own (it does so as it reads `--dir`). */
async function serverDirs(servers: number[]): Promise<string[]> {
  const inOwn = (pid: number) => /redis-patterns-/.test(workingDir(pid) ?? "");
  await waitFor("each server in its throwaway directory", async () => servers.every(inOwn), 20_000);
  return servers.map((pid) => workingDir(pid)!);
}

/** Whether `pid` is a running process (a zombie, killed and not yet reaped, counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

const REDLOCK = () => ["lock", "--algo", "redlock", "--url", server().url, "--json"];

/** `lock --algo redlock` started, once its throwaway masters (at least 3 of them) are up: the run and their pids. */
async function redlockWithServersUp(): Promise<{ run: ReturnType<typeof startCli>; servers: number[] }> {
  const run = startCli(REDLOCK(), { timeoutMs: 60_000 });
  const pid = run.child.pid!;
  let servers: number[] = [];
  await waitFor(
    "the throwaway redis-servers",
    async () => {
      servers = childServers(pid);
      return servers.length >= 3 || run.child.exitCode !== null;
    },
    30_000,
  );
  expect(servers.length, "the run ended before its servers were seen").toBeGreaterThanOrEqual(3);
  return { run, servers };
}

describe("throwaway redis-servers never outlive the run", () => {
  for (const signals of [["SIGINT", "SIGINT"], ["SIGTERM"], ["SIGHUP"], ["SIGTERM", "SIGTERM"]] as NodeJS.Signals[][]) {
    it(`${signals.join(" + ")} while lock --algo redlock has servers up: exit 130, every server stopped`, async () => {
      const { run, servers } = await redlockWithServersUp();
      const dirs = await serverDirs(servers);
      for (const signal of signals) run.child.kill(signal);
      const result = await run.done;
      expect(result.code, result.stderr).toBe(130);
      await waitFor("every throwaway server to be gone", async () => servers.every((s) => !alive(s)), 10_000);
      await waitFor("every throwaway directory to be removed", async () => dirs.every((d) => !existsSync(d)), 10_000);
    }, 90_000);
  }

  it("SIGKILL of the tool, which no handler sees: every server stops too (each watches the tool's end)", async () => {
    const { run, servers } = await redlockWithServersUp();
    const dirs = await serverDirs(servers);
    run.child.kill("SIGKILL");
    await run.done;
    // Without the watchers they would run on (the documented limit before): wait well past what stopping takes.
    await waitFor("every throwaway server to be gone", async () => servers.every((s) => !alive(s)), 20_000);
    // Their directories too (the watcher removes each once its server is gone).
    await waitFor("every throwaway directory to be removed", async () => dirs.every((d) => !existsSync(d)), 20_000);
  }, 90_000);

  it("a normal run stops its servers too (exit 0)", async () => {
    const run = startCli(REDLOCK(), { timeoutMs: 60_000 });
    const pid = run.child.pid!;
    const seen = new Set<number>();
    const watch = setInterval(() => childServers(pid).forEach((s) => seen.add(s)), 20);
    const result = await run.done;
    clearInterval(watch);
    expect(result.code, result.stderr).toBe(0);
    for (const s of seen) expect(alive(s), `redis-server ${s}`).toBe(false);
  }, 90_000);
});

describe("temporary directories never outlive the run", () => {
  /** The directory of the SQLite origin's file `pid` has open (cache's embedded origin), if any. */
  function originDir(pid: number): string | undefined {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (/redis-patterns-origin-[^/]+\/origin\.db$/.test(target)) return dirname(target);
      }
    } catch {
      // the process is gone, or an fd closed while listed
    }
    return undefined;
  }

  it("SIGKILL after a throwaway server was killed (kept for a restart): its directory is removed too", async () => {
    const module = new URL("../../dist/src/redis/throwaway-server.js", import.meta.url).href;
    const script =
      `const { startThrowawayServer } = await import(${JSON.stringify(module)});` +
      "const s = await startThrowawayServer(); await s.kill(); console.log(s.dir); setInterval(() => {}, 1000);";
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor("the server's directory", async () => out.includes("\n"), 20_000);
    const dir = out.trim();
    expect(existsSync(dir), dir).toBe(true);
    child.kill("SIGKILL");
    await waitFor(`${dir} to be removed`, async () => !existsSync(dir), 10_000);
  }, 60_000);

  it("SIGKILL of cache: the embedded SQLite origin's temporary directory is removed (by its watcher)", async () => {
    const run = startCli(["cache", "--reads", "1000000", "--url", server().url, "--json"], { timeoutMs: 60_000 });
    let dir: string | undefined;
    await waitFor("the origin's file to be open", async () => (dir = originDir(run.child.pid!)) !== undefined, 20_000);
    run.child.kill("SIGKILL");
    await run.done;
    await waitFor(`${dir} to be removed`, async () => !existsSync(dir!), 10_000);
  }, 60_000);
});
