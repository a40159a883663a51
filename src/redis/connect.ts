import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { AuthError, ConnectError, RedisPatternsError, UsageError } from "../errors.js";
import type { CommandRecorder } from "./recorder.js";
import { redactUrl, scrubSecret } from "./redact.js";
import { startThrowawayServer, type ThrowawayServer } from "./throwaway-server.js";
import { parseInfo } from "./server-info.js";

export const DEFAULT_URL = "redis://127.0.0.1:6379";

export interface ConnectOptions {
  /**
   * `--url`; when absent, `REDIS_URL` (passed in as `envUrl`), else the default address. Several URLs (a repeated
   * `--url`) are the seed nodes of a Redis Cluster.
   */
  url?: string | string[];
  /** `--cluster`: use the Redis Cluster client even if the server does not say it runs in cluster mode. */
  cluster?: boolean;
  envUrl?: string;
  /** `--embedded`: always start a throwaway redis-server. */
  embedded?: boolean;
  /** False where a fresh empty server would be pointless (cleanup): then the default address must answer. */
  allowEmbedded?: boolean;
  /**
   * The password to use when the URL has none (REDIS_PASSWORD, REDISCLI_AUTH or --ask-pass, so it need not be in
   * argv); a password in the URL wins. Not used for servers the tool starts itself.
   */
  password?: string;
  /** `--tls-ca <file>` and `--insecure` for rediss:// URLs. */
  tlsCa?: string;
  insecure?: boolean;
  /** Connect timeout, and the default command timeout. */
  timeoutMs: number;
  /** The trace label of the first connection ("main" by default; a scenario's extra server, e.g. "node-3"). */
  label?: string;
  recorder: CommandRecorder;
  /** Called with one-line notices for stderr (e.g. that a throwaway server was started). */
  notice?: (message: string) => void;
  /**
   * Record each command with the server's address (host:port) as its node: for connections to a server other than
   * the run's target (a scenario's own servers), so the trace says which server each command went to.
   */
  recordNode?: boolean;
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
  /**
   * The recorded client the scenarios use. On a Redis Cluster this is an ioredis `Cluster`, typed as `Redis`: it
   * has the same command surface (call, pipeline, multi, scripts), routes each command by its key's slot, and
   * follows MOVED/ASK redirections.
   */
  readonly redis: Redis;
  readonly target: Target;
  /**
   * One client per master (the cluster's masters, or the one server): what must see every key, such as SCAN,
   * goes to each of them.
   */
  masters(): Redis[];
  /**
   * Open one more recorded connection to the same server (a second client, a worker); `via` connects through a
   * TCP forwarder on this machine instead (a delay proxy), with the same credentials, database and TLS settings.
   */
  newClient(label: string, options?: ClientOptions): Promise<Redis>;
  /**
   * Re-open the connections that were lost (the server closed them, a CLIENT KILL, a network blip): the same client
   * objects connect again, still recorded, so whoever holds `redis` keeps using it. Resolves true when something was
   * re-opened, false when every connection was still up; rejects with a ConnectError or AuthError when the server
   * cannot be reached again.
   */
  reconnect(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ClientOptions {
  via?: { host: string; port: number };
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
    throw new UsageError(
      `unsupported URL scheme "${protocol}" in "${redactUrl(url)}": use redis://, rediss:// or unix://`,
    );
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

/** The URL's own password, else `password` (from the environment or a prompt), also for scrubbing error messages. */
export function withPassword(parsed: ParsedUrl, password: string | undefined): ParsedUrl {
  if (parsed.password || !password) return parsed;
  return { ...parsed, options: { ...parsed.options, password }, password };
}

/** A percent-decoded URL part; a bad escape (`%zz`) is the user's typo, not an internal error. */
function decodeUrlPart(part: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UsageError(
      `malformed URL "${redactUrl(url)}": a %-escape in the user name, password or path is not valid`,
    );
  }
}

function parseDb(text: string, url: string): number {
  const db = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(db) || db < 0)
    throw new UsageError(`malformed URL "${redactUrl(url)}": database "${text}" is not a number`);
  if (db > 2 ** 31 - 1)
    throw new UsageError(
      `database ${text} in "${redactUrl(url)}" is out of range: a Redis database index is 0–2147483647`,
    );
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
      if (attempt === 1)
        opts.notice?.(`waiting up to ${Math.ceil((deadline - Date.now()) / 1000)} s for the server: ${err.message}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
  }
}

async function connectOnce(opts: ConnectOptions): Promise<Connection> {
  const urls = [opts.url ?? []].flat();
  const explicit = urls.length > 0 ? urls : opts.envUrl ? [opts.envUrl] : [];
  if (opts.embedded) {
    if (opts.cluster)
      throw new UsageError("--embedded starts one standalone server: --cluster needs --url of a cluster node");
    return connectEmbedded(opts, "--embedded");
  }
  if (explicit.length > 0) {
    const seeds = explicit.map((url) =>
      withPassword(parseRedisUrl(url, { ca: opts.tlsCa, insecure: opts.insecure }), opts.password),
    );
    if (opts.cluster || seeds.length > 1) return connectCluster(seeds, opts);
    const probed = opts.recorder.mark();
    const single = await connectUrl(seeds[0]!, opts, null);
    if (single.target.mode !== "cluster") return single;
    // INFO said cluster_enabled: the probe connection goes (its QUIT is in the setup trace), the cluster client comes.
    await single.close();
    const seed = `${seeds[0]!.options.host}:${seeds[0]!.options.port}`;
    for (const cmd of opts.recorder.since(probed)) cmd.node ??= seed;
    return connectCluster(seeds, opts);
  }
  if (opts.cluster) throw new UsageError("--cluster needs --url with the address of at least one cluster node");
  const parsed = withPassword(parseRedisUrl(DEFAULT_URL), opts.password);
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

async function connectUrl(
  parsed: ParsedUrl,
  opts: ConnectOptions,
  server: ThrowawayServer | null,
): Promise<Connection> {
  /** Connect (or connect again) a client: the handshake is recorded as such, then a PING proves it usable. */
  type Recording = { endHandshake(): void; beginHandshake(): void };
  const connectClient = async (redis: Redis, recording: Recording): Promise<void> => {
    let cause: unknown;
    const onError = (err: unknown) => (cause ??= err);
    redis.on("error", onError);
    // One deadline for the whole of connecting (TCP, TLS, the handshake's AUTH/CLIENT SETNAME, the PING): --timeout
    // bounds it as a whole, not each of those in turn (ioredis's timeouts apply per step and add up).
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ConnectError(
              `cannot connect to ${parsed.display}: timed out after ${formatTimeout(opts.timeoutMs)}` +
                (parsed.display.startsWith("rediss:") ? " (does the server speak TLS on that port?)" : ""),
            ),
          ),
        opts.timeoutMs,
      );
    });
    const connecting = (async () => {
      recording.beginHandshake();
      await redis.connect();
      recording.endHandshake();
      // A PING proves the connection is usable: it surfaces NOAUTH when the server wants a password we lack.
      await redis.call("PING");
      // ioredis sends SELECT on connecting and only reports a refusal as an "error" event: without this the run
      // would go on in database 0.
      if (parsed.options.db && cause instanceof Error && /DB index|select/i.test(cause.message)) {
        throw new UsageError(
          `database ${parsed.options.db} is not available at ${parsed.display}: SELECT ${parsed.options.db} → ${cause.message}; nothing was written`,
        );
      }
    })();
    connecting.catch(() => {});
    try {
      await Promise.race([connecting, deadline]);
    } catch (err) {
      redis.disconnect();
      if (err instanceof ConnectError) throw err;
      const closed = err instanceof Error && /Connection is closed/.test(err.message);
      throw classifyRedisError(closed && cause ? cause : err, parsed);
    } finally {
      clearTimeout(timer);
      redis.off("error", onError);
    }
  };
  const recordings = new Map<Redis, Recording>();
  const open = async (label: string, via?: ClientOptions["via"]): Promise<Redis> => {
    if (via && parsed.options.path)
      throw new UsageError("a connection through a proxy needs a TCP server, not a socket");
    const redis = new Redis({
      ...parsed.options,
      ...(via
        ? {
            host: via.host,
            port: via.port,
            // TLS still checks the server's own name, not the proxy's.
            ...(parsed.options.tls ? { tls: { ...parsed.options.tls, servername: parsed.options.host } } : {}),
          }
        : {}),
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
    // failure, WRONGPASS) arrives as an "error" event first: connectClient keeps it for the message. This listener
    // stops ioredis from printing unhandled errors (a connection lost mid-run).
    redis.on("error", () => {});
    const address =
      opts.recordNode && parsed.options.host ? `${parsed.options.host}:${parsed.options.port ?? 6379}` : undefined;
    const recording = opts.recorder.attach(redis, label, address ? { node: address } : {});
    recordings.set(redis, recording);
    await connectClient(redis, recording);
    return redis;
  };
  const redis = await open(opts.label ?? "main");
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
    masters: () => [redis],
    async newClient(label: string, options?: ClientOptions) {
      const client = await open(label, options?.via);
      clients.push(client);
      return client;
    },
    async reconnect() {
      // Only the main connection: the extra ones belong to scenarios (an app instance that quit on purpose stays closed).
      if (redis.status === "ready") return false;
      if (redis.status !== "end" && redis.status !== "close") {
        // Half-open (connecting, reconnecting): drop it and start over.
        redis.disconnect();
      }
      await connectClient(redis, recordings.get(redis)!);
      return true;
    },
    async close() {
      // A connection a scenario already closed (an app instance that went away) is not closed again: the second QUIT
      // would never reach the server, yet it would be recorded.
      await Promise.all(clients.filter((c) => c.status !== "end").map((c) => c.quit().catch(() => c.disconnect())));
      await server?.stop();
    },
  };
}

/**
 * Connect to a Redis Cluster through ioredis's `Cluster` client, seeded from the given nodes. The client discovers
 * the others with CLUSTER SLOTS and opens one connection per node as commands need them. The recorder is attached to
 * every node connection as it is created (and to the short-lived connection that asks CLUSTER SLOTS), so each
 * recorded command names the node (host:port) that served it, and a MOVED or ASK reply is recorded as an error
 * followed by the same command on the right node.
 */
async function connectCluster(seeds: ParsedUrl[], opts: ConnectOptions): Promise<Connection> {
  const first = seeds[0]!;
  const display = seeds.map((s) => s.display).join(",");
  const { host: _h, port: _p, path, db, ...shared } = first.options;
  if (path) throw new UsageError(`Redis Cluster nodes are reached over TCP: ${first.display} is a unix socket`);
  if (db) throw new UsageError(`Redis Cluster has only database 0: drop /${db} from ${first.display}`);
  const open = async (label: string): Promise<Cluster> => {
    const cluster = new Cluster(
      seeds.map((s) => ({ host: s.options.host!, port: s.options.port! })),
      {
        lazyConnect: true,
        enableReadyCheck: false,
        // Fail fast instead of retrying for a minute; follow redirections at once.
        clusterRetryStrategy: () => null,
        maxRedirections: 16,
        retryDelayOnMoved: 0,
        // No refresh every few seconds in the background: the slot map is read on connecting and after a MOVED.
        slotsRefreshInterval: 0,
        slotsRefreshTimeout: opts.timeoutMs,
        redisOptions: {
          ...shared,
          connectTimeout: opts.timeoutMs,
          commandTimeout: opts.timeoutMs,
          maxRetriesPerRequest: 0,
          enableReadyCheck: false,
          disableClientInfo: true,
          connectionName: "redis-patterns",
        },
      },
    );
    let cause: unknown;
    cluster.on("error", (err: unknown) => (cause ??= err));
    cluster.on("node error", (err: unknown) => (cause ??= err));
    cluster.on("+node", (node: Redis) => recordNode(node, label, opts.recorder));
    recordSubscriber(cluster, label, opts.recorder);
    // Cluster#quit would open a connection to every known node just to send it QUIT: close only the open ones.
    cluster.quit = (() => closeCluster(cluster).then(() => "OK" as const)) as typeof cluster.quit;
    try {
      await cluster.connect();
      await cluster.call("PING");
    } catch (err) {
      cluster.disconnect();
      const closed =
        err instanceof Error &&
        /Connection is closed|Failed to refresh slots cache|None of startup nodes/.test(err.message);
      const why = closed && cause ? cause : err;
      if (why instanceof Error && /cluster support disabled/i.test(why.message)) {
        throw new UsageError(
          `${display} is not in cluster mode (${why.message}): --cluster and a repeated --url are for Redis Cluster nodes`,
        );
      }
      throw classifyRedisError(why, { display, password: first.password });
    }
    return cluster;
  };
  const cluster = await open(opts.label ?? "main");
  const clients: Cluster[] = [cluster];
  let described: Omit<Target, "url" | "embedded">;
  try {
    // INFO from the node that answers for a slot of ours, recorded like any command.
    described = await describeServer(cluster.nodes("master")[0] ?? (cluster as unknown as Redis));
  } catch (err) {
    cluster.disconnect();
    throw classifyRedisError(err, { display, password: first.password });
  }
  return {
    redis: cluster as unknown as Redis,
    target: { url: display, ...described, mode: "cluster", embedded: false },
    masters: () => cluster.nodes("master"),
    async newClient(label: string, options?: ClientOptions) {
      if (options?.via) throw new UsageError("a connection through a proxy is not available on a Redis Cluster");
      const client = await open(label);
      clients.push(client);
      return client as unknown as Redis;
    },
    async reconnect() {
      if (cluster.status === "ready") return false;
      if (cluster.status !== "end" && cluster.status !== "close") cluster.disconnect();
      try {
        await cluster.connect();
        await cluster.call("PING");
      } catch (err) {
        cluster.disconnect();
        throw classifyRedisError(err, { display, password: first.password });
      }
      return true;
    },
    async close() {
      await Promise.all(clients.filter((c) => c.status !== "end").map((c) => closeCluster(c)));
    },
  };
}

/** QUIT the node connections that are open (each recorded), drop the rest, and end the cluster client. */
async function closeCluster(cluster: Cluster): Promise<void> {
  await Promise.all(
    cluster
      .nodes()
      .map(async (node) => (node.status === "ready" ? node.quit().catch(() => node.disconnect()) : node.disconnect())),
  );
  cluster.disconnect();
}

/**
 * Pub/sub on a cluster goes through a connection of its own that ioredis opens to one node (not one of the pool's):
 * record it too, under "<label> (subscriber)".
 */
function recordSubscriber(cluster: Cluster, label: string, recorder: CommandRecorder): void {
  const holder = (cluster as unknown as { subscriber?: { subscriber?: Redis | null; selectSubscriber?: () => void } })
    .subscriber;
  if (!holder || typeof holder.selectSubscriber !== "function") return;
  const select = holder.selectSubscriber.bind(holder);
  holder.selectSubscriber = () => {
    select();
    if (holder.subscriber)
      recorder.attach(holder.subscriber, `${label} (subscriber)`, {
        node: nodeAddress(holder.subscriber),
        handshakeByName: true,
      });
  };
}

/** The address ioredis knows a node by (what CLUSTER SLOTS reported): host:port. */
function nodeAddress(node: Redis): string {
  return `${node.options.host ?? "?"}:${node.options.port ?? "?"}`;
}

/** Record a cluster node connection, and the connections the cluster client duplicates from it for CLUSTER SLOTS. */
function recordNode(node: Redis, label: string, recorder: CommandRecorder): void {
  recorder.attach(node, label, { node: nodeAddress(node), handshakeByName: true });
  node.on("error", () => {});
  const duplicate = node.duplicate.bind(node);
  node.duplicate = ((override?: Partial<RedisOptions>) => {
    const copy = duplicate(override);
    recorder.attach(copy, `${label} (slots)`, { node: nodeAddress(copy), handshakeByName: true });
    return copy;
  }) as typeof node.duplicate;
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

export { parseInfo };

/** "1 s", "1.5 s", "500 ms". */
function formatTimeout(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(3))} s` : `${ms} ms`;
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
    return new AuthError(
      `${where} requires a password: set REDIS_PASSWORD (or use --ask-pass; or put it in the URL, redis://user:password@host:port, where ps shows it)`,
    );
  }
  if (/^NOPERM/.test(message)) return new AuthError(`permission denied at ${where}: ${message}`);
  if (code === "ECONNREFUSED") return new ConnectError(`cannot connect to ${where}: connection refused`);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new ConnectError(`cannot connect to ${where}: unknown host`);
  if (code === "ENOENT" || code === "EACCES")
    return new ConnectError(
      `cannot connect to ${where}: ${code === "ENOENT" ? "no such socket" : "permission denied on socket"}`,
    );
  if (code === "ETIMEDOUT" || /timed out/i.test(message)) {
    const hint = where.startsWith("rediss:") ? " (does the server speak TLS on that port?)" : "";
    return new ConnectError(`cannot connect to ${where}: timed out${hint}`);
  }
  if (TLS_CODES.test(code) || /certificate|SSL|TLS/i.test(message)) {
    return new ConnectError(
      `TLS handshake with ${where} failed: ${message} (use --tls-ca <file>, or --insecure to skip verification)`,
    );
  }
  if (/Connection is closed|ECONNRESET|EPIPE|Stream isn't writeable/i.test(message) || code === "ECONNRESET") {
    return new ConnectError(
      `connection to ${where} was closed${/wrong version number|packet length/i.test(message) ? " (TLS mismatch?)" : ""}: ${message}`,
    );
  }
  const protocol = /Protocol error, got "(.)" as reply type byte/.exec(message);
  if (protocol) {
    // Something answered, in a language other than RESP: say what it looked like instead of ioredis's "Please report".
    const like = protocol[1] === "H" ? "HTTP" : protocol[1] === "S" ? "SSH" : `a reply starting with "${protocol[1]}"`;
    return new ConnectError(`${where} is not a Redis server (it answered like ${like})`);
  }
  return new ConnectError(`cannot use ${where}: ${message}`);
}
