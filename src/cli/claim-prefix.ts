import { AuthError } from "../errors.js";
import { classifyStepError } from "../redis/classify-error.js";
import type { Connection } from "../redis/connection.js";
import { PrefixClaim, markerKey } from "../redis/ownership.js";
import { guardEviction } from "./eviction-guard.js";
import { packageVersion } from "./version.js";

/**
 * Before a run's first write (scenario runs, the tour, bench): refuse a run that could make the server evict someone's
 * keys (the eviction guard), then claim the prefix with the run's marker, or refuse naming who holds it. A user-given
 * prefix must also hold nothing else. On a refusal the connection is closed and the error (exit 2 or 4) thrown.
 */
export async function claimRunPrefix(
  connection: Connection,
  prefix: string,
  run: { userPrefix: boolean; footprint: number; force: boolean; notice: (message: string) => void },
): Promise<PrefixClaim> {
  try {
    await guardEviction(connection, run.footprint, run.force, run.notice);
    return await PrefixClaim.claim(connection.redis, connection.masters(), {
      prefix,
      version: packageVersion(),
      requireEmpty: run.userPrefix,
    });
  } catch (err) {
    await connection.close();
    // A refusal of the claim itself (NOPERM: an ACL user kept off the tool's keyspace) is one line, exit 4.
    const mapped = classifyStepError(err);
    if (mapped instanceof AuthError)
      throw new AuthError(`${mapped.message}, on the run's marker ${markerKey(prefix)}: nothing was written`);
    throw mapped;
  }
}
