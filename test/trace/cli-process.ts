import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, and the built CLI the way a user runs it (tests run `npm run build` first). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "redis-patterns.js");

/** Fail with an instruction rather than a confusing spawn error when dist/ has not been built. */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, "dist", "src", "cli", "main.js"))) {
    throw new Error(
      "dist/ is missing: run `npm run build` before these tests (they run the built CLI as a child process)",
    );
  }
}

export interface CliResult {
  /** Exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves when the process has exited and its output is complete. */
  done: Promise<CliResult>;
}

/**
 * Start `node bin/redis-patterns.js …args` with a clean environment: no REDIS_URL (every test passes --url), no
 * colours, not a terminal. `nodeArgs` go before the script (e.g. `--import` a loader).
 */
export function startCli(args: string[], options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...options.env };
  delete env.REDIS_URL;
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    // "close" rather than "exit": stdout and stderr have been read to the end.
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export async function runCli(
  args: string[],
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * The first JSON document on stdout. A --json run prints exactly one; parsing only the first keeps a test about
 * something else readable if that ever breaks (test/safety checks it separately).
 */
export function firstJsonDocument<T = unknown>(stdout: string): T {
  const text = stdout.trimStart();
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) return JSON.parse(text.slice(0, i + 1)) as T;
    }
  }
  throw new Error(`no complete JSON document on stdout: ${JSON.stringify(stdout.slice(0, 300))}`);
}
