import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * A small `sh` that runs `action` once this process ends, however it ends: a SIGKILL too, which no handler of ours
 * sees. It reads its stdin, a pipe whose only writer is this process (never written to), so `read` returns only when
 * the kernel closes it, as this process dies. It ignores SIGINT and SIGHUP, which a terminal sends to the whole
 * process group, and holds nothing open that keeps this process alive. Without /bin/sh (Windows) there is none.
 */
function watchParent(action: string, args: string[]): ChildProcess | undefined {
  if (!existsSync("/bin/sh")) return undefined;
  const watcher = spawn("/bin/sh", ["-c", `trap "" INT HUP; read _; ${action}`, "sh", ...args], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  watcher.on("error", () => undefined);
  watcher.stdin?.on("error", () => undefined);
  watcher.unref();
  (watcher.stdin as { unref?: () => void } | null)?.unref?.();
  return watcher;
}

function stopWatching(watcher: ChildProcess | undefined): void {
  if (watcher && watcher.exitCode === null && watcher.signalCode === null) watcher.kill("SIGKILL");
}

/**
 * Make a child process (a throwaway redis-server) end when this process ends, however it ends: its watcher sends it
 * SIGKILL. The watcher is killed when the child exits (this process stops the child itself on every other path).
 */
export function killWithParent(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const watcher = watchParent('kill -KILL "$1" 2>/dev/null', [String(pid)]);
  child.once("exit", () => stopWatching(watcher));
}

/**
 * Remove a temporary directory when this process ends, a SIGKILL too. Returns the function that stops watching, for
 * when this process removes the directory itself.
 */
export function removeWithParent(dir: string): () => void {
  // Once more a second later, should a dying server of the directory have written into it meanwhile.
  const watcher = watchParent('rm -rf -- "$1" 2>/dev/null || { sleep 1; rm -rf -- "$1"; }', [dir]);
  return () => stopWatching(watcher);
}
