import { EvictionRiskError } from "../errors.js";
import type { Connection } from "../redis/connection.js";
import { evictionRiskOn } from "../redis/memory.js";

/** What a run whose scenarios are not known up front (the tour) is assumed to need. */
export const DEFAULT_RUN_FOOTPRINT = 4 * 1024 * 1024;

/**
 * The eviction guard (issue 12, case 3), before the run's first write: on a server with maxmemory and an evicting
 * policy, a run whose estimated peak footprint does not fit in what is free is refused with EvictionRiskError (exit 4,
 * one line naming used and max memory and the policy), unless `force`. A server that will not say (INFO refused) is
 * not judged: a notice says so.
 */
export async function guardEviction(
  connection: Pick<Connection, "masters">,
  footprint: number,
  force: boolean,
  notice: (message: string) => void,
): Promise<void> {
  const masters = connection.masters();
  const { risk, unknown } = await evictionRiskOn(masters, footprint, (m) => {
    const options = (m as { options?: { host?: string; port?: number } }).options;
    return `${options?.host ?? "?"}:${options?.port ?? "?"}`;
  });
  if (risk && !force) throw new EvictionRiskError(risk);
  if (risk) notice(`${risk.replace(/\. Nothing was written; --force runs anyway$/, "")}: running anyway (--force)`);
  else if (unknown) notice("eviction guard: the server refused INFO memory, so the room left was not checked");
}
