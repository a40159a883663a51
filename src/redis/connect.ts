import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { Redis, type RedisOptions } from "ioredis";
import { AuthError, ConnectError, RedisPatternsError, UsageError } from "../errors.js";
import type { CommandRecorder } from "./recorder.js";
import { redactUrl, scrubSecret } from "./redact.js";
import { startThrowawayServer, type ThrowawayServer } from "./throwaway-server.js";

export const DEFAULT_URL = "redis://127.0.0.1:6379";

export interface ConnectOptions {
  /** `--url`; when absent, `REDIS_URL` (passed in as `envUrl`), else the default address. */
  url?: string;
  envUrl?: string;
  /** `--embedded`: always start a throwaway redis-server. */
  embedded?: boolean;
  /** False where a fresh empty server would be pointless (cleanup): then the default address must answer. */
  allowEmbedded?: boolean;
  /** `--tls-ca <file>` and `--insecure` for rediss:// URLs. */
  tlsCa?: string;
  insecure?: boolean;
  /** Connect timeout, and the default command timeout. */
  timeoutMs: number;
  recorder: CommandRecorder;
  /** Called with one-line notices for stderr (e.g. that a throwaway server was started). */
  notice?: (message: string) => void;
  /** Keep retrying a refused or timed-out connection this long (`smoke --wait`: Redis may still be starting). */
  waitMs?: number;
}

export type ServerMode = "standalone" | "cluster" | "replica" | "sentinel" | "unknown";

/** What the header shows: where we are connected and to what. */
export interface Target {
  url: string;
  server: string;
  version: string;
  mode: ServerMode;
  /** True when the tool started its own throwaway server for this run. */
  embedded: boolean;
}

export interface Connection {
  readonly redis: Redis;
  readonly target: Target;
  /** Open one more recorded connection to the same server (a second client, a worker). */
  newClient(label: string): Promise<Redis>;
  close(): Promise<void>;
}

/** A parsed `redis://` / `rediss://` / `unix://` URL, as ioredis options plus what errors should name. */
export interface ParsedUrl {
  options: RedisOptions;
  display: string;
  password?: string;
}

export function parseRedisUrl(url: string, tls: { ca?: string; insecure?: boolean } = {}): ParsedUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`malformed URL "${redactUrl(url)}": expected redis://[user:password@]host[:port][/db]`);
  }
  const password = parsed.password ? decodeUrlPart(parsed.password, url) : undefined;
  const username = parsed.username ? decodeUrlPart(parsed.username, url) : undefined;
  const options: RedisOptions = {};
  if (username) options.username = username;
  if (password) options.password = password;
  const protocol = parsed.protocol;
  if (protocol === "unix:" || protocol === "redis+unix:") {
    if (!parsed.pathname) throw new UsageError(`malformed URL "${redactUrl(url)}": no socket path`);
    options.path = decodeUrlPart(parsed.pathname, url);
    const db = parsed.searchParams.get("db");
    if (db !== null) options.db = parseDb(db, url);
    return { options, display: redactUrl(url), password };
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new UsageError(`unsupported URL scheme "${protocol}" in "${redactUrl(url)}": use redis://, rediss:// or unix://`);
  }
  if (!parsed.hostname) throw new UsageError(`malformed URL "${redactUrl(url)}": no host`);
  options.host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  options.port = parsed.port ? Number(parsed.port) : 6379;
  const dbPath = parsed.pathname.replace(/^\//, "");
  if (dbPath) options.db = parseDb(dbPath, url);
  if (protocol === "rediss:") {
    options.tls = {
      ...(isIP(options.host) ? {} : { servername: options.host }),
      rejectUnauthorized: !tls.insecure,
      ...(tls.ca ? { ca: readCa(tls.ca) } : {}),
    };
  } else if (tls.ca || tls.insecure) {
    throw new UsageError("--tls-ca and --insecure apply to rediss:// URLs only");
  }
  return { options, display: redactUrl(url), password };
}

