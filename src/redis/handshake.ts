import type { Redis } from "ioredis";
import { ConnectError, UsageError } from "../errors.js";
import { classifyRedisError, isRefusedCommand, redisProblem } from "./classify-error.js";
import type { Target } from "./connection.js";
import { identifyServer, parseInfo, serverMode, type ServerMode } from "./server-info.js";
import type { ParsedUrl } from "./url.js";

/** The recorder's view of one connection: the handshake's commands are recorded as such. */
export interface HandshakeRecording {
  beginHandshake(): void;
  endHandshake(): void;
}

/**
 * Connect (or connect again) a client: the handshake is recorded as such, then a PING proves it usable. One deadline
 * for the whole of it; every failure becomes a ConnectError, AuthError or UsageError naming the target.
 */
export async function handshake(
  redis: Redis,
  recording: HandshakeRecording,
  parsed: ParsedUrl,
  timeoutMs: number,
): Promise<void> {
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
            `cannot connect to ${parsed.display}: timed out after ${formatTimeout(timeoutMs)}` +
              (parsed.display.startsWith("rediss:") ? " (does the server speak TLS on that port?)" : ""),
          ),
        ),
      timeoutMs,
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
        `database ${parsed.options.db} is not available at ${parsed.display}: ` +
          `SELECT ${parsed.options.db} → ${cause.message}; nothing was written`,
      );
    }
  })();
  connecting.catch(() => {});
  try {
    await Promise.race([connecting, deadline]);
  } catch (err) {
    redis.disconnect();
    if (err instanceof ConnectError) throw err;
    const closed = err instanceof Error && redisProblem(err.message) === "lost";
    throw classifyRedisError(closed && cause ? cause : err, parsed);
  } finally {
    clearTimeout(timer);
    redis.off("error", onError);
  }
}

/** Server name, version and mode from INFO; "unknown" where INFO is refused (some managed services, ACLs). */
export async function describeServer(redis: Redis): Promise<Omit<Target, "url" | "embedded">> {
  let server = "Redis";
  let version = "unknown";
  let mode: ServerMode = "unknown";
  try {
    const info = parseInfo(String(await redis.call("INFO", "server")));
    const id = identifyServer(info);
    server = id.name;
    // The header's version: Valkey's own (it names Valkey's releases); for the others, the Redis version they claim.
    version = id.name === "Valkey" ? id.version : id.redisVersion;
    mode = serverMode({ redis_mode: info.redis_mode ?? "standalone" });
    const replication = parseInfo(String(await redis.call("INFO", "replication")));
    if (serverMode(replication) === "replica") mode = "replica";
  } catch (err) {
    if (!isRefusedCommand(err)) throw err;
  }
  return { server, version, mode };
}

/** "1 s", "1.5 s", "500 ms". */
function formatTimeout(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(3))} s` : `${ms} ms`;
}
