import { Cluster, type Redis, type RedisOptions } from "ioredis";
import { UsageError } from "../errors.js";
import { classifyRedisError } from "./classify-error.js";
import type { ClientOptions, ConnectOptions, Connection, Target } from "./connection.js";
import { describeServer } from "./handshake.js";
import type { CommandRecorder } from "./recorder.js";
import type { ParsedUrl } from "./url.js";

/**
 * Connect to a Redis Cluster through ioredis's `Cluster` client, seeded from the given nodes. The client discovers
 * the others with CLUSTER SLOTS and opens one connection per node as commands need them. The recorder is attached to
 * every node connection as it is created (and to the short-lived connection that asks CLUSTER SLOTS), so each
 * recorded command names the node (host:port) that served it, and a MOVED or ASK reply is recorded as an error
 * followed by the same command on the right node.
 */
export async function connectCluster(seeds: ParsedUrl[], opts: ConnectOptions): Promise<Connection> {
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
          `${display} is not in cluster mode (${why.message}): --cluster and a repeated --url are for Redis ` +
            `Cluster nodes`,
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
