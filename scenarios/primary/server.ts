import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { parseInfo } from "../../src/redis/server-info.js";
import { INSTALL_HINT, redisServerVersion } from "../../src/redis/throwaway-server.js";
import type { NameParam, ScenarioContext } from "../../src/runner/types.js";

/** The binary a scenario's throwaway servers run, and how it was chosen (said in the report). */
export interface ServerBinary {
  path: string;
  version: string;
  why: string;
}

function isLocalTarget(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol === "unix:" || u.protocol === "redis+unix:") return true;
    return ["127.0.0.1", "localhost", "[::1]", "::1"].includes(u.hostname);
  } catch {
    return false;
  }
}

/**
 * Why a scenario that starts its own redis-server cannot run on this machine (it is then skipped with the reason), or
 * undefined: a scenario's `unavailable`. Checks the `serverBinary` parameter when given (named in the reason as the
 * caller names it: the CLI's flag), else redis-server on PATH.
 */
export function noServerBinary(
  { serverBinary: given }: { serverBinary: string | null },
  _server: unknown,
  nameParam: NameParam,
): string | undefined {
  const option = nameParam("serverBinary");
  if (given) return redisServerVersion(given) === null ? `${option} ${given} does not run as redis-server` : undefined;
  return redisServerVersion("redis-server") === null
    ? `needs a redis-server binary to start its own servers (none on PATH; ${option} names one): ${INSTALL_HINT}`
    : undefined;
}

/**
 * The `serverBinary` parameter when given; else the user's own server's binary when it runs on this machine (INFO
 * server `executable`); else `redis-server` from PATH. Throws an ordinary error (this scenario fails, the run goes on)
 * when there is none: a crash must be real, so nothing stands in for a server process.
 */
export async function resolveServerBinary(ctx: ScenarioContext<unknown>, given: string | null): Promise<ServerBinary> {
  const option = ctx.nameParam("serverBinary");
  if (given) {
    const version = redisServerVersion(given);
    if (version === null) throw new Error(`${option} ${given} does not run as redis-server (--version failed)`);
    return { path: given, version, why: `named by ${option}` };
  }
  let userVersion: string | undefined;
  if (isLocalTarget(ctx.target.url)) {
    const info = await ctx.redis
      .call("INFO", "server")
      .then((text) => parseInfo(String(text)))
      .catch(() => ({}) as Record<string, string>);
    userVersion = info.redis_version;
    const exe = info.executable;
    if (exe && isAbsolute(exe) && existsSync(exe)) {
      const version = redisServerVersion(exe);
      if (version !== null) return { path: exe, version, why: `the same binary as the server at ${ctx.target.url}` };
    }
  }
  const version = redisServerVersion("redis-server");
  if (version === null) {
    throw new Error(
      `this scenario starts its own redis-server to crash it, and there is no redis-server binary on PATH ` +
        `(${option} names one): ${INSTALL_HINT}`,
    );
  }
  const same =
    userVersion === undefined
      ? ""
      : userVersion === version
        ? `, the same version as the server at ${ctx.target.url}`
        : ` (the server at ${ctx.target.url} runs ${userVersion})`;
  return { path: "redis-server", version, why: `redis-server from PATH${same}` };
}
