import { AuthError, ConnectError, InterruptedError, RedisPatternsError, ScriptLoadError } from "../errors.js";
import { scrubSecret } from "./redact.js";
import type { ParsedUrl } from "./url.js";

/**
 * The one place that reads what ioredis, the socket or the server said and decides what kind of trouble it is. Two
 * wordings use it: `classifyRedisError` while connecting (one line naming the target) and `classifyStepError` for
 * what escapes a scenario's step (the run goes on with the next scenario).
 */
export type RedisProblem =
  | "wrong-password"
  | "auth-required"
  | "permission"
  | "refused"
  | "unknown-host"
  | "no-socket"
  | "socket-permission"
  | "command-timeout"
  | "timeout"
  | "tls"
  | "lost"
  | "not-redis"
  | "other";

const TLS_CODES = /^(ERR_TLS|ERR_SSL|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|CERT_|ERR_OSSL)/;

/** An error that means the connection is gone: closed by the server, reset, or no longer writable. */
const LOST = /Connection is closed|ECONNRESET|EPIPE|Stream isn't writeable/i;

/**
 * An ACL refusal: NOPERM (first, or inside a script's error on Redis 6: "ERR Error running script … NOPERM …"), or
 * a script's command this user may not run.
 */
const PERMISSION = /\bNOPERM\b|user executing the script can't run this command/;

/** What kind of trouble an error is, from its code and its message (in that order of trust). */
export function redisProblem(message: string, code = ""): RedisProblem {
  if (/^WRONGPASS|invalid password|invalid username-password/i.test(message)) return "wrong-password";
  if (/^NOAUTH/.test(message)) return "auth-required";
  if (PERMISSION.test(message)) return "permission";
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(message)) return "refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "unknown-host";
  if (code === "ENOENT") return "no-socket";
  if (code === "EACCES") return "socket-permission";
  // ioredis's commandTimeout: the server stopped answering a command in time.
  if (/Command timed out/.test(message)) return "command-timeout";
  if (code === "ETIMEDOUT" || /timed out/i.test(message)) return "timeout";
  if (TLS_CODES.test(code) || /certificate|SSL|TLS/i.test(message)) return "tls";
  if (LOST.test(message) || code === "ECONNRESET") return "lost";
  if (/Protocol error, got "(.)" as reply type byte/.test(message)) return "not-redis";
  return "other";
}

/** True when the error says the connection is gone or stopped answering (not the server refusing a command). */
export function isConnectionLost(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  const problem = redisProblem(message);
  return problem === "lost" || problem === "command-timeout";
}

/**
 * Why the server would not run one command, from its error reply:
 * - `permission`: an ACL denies it to this user (NOPERM);
 * - `unknown-command`: the server does not know it: older than the command (GETEX before 6.2, BLMOVE, ACL before
 *   6.0), or renamed away;
 * - `unknown-subcommand`: it knows the command, not the subcommand or this form (COMMAND DOCS before 7.0);
 * - `wrong-arity`: wrong number of arguments (an older form of the command);
 * - `blocked`: a managed service or the configuration blocks it ("… is not allowed", "… disabled");
 * - undefined: none of these (a failure of the command itself: WRONGTYPE, OOM, a script's error, …; or no reply).
 */
export type CommandRefusal = "permission" | "unknown-command" | "unknown-subcommand" | "wrong-arity" | "blocked";

/** An Error's message, or a reply's error text as it is (doctor keeps refusals as text). */
function messageOf(err: unknown): string | undefined {
  return err instanceof Error ? err.message : typeof err === "string" ? err : undefined;
}

export function commandRefusal(err: unknown): CommandRefusal | undefined {
  const message = messageOf(err);
  if (message === undefined) return undefined;
  if (PERMISSION.test(message)) return "permission";
  if (/unknown command/i.test(message)) return "unknown-command";
  if (/unknown subcommand/i.test(message)) return "unknown-subcommand";
  if (/wrong number of arguments/i.test(message)) return "wrong-arity";
  // An ERR reply only: OOM ("command not allowed when used memory > 'maxmemory'") and MISCONF ("… are disabled")
  // refuse every write for a while, not this command for this user.
  if (replyCode(message) === "ERR" && /not allowed|disabled/i.test(message)) return "blocked";
  return undefined;
}

/** The server does not know the command: older than the command (GETEX before 6.2, BLMOVE), or renamed away. */
export function isUnknownCommand(err: unknown): boolean {
  return commandRefusal(err) === "unknown-command";
}

/** An ACL denies the command to this user (NOPERM). */
export function isPermissionDenied(err: unknown): boolean {
  return commandRefusal(err) === "permission";
}

/**
 * The server will not run the command for this user, whatever the command does: denied by an ACL, unknown to it
 * (or this subcommand), or blocked by a managed service. The caller goes on without it (a fact left unknown, an older
 * command instead); anything else is the command's own failure.
 */
export function isRefusedCommand(err: unknown): boolean {
  const refusal = commandRefusal(err);
  return refusal !== undefined && refusal !== "wrong-arity";
}

/**
 * The code an error reply starts with (`WRONGTYPE`, `OOM`, `NOSCRIPT`, `BUSYGROUP`, `EXECABORT`, `ERR`, …), or
 * undefined for an error that is not a reply (a socket's, the tool's own). Replies in a transaction's array come as
 * text: pass that.
 */
