import { Redis } from "ioredis";
import { ConnectError, UsageError } from "../errors.js";
import { classifyRedisError } from "./classify-error.js";
import { connectCluster } from "./cluster.js";
import type { ClientOptions, ConnectOptions, Connection, Target } from "./connection.js";
import { describeServer, handshake, type HandshakeRecording } from "./handshake.js";
import { startThrowawayServer, type ThrowawayServer } from "./throwaway-server.js";
import { DEFAULT_URL, parseRedisUrl, withPassword, type ParsedUrl } from "./url.js";

/*
 * Connecting to the run's target: the entry (connectTarget), a single server (connectServer below), the throwaway
 * server when nothing answers. Around it: url.ts parses the URL, handshake.ts connects one client and asks INFO,
 * cluster.ts connects to a Redis Cluster, classify-error.ts words what went wrong, connection.ts holds the types.
 */

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
    const single = await connectServer(seeds[0]!, opts, null);
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
    return await connectServer(parsed, { ...opts, timeoutMs: Math.min(opts.timeoutMs, 1_000) }, null);
  } catch (err) {
    // With --wait the default address is what the user waits for: no throwaway server in its place.
    if (!(err instanceof ConnectError) || opts.allowEmbedded === false || opts.waitMs) throw err;
    return connectEmbedded(opts, `nothing answers at ${DEFAULT_URL}`);
  }
}

async function connectEmbedded(opts: ConnectOptions, why: string): Promise<Connection> {
  const server = await startThrowawayServer();
  opts.notice?.(
    `${why}: started a throwaway redis-server ${server.version} on 127.0.0.1:${server.port} (no persistence); ` +
      `it stops when this run ends`,
  );
  try {
    return await connectServer(parseRedisUrl(server.url), opts, server);
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function connectServer(
  parsed: ParsedUrl,
  opts: ConnectOptions,
  server: ThrowawayServer | null,
): Promise<Connection> {
  const recordings = new Map<Redis, HandshakeRecording>();
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
    // failure, WRONGPASS) arrives as an "error" event first: handshake() keeps it for the message. This listener
    // stops ioredis from printing unhandled errors (a connection lost mid-run).
    redis.on("error", () => {});
    const address =
      opts.recordNode && parsed.options.host ? `${parsed.options.host}:${parsed.options.port ?? 6379}` : undefined;
    const recording = opts.recorder.attach(redis, label, address ? { node: address } : {});
    recordings.set(redis, recording);
    await handshake(redis, recording, parsed, opts.timeoutMs);
    return redis;
  };
  // Connected and described: from now on commands get the command timeout (ioredis reads it at each send).
  const connected = (client: Redis): Redis => {
    if (opts.commandTimeoutMs !== undefined) client.options.commandTimeout = opts.commandTimeoutMs;
    return client;
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
  connected(redis);
  return {
    redis,
    target,
    masters: () => [redis],
    async newClient(label: string, options?: ClientOptions) {
      const client = connected(await open(label, options?.via));
      clients.push(client);
      return client;
    },
    async reconnect() {
      // Only the main connection: the extra ones belong to scenarios (an app instance that quit on purpose stays
      // closed).
      if (redis.status === "ready") return false;
      if (redis.status !== "end" && redis.status !== "close") {
        // Half-open (connecting, reconnecting): drop it and start over.
        redis.disconnect();
      }
      await handshake(redis, recordings.get(redis)!, parsed, opts.timeoutMs);
      return true;
    },
    async close() {
      // A connection a scenario already closed (an app instance that went away) is not closed again: the second QUIT
      // would never reach the server, yet it would be recorded.
      // Nor one whose QUIT a scenario already sent (its teardown quits its nodes before stopping them): ioredis flags
      // a connection it wrote QUIT on, and its status only turns "end" when the server has closed the socket.
      await Promise.all(
        clients.filter((c) => c.status !== "end" && !quitSent(c)).map((c) => c.quit().catch(() => c.disconnect())),
      );
      await server?.stop();
    },
  };
}

/** Whether ioredis has written a command that closes the connection (QUIT) on it: its own `manuallyClosing` flag. */
function quitSent(client: Redis): boolean {
  return (client as unknown as { manuallyClosing?: boolean }).manuallyClosing === true;
}
