import type { Connection } from "../redis/connection.js";
import { RUN_MARKER_TTL_MS } from "../redis/ownership.js";
import { DEFAULT_URL } from "../redis/url.js";
import { cleanupRun, type CleanupResult, type RunEnv } from "../runner/runner.js";
import type { GlobalOptions } from "./options/common.js";

/** How the keys a run could not delete go away on their own (the run's marker expires unless renewed). */
export const LEFT_KEYS_EXPIRY = `its marker expires within ${RUN_MARKER_TTL_MS / 60_000} min`;

/** How long the end-of-run cleanup keeps trying after a lost or stalled connection: 3 × --timeout, 10–60 s. */
export function cleanupPatienceMs(timeoutMs: number): number {
  return Math.min(60_000, Math.max(10_000, 3 * timeoutMs));
}

/**
 * The end-of-run cleanup, through a dropped connection (CLIENT KILL, a restart) or a stalled server (CLIENT PAUSE,
 * DEBUG SLEEP past --timeout): each attempt re-opens the connection if it was lost (same URL, TLS and credentials:
 * Connection.reconnect) and deletes what the run created; a failed attempt is retried with a growing pause for
 * cleanupPatienceMs. If it still cannot, the result's error says how many keys are left under the prefix, how they
 * expire on their own, and the exact `redis-patterns cleanup` command that removes them (the run's last line).
 */
export async function cleanupWithReconnect(
  connection: Pick<Connection, "reconnect" | "target">,
  env: Pick<RunEnv, "redis" | "recorder" | "keys" | "claim">,
  keep: boolean,
  opts: {
    timeoutMs: number;
    notice: (message: string) => void;
    /** The `redis-patterns cleanup …` command for this target (cleanupCommand). */
    command: string;
    /** What bounds the left keys' lives, for the message ("each expires within 24 h"). */
    expiry: string;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<CleanupResult> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const patience = cleanupPatienceMs(opts.timeoutMs);
  const deadline = Date.now() + patience;
  let deleted = 0;
  let pause = 250;
  for (let attempt = 1; ; attempt++) {
    let result: CleanupResult;
    try {
      if (await connection.reconnect()) opts.notice(`reconnected to ${connection.target.url} to clean up`);
      result = await cleanupRun(env, keep);
    } catch (err) {
      result = {
        kept: keep,
        keys: env.keys.created().length,
        deleted: 0,
        commands: [],
        error: err instanceof Error ? err.message : String(err),
      };
    }
    deleted += result.deleted;
    if (result.error === undefined) return { ...result, deleted };
    if (Date.now() + pause >= deadline) {
      if (connection.target.embedded) return { ...result, deleted };
      const named = env.keys.deletable().length;
      return {
        ...result,
        deleted,
        command: opts.command,
        error:
          `could not ${keep ? "keep" : "delete"} the run's keys after ${attempt} ` +
          `attempt${attempt === 1 ? "" : "s"} in ${Math.round(patience / 1000)} s ` +
          `(${result.error}): up to ${named} key${named === 1 ? "" : "s"} and the run's marker may be left ` +
          `under ${env.keys.prefix} (${opts.expiry}); ` +
          `remove them with: ${opts.command}`,
      };
    }
    if (attempt === 1)
      opts.notice(
        `cleanup failed (${result.error}): retrying for up to ${Math.round(patience / 1000)} s (reconnecting ` +
          `if the connection was lost)`,
      );
    await sleep(pause);
    pause = Math.min(pause * 2, 2_000);
  }
}

/**
 * The exact command that removes what a run left under `prefix` on this target: `--url` unless the target is the
 * default one (several for a cluster's seeds), with the password taken out (it comes from REDIS_PASSWORD or
 * --ask-pass), and the TLS and cluster options the run used.
 */
export function cleanupCommand(
  opts: Pick<GlobalOptions, "url" | "cluster" | "tlsCa" | "insecure">,
  prefix: string,
  envUrl: string | undefined = process.env.REDIS_URL,
): string {
  const urls = [opts.url ?? envUrl ?? []].flat();
  const parts = ["redis-patterns", "cleanup", "--prefix", shellWord(prefix)];
  let password = false;
  for (const url of urls) {
    const shown = withoutPassword(url);
    password ||= shown !== url;
    if (urls.length > 1 || shown !== DEFAULT_URL) parts.push("--url", shellWord(shown));
  }
  if (opts.cluster) parts.push("--cluster");
  if (opts.tlsCa) parts.push("--tls-ca", shellWord(opts.tlsCa));
  if (opts.insecure) parts.push("--insecure");
  return parts.join(" ") + (password ? " (with the password in REDIS_PASSWORD, or --ask-pass)" : "");
}

/** The URL without its password (the user name stays); unparsable ones up to their last "@" removed. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url.includes("@") ? url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^]*@/i, "$1") : url;
  }
}

/** A word as a POSIX shell reads it: bare when safe, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