export function replyCode(err: unknown): string | undefined {
  const message = messageOf(err);
  return message === undefined ? undefined : /^([A-Z][A-Z0-9_]*)(?:\s|$)/.exec(message)?.[1];
}

/**
 * SCRIPT LOAD's (or EVAL's) "the Lua does not compile": "ERR Error compiling script (new function): user_script:1:
 * '=' expected near 'x'". A script that compiles and then fails says other things (or another code).
 */
export function isScriptCompileError(err: unknown): boolean {
  const code = replyCode(err);
  return (
    (code === "ERR" || code === "NOSCRIPT") &&
    /compil|syntax|expected|near|unexpected/i.test(messageOf(err)!.split("\n")[0]!)
  );
}

/**
 * The server is still loading its data set (after a restart: RDB or AOF into memory) and answers LOADING to
 * everything; as a reply, or inside the error of a connection that met it in its handshake.
 */
export function isServerLoading(err: unknown): boolean {
  return /\bLOADING\b/.test(messageOf(err) ?? "");
}

/** An error reply from the server (ioredis's ReplyError), as opposed to a socket's or the client's own error. */
export function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === "ReplyError";
}

/** Map what ioredis or the socket threw while connecting to the error vocabulary, one line naming the target. */
export function classifyRedisError(err: unknown, parsed: Pick<ParsedUrl, "display" | "password">): RedisPatternsError {
  if (err instanceof RedisPatternsError) return err;
  const e = err as NodeJS.ErrnoException & { message?: string };
  const message = scrubSecret(String(e?.message ?? err), parsed.password);
  const code = e?.code ?? "";
  const where = parsed.display;
  switch (redisProblem(message, code)) {
    case "wrong-password":
      return new AuthError(`authentication failed at ${where}: wrong username or password`);
    case "auth-required":
      return new AuthError(
        `${where} requires a password: set REDIS_PASSWORD (or use --ask-pass; or put it in the URL, ` +
          `redis://user:password@host:port, where ps shows it)`,
      );
    case "permission":
      return new AuthError(`permission denied at ${where}: ${message}`);
    case "refused":
      return new ConnectError(`cannot connect to ${where}: connection refused`);
    case "unknown-host":
      return new ConnectError(`cannot connect to ${where}: unknown host`);
    case "no-socket":
      return new ConnectError(`cannot connect to ${where}: no such socket`);
    case "socket-permission":
      return new ConnectError(`cannot connect to ${where}: permission denied on socket`);
    case "command-timeout":
    case "timeout": {
      const hint = where.startsWith("rediss:") ? " (does the server speak TLS on that port?)" : "";
      return new ConnectError(`cannot connect to ${where}: timed out${hint}`);
    }
    case "tls":
      return new ConnectError(
        `TLS handshake with ${where} failed: ${message} (use --tls-ca <file>, or --insecure to skip verification)`,
      );
    case "lost": {
      const mismatch = /wrong version number|packet length/i.test(message) ? " (TLS mismatch?)" : "";
      return new ConnectError(`connection to ${where} was closed${mismatch}: ${message}`);
    }
    case "not-redis": {
      // Something answered, in a language other than RESP: say what it looked like instead of ioredis's "Please
      // report".
      const first = /Protocol error, got "(.)" as reply type byte/.exec(message)![1]!;
      const like = first === "H" ? "HTTP" : first === "S" ? "SSH" : `a reply starting with "${first}"`;
      return new ConnectError(`${where} is not a Redis server (it answered like ${like})`);
    }
    default:
      return new ConnectError(`cannot use ${where}: ${message}`);
  }
}

/**
 * A Redis error reply or socket failure during a step, mapped to the error vocabulary: NOPERM and NOAUTH are
 * AuthErrors (exit 4), a lost connection or a timeout a ConnectError (exit 3), OOM named as OOM even when it only
 * shows as EXECABORT. Each ends its scenario, not the run: the caller decides whether the next one can go on
 * (reconnecting if needed). Anything else (a scenario's own error) is left as it is.
 */
export function classifyStepError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof InterruptedError || err instanceof ScriptLoadError) return err;
  if (err instanceof ConnectError || err instanceof AuthError) return err;
  const message = describeServerError(err);
  switch (redisProblem(message)) {
    case "permission":
      return new AuthError(`permission denied: ${message}`, { cause: err });
    case "auth-required":
      return new AuthError(`authentication required: ${message}`, { cause: err });
    case "lost":
    case "refused":
    case "command-timeout":
      return new ConnectError(`lost the server: ${message}`, { cause: err });
    default:
      return message !== err.message ? new Error(message, { cause: err }) : err;
  }
}

/**
 * The server's words for an error, with what EXECABORT hides: the reply that made the server discard the
 * transaction (ioredis keeps the queued commands' errors in `previousErrors`), e.g. OOM inside MULTI.
 */
export function describeServerError(err: Error): string {
  const previous = (err as Error & { previousErrors?: unknown[] }).previousErrors;
  if (replyCode(err) === "EXECABORT" && Array.isArray(previous) && previous.length > 0) {
    const first = previous[0] instanceof Error ? previous[0].message : String(previous[0]);
    const kind = /^(\w+)/.exec(first)?.[1] ?? "error";
    return `${first} (${kind} inside MULTI: the server discarded the transaction, EXECABORT)`;
  }
  return err.message;
}
