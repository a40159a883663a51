import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Make a child process (a throwaway redis-server) end when this process ends, however it ends: a SIGKILL too, which
 * no handler of ours sees. A small `sh` watches for it: it reads its stdin, a pipe whose only writer is this process
 * (never written to), so `read` returns only when the kernel closes it, as this process dies; the watcher then sends
 * the child SIGKILL. It ignores SIGINT and SIGHUP, which a terminal sends to the whole process group (this process
 * stops the child itself then), holds nothing open that keeps this process alive, and is killed when the child exits.
 * Without /bin/sh (Windows) nothing is watched.
 */
export function killWithParent(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null || !existsSync("/bin/sh")) return;
  const watcher = spawn("/bin/sh", ["-c", 'trap "" INT HUP; read _; kill -KILL "$1" 2>/dev/null', "sh", String(pid)], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  watcher.on("error", () => undefined);
  watcher.stdin?.on("error", () => undefined);
  watcher.unref();
  (watcher.stdin as { unref?: () => void } | null)?.unref?.();
  child.once("exit", () => {
    if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill("SIGKILL");
  });
}
