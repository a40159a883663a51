import type { Redis } from "ioredis";
import type { CommandRecorder } from "./recorder.js";
import type { ServerMode } from "./server-info.js";

/**
 * What connecting takes and gives: the options (from the command line, or a scenario's own servers), the target the
 * header shows, and the connection the run holds. Made by connectTarget (connect.ts): a single server, or a Redis
 * Cluster (cluster.ts).
 */

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
  /** Connect timeout (the whole handshake), and the default command timeout. */
  timeoutMs: number;
  /**
   * The command timeout once connected, when it differs from the connect timeout: a Redlock node's vote must come
   * within a few ms, but a node slow to accept one connection on a busy machine is not down for the whole run.
   */
  commandTimeoutMs?: number;
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

export type { ServerMode };

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
