import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Make a child process (a throwaway redis-server) end when this process ends, however it ends: a SIGKILL too, which
 * no handler of ours sees. A small `sh` watches for it: it reads its stdin, a pipe whose only writer is this process
 * (never written to), so `read` returns only when the kernel closes it, as this process dies; the watcher then sends
 * the child SIGKILL and, given the child's own directory (`dir`, a throwaway server's), removes it once the child is
 * gone (waiting at most 5 s). It ignores SIGINT and SIGHUP, which a terminal sends to the whole process group (this
 * process stops the child itself then), holds nothing open that keeps this process alive, and is killed when the
 * child exits (this process then removes the directory itself, or keeps it for a restart). Without /bin/sh (Windows)
 * nothing is watched.
 */
export function killWithParent(child: ChildProcess, dir?: string): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null || !existsSync("/bin/sh")) return;
  const watch = [
    'trap "" INT HUP; read _; kill -KILL "$1" 2>/dev/null',
    '[ -n "$2" ] || exit 0',
    'i=0; while kill -0 "$1" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done',
    'rm -rf -- "$2"',
  ].join("; ");
  const watcher = spawn("/bin/sh", ["-c", watch, "sh", String(pid), dir ?? ""], {
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

/**
 * Remove a temporary directory when this process ends, a SIGKILL too (the same watcher as above, without a child to
 * kill). Returns the function that stops watching, for when this process removes the directory itself.
 */
export function removeWithParent(dir: string): () => void {
  if (!existsSync("/bin/sh")) return () => undefined;
  const watcher = spawn("/bin/sh", ["-c", 'trap "" INT HUP; read _; rm -rf -- "$1"', "sh", dir], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  watcher.on("error", () => undefined);
  watcher.stdin?.on("error", () => undefined);
  watcher.unref();
  (watcher.stdin as { unref?: () => void } | null)?.unref?.();
  return () => {
    if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill("SIGKILL");
  };
}
