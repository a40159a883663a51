import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { RedisOptions } from "ioredis";
import { UsageError } from "../errors.js";
import { redactUrl } from "./redact.js";

/** Where the tool connects when no URL is given (no --url, no REDIS_URL). */
export const DEFAULT_URL = "redis://127.0.0.1:6379";

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
