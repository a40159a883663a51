import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";

/**
 * Run the built CLI (`node bin/redis-patterns.js …`) as a child process, the way a user would, and collect what it
 * printed and how it exited. End-to-end tests use this instead of calling main() so that exit codes, stream
 * flushing and signal handling are the real ones.
 */

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "redis-patterns.js");
// What bin/ runs: the bundle `npm run build` makes (scripts/bundle.mjs), as the published package does.
const ENTRY = join(ROOT, "dist", "bundle", "cli.js");

/**
 * Fail the test file at once, with the fix in the message, when there is nothing built to run. Called on import;
 * a test that builds its own arguments may call it again before its first run.
 */
export function assertBuilt(): void {
  if (!existsSync(ENTRY)) {
    throw new Error(
      `${relative(ROOT, ENTRY)} is missing: the end-to-end tests run the built CLI. ` +
        "Run `npm run build` (or `npm test`, which builds first).",
    );
  }
  const built = statSync(ENTRY).mtimeMs;
  const newer = newestSource(join(ROOT, "src"));
  if (newer && newer.mtimeMs > built + 1_000) {
    // A warning, not a failure: the sources may be mid-edit, and `npm test` always builds first.
    console.warn(
      `warning: ${relative(ROOT, newer.path)} is newer than dist/; ` +
        "run `npm run build` so the end-to-end tests see it",
    );
  }
}

function newestSource(dir: string): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory()
      ? newestSource(path)
      : entry.name.endsWith(".ts")
        ? { path, mtimeMs: statSync(path).mtimeMs }
        : undefined;
    if (candidate && (!newest || candidate.mtimeMs > newest.mtimeMs)) newest = candidate;
  }
  return newest;
}

assertBuilt();

export interface CliResult {
  /** The exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

export interface CliOptions {
  /** Variables added to (or, when undefined, removed from) the clean environment. */
  env?: Record<string, string | undefined>;
  /** Kill the process and fail after this long (60 s by default). */
  timeoutMs?: number;
  /** Node's own arguments, before the script (e.g. `--import` a resolve hook). */
  nodeArgs?: string[];
}

/**
 * The environment a child starts with: the test runner's, minus everything that would change what the CLI does
 * (a REDIS_URL from the developer's shell, colour switches, CI, DEBUG). Tests add back what they test.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    "REDIS_URL",
    "NO_COLOR",
    "FORCE_COLOR",
    "CI",
    "DEBUG",
    "NODE_OPTIONS",
    "REDIS_PATTERNS_TEST_STALL",
  ])
    delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Start the CLI without waiting for it (for signals); `done` resolves with the result when it exits. */
export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const started = Date.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
    cwd: ROOT,
    env: cleanEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `redis-patterns ${args.join(" ")} did not exit within ${timeoutMs} ms\n` +
            `stdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // "close", not "exit": all output has been read by then.
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, done };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** A URL where nothing listens (port 1): for runs that must stop before connecting, such as usage errors. */
export const NOWHERE = ["--url", "redis://127.0.0.1:1"];

/** Parse stdout as exactly one JSON document (JSON.parse rejects anything before or after it). */
export function parseJsonOutput<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch (err) {
    throw new Error(
      `stdout is not one JSON document (${(err as Error).message}):\n${result.stdout}\nstderr:\n${result.stderr}`,
      { cause: err },
    );
  }
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

/** The lines of a stream's output, without the final newline's empty line. */
export function lines(text: string): string[] {
  return text.replace(/\n$/, "").split("\n");
}

// eslint-disable-next-line no-control-regex -- an ANSI escape sequence starts with ESC
export const ANSI = /\u001b\[[0-9;]*[A-Za-z]/;

/** Every key under `prefix:` (SCAN MATCH, never KEYS), sorted. */
export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    for (const key of keys) found.add(key);
    cursor = next;
  } while (cursor !== "0");
  return [...found].sort();
}

/**
 * Wait until the run `child` has written a key under `prefix` besides its marker (<prefix>:rp-run), so that an
 * interrupt lands with state to clean up; kill the child and fail when none comes within `timeoutMs`.
 */
export async function waitForDataKey(
  child: ChildProcess,
  redis: Redis,
  prefix: string,
  timeoutMs = 15_000,
): Promise<void> {
  try {
    await waitFor(
      `a key under ${prefix}`,
      async () => (await scanKeys(redis, prefix)).some((k) => !k.endsWith(":rp-run")),
      timeoutMs,
    );
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}

/**
 * Poll until `probe` returns true, or fail after `timeoutMs`. For waiting on another process, never as an
 * assertion.
 */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
