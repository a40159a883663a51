import { AuthError, ConnectError, RedisPatternsError } from "../errors.js";
import { scrubSecret } from "./redact.js";
import type { ParsedUrl } from "./url.js";

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
