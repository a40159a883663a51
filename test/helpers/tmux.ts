import { execFileSync, spawnSync } from "node:child_process";
import { ROOT } from "./cli.js";

/** Whether tmux is on the PATH (.ci/run installs it; a developer machine may not have it). */
export function hasTmux(): boolean {
  return spawnSync("tmux", ["-V"], { stdio: "ignore" }).status === 0;
}

let seq = 0;

/**
 * The built CLI in a real pseudo-terminal: a tmux session on a private socket, driven with send-keys and read with
 * capture-pane. Waits poll the screen for expected text with a deadline; nothing relies on fixed sleeps.
 */
export class TmuxCli {
  private readonly socket: string;

  private constructor(socket: string) {
    this.socket = socket;
  }

  /** Start `redis-patterns <args>` (colours off, CI and REDIS_URL unset); the exit code is printed as `EXIT=<n>`. */
  static start(
    args: string[],
    env: Record<string, string> = {},
    size: { columns?: number; rows?: number } = {},
  ): TmuxCli {
    seq += 1;
    const session = new TmuxCli(`rp-tour-${process.pid}-${seq}`);
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
    const assignments = Object.entries({ NO_COLOR: "1", ...env })
      .map(([k, v]) => `${k}='${v}'`)
      .join(" ");
    const command =
      `cd '${ROOT}' && env -u CI -u REDIS_URL -u FORCE_COLOR ${assignments} ` +
      `node bin/redis-patterns.js ${quoted}; echo "EXIT=$?"; sleep 120`;
    execFileSync("tmux", [
      "-L",
      session.socket,
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      String(size.columns ?? 160),
      "-y",
      String(size.rows ?? 50),
      command,
    ]);
    return session;
  }

  /**
   * The screen and its scrollback, as plain text; lines the terminal wrapped are joined again (unless `joined` is
   * false).
   */
  screen(joined = true): string {
    return execFileSync(
      "tmux",
      ["-L", this.socket, "capture-pane", "-p", ...(joined ? ["-J"] : []), "-t", "t", "-S", "-3000"],
      { encoding: "utf8" },
    );
  }

  /** Keys as tmux names them: literal text, or "Enter", "Down", "C-c". */
  send(...keys: string[]): void {
    for (const key of keys) execFileSync("tmux", ["-L", this.socket, "send-keys", "-t", "t", key]);
  }

  /** Type text literally (no key-name lookup), then Enter. */
  type(text: string): void {
    execFileSync("tmux", ["-L", this.socket, "send-keys", "-t", "t", "-l", text]);
    this.send("Enter");
  }

  /** Wait until the screen shows `text` at least `count` times (default once), or fail with what it shows. */
  async waitFor(text: string | RegExp, options: { timeoutMs?: number; count?: number } = {}): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    const want = options.count ?? 1;
    for (;;) {
      const screen = this.screen();
      if (occurrences(screen, text) >= want) return screen;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${String(text)} (×${want}); the terminal shows:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** How often the screen shows `text` now (to wait for the next one). */
  count(text: string | RegExp): number {
    return occurrences(this.screen(), text);
  }

  /** Wait for the CLI to exit and return its code. */
  async exitCode(timeoutMs = 20_000): Promise<number> {
    const text = await this.waitFor(/EXIT=\d+/, { timeoutMs });
    return Number(/EXIT=(\d+)/.exec(text)![1]);
  }

  kill(): void {
    spawnSync("tmux", ["-L", this.socket, "kill-server"], { stdio: "ignore" });
  }
}

function occurrences(screen: string, text: string | RegExp): number {
  if (typeof text === "string") return screen.split(text).length - 1;
  return (screen.match(new RegExp(text.source, text.flags.includes("g") ? text.flags : text.flags + "g")) ?? []).length;
}