/** A percent-decoded URL part; a bad escape (`%zz`) is the user's typo, not an internal error. */
function decodeUrlPart(part: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UsageError(`malformed URL "${redactUrl(url)}": a %-escape in the user name, password or path is not valid`);
  }
}

function parseDb(text: string, url: string): number {
  const db = Number(text);
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`malformed URL "${redactUrl(url)}": database "${text}" is not a number`);
  return db;
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read --tls-ca file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * Connect as the brief says: an explicit URL (flag, then REDIS_URL) is used as given; with none, the default address
 * is tried and, when nothing answers there, a throwaway redis-server is started. Every failure becomes a
 * ConnectError or AuthError with one clear line.
 */
export async function connectTarget(opts: ConnectOptions): Promise<Connection> {
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(opts);
    } catch (err) {
      if (!(err instanceof ConnectError) || Date.now() >= deadline) throw err;
      if (attempt === 1) opts.notice?.(`waiting up to ${Math.ceil((deadline - Date.now()) / 1000)} s for the server: ${err.message}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
  }
}

async function connectOnce(opts: ConnectOptions): Promise<Connection> {
  const explicit = opts.url ?? (opts.envUrl || undefined);
  if (opts.embedded) return connectEmbedded(opts, "--embedded");
  if (explicit) return connectUrl(parseRedisUrl(explicit, { ca: opts.tlsCa, insecure: opts.insecure }), opts, null);
  const parsed = parseRedisUrl(DEFAULT_URL);
  try {
    return await connectUrl(parsed, { ...opts, timeoutMs: Math.min(opts.timeoutMs, 1_000) }, null);
  } catch (err) {
    // With --wait the default address is what the user waits for: no throwaway server in its place.
    if (!(err instanceof ConnectError) || opts.allowEmbedded === false || opts.waitMs) throw err;
    return connectEmbedded(opts, `nothing answers at ${DEFAULT_URL}`);
  }
}

async function connectEmbedded(opts: ConnectOptions, why: string): Promise<Connection> {
  const server = await startThrowawayServer();
  opts.notice?.(
    `${why}: started a throwaway redis-server ${server.version} on 127.0.0.1:${server.port} (no persistence); it stops when this run ends`,
  );
  try {
    return await connectUrl(parseRedisUrl(server.url), opts, server);
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function connectUrl(parsed: ParsedUrl, opts: ConnectOptions, server: ThrowawayServer | null): Promise<Connection> {
  const open = async (label: string): Promise<Redis> => {
    const redis = new Redis({
      ...parsed.options,
      lazyConnect: true,
      connectTimeout: opts.timeoutMs,
      commandTimeout: opts.timeoutMs,
      // Fail fast: ioredis would otherwise retry for over a minute and keep the process alive.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      reconnectOnError: () => false,
      enableReadyCheck: false,
      disableClientInfo: true,
      connectionName: "redis-patterns",
    });
    // With reconnection off, connect() rejects with a bare "Connection is closed"; the cause (ECONNREFUSED, a TLS
    // failure, WRONGPASS) arrives as an "error" event first. Keep it for the message. The listener also stops
    // ioredis from printing unhandled errors.
    let cause: unknown;
    redis.on("error", (err: unknown) => (cause ??= err));
    const recording = opts.recorder.attach(redis, label);
    try {
      await redis.connect();
      recording.endHandshake();
      // A PING proves the connection is usable: it surfaces NOAUTH when the server wants a password we lack.
      await redis.call("PING");
    } catch (err) {
      redis.disconnect();
      const closed = err instanceof Error && /Connection is closed/.test(err.message);
      throw classifyRedisError(closed && cause ? cause : err, parsed);
    }
    return redis;
  };
  const redis = await open("main");
  const clients: Redis[] = [redis];
  let target: Target;
  try {
    target = { url: parsed.display, ...(await describeServer(redis)), embedded: server !== null };
  } catch (err) {
    redis.disconnect();
    await server?.stop();
    throw classifyRedisError(err, parsed);
  }
  return {
    redis,
    target,
    async newClient(label: string) {
      const client = await open(label);
      clients.push(client);
      return client;
    },
    async close() {
      // A connection a scenario already closed (an app instance that went away) is not closed again: the second QUIT
      // would never reach the server, yet it would be recorded.
      await Promise.all(clients.filter((c) => c.status !== "end").map((c) => c.quit().catch(() => c.disconnect())));
      await server?.stop();
    },
  };
}

/** Server name, version and mode from INFO; "unknown" where INFO is refused (some managed services, ACLs). */
async function describeServer(redis: Redis): Promise<Omit<Target, "url" | "embedded">> {
  let server = "Redis";
  let version = "unknown";
  let mode: ServerMode = "unknown";
  try {
    const info = parseInfo(String(await redis.call("INFO", "server")));
    if (info.valkey_version || info.server_name === "valkey") {
      server = "Valkey";
      version = info.valkey_version ?? info.redis_version ?? "unknown";
    } else {
      version = info.redis_version ?? "unknown";
      if (info.dragonfly_version) server = "Dragonfly";
    }
    mode = info.redis_mode === "cluster" ? "cluster" : info.redis_mode === "sentinel" ? "sentinel" : "standalone";
    const replication = parseInfo(String(await redis.call("INFO", "replication")));
    if (replication.role === "slave" || replication.role === "replica") mode = "replica";
  } catch (err) {
    if (!(err instanceof Error) || !/NOPERM|unknown command/i.test(err.message)) throw err;
  }
  return { server, version, mode };
}

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

const TLS_CODES = /^(ERR_TLS|ERR_SSL|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|CERT_|ERR_OSSL)/;

/** Map what ioredis or the socket threw to the error vocabulary, with one line that names the target. */
export function classifyRedisError(err: unknown, parsed: Pick<ParsedUrl, "display" | "password">): RedisPatternsError {
  if (err instanceof RedisPatternsError) return err;
  const e = err as NodeJS.ErrnoException & { message?: string };
  const message = scrubSecret(String(e?.message ?? err), parsed.password);
  const code = e?.code ?? "";
  const where = parsed.display;
  if (/^WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return new AuthError(`authentication failed at ${where}: wrong username or password`);
  }
  if (/^NOAUTH/.test(message)) {
    return new AuthError(`${where} requires a password: put it in the URL (redis://user:password@host:port)`);
  }
  if (/^NOPERM/.test(message)) return new AuthError(`permission denied at ${where}: ${message}`);
  if (code === "ECONNREFUSED") return new ConnectError(`cannot connect to ${where}: connection refused`);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new ConnectError(`cannot connect to ${where}: unknown host`);
  if (code === "ENOENT" || code === "EACCES") return new ConnectError(`cannot connect to ${where}: ${code === "ENOENT" ? "no such socket" : "permission denied on socket"}`);
  if (code === "ETIMEDOUT" || /timed out/i.test(message)) {
    const hint = where.startsWith("rediss:") ? " (does the server speak TLS on that port?)" : "";
    return new ConnectError(`cannot connect to ${where}: timed out${hint}`);
  }
  if (TLS_CODES.test(code) || /certificate|SSL|TLS/i.test(message)) {
    return new ConnectError(`TLS handshake with ${where} failed: ${message} (use --tls-ca <file>, or --insecure to skip verification)`);
  }
  if (/Connection is closed|ECONNRESET|EPIPE|Stream isn't writeable/i.test(message) || code === "ECONNRESET") {
    return new ConnectError(`connection to ${where} was closed${/wrong version number|packet length/i.test(message) ? " (TLS mismatch?)" : ""}: ${message}`);
  }
  return new ConnectError(`cannot use ${where}: ${message}`);
}
