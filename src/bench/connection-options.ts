import type { RedisOptions } from "ioredis";

/** What a worker thread needs to open its own connections to the same server (structured-cloneable). */
export function workerConnection(options: RedisOptions): RedisOptions {
  const out: RedisOptions = {};
  if (options.path) out.path = options.path;
  else {
    out.host = options.host;
    out.port = options.port;
  }
  if (options.username) out.username = options.username;
  if (options.password) out.password = options.password;
  if (options.db) out.db = options.db;
  if (options.tls) out.tls = options.tls;
  return out;
}

/** Whether the server runs on this machine (a Unix socket or a loopback address). */
export function isLocal(options: RedisOptions): boolean {
  return Boolean(options.path) || ["127.0.0.1", "localhost", "::1"].includes(String(options.host));
}
