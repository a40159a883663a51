import { DEFAULT_SCENARIO_FOOTPRINT } from "../redis/memory.js";
import type { ScenarioRun } from "./runner.js";

/**
 * The most memory a run's keys can take on the target, in bytes: each scenario's own estimate from its parameters
 * (`ScenarioDef.footprint`), at least DEFAULT_SCENARIO_FOOTPRINT each, summed, since the keys of a run's scenarios
 * all live until the end-of-run cleanup.
 */
export function runFootprint(runs: readonly ScenarioRun[]): number {
  let total = 0;
  for (const run of runs) {
    const own = run.def.footprint?.(run.params) ?? 0;
    total += Math.max(DEFAULT_SCENARIO_FOOTPRINT, Number.isFinite(own) ? Math.ceil(own) : 0);
  }
  return total;
}
