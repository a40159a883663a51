import { planRun, type ScenarioRun } from "../../src/scenario/runner.js";
import type { HllParams } from "./shared.js";
import uniqueCount from "./unique-count.js";
import weeklyMerge from "./weekly-merge.js";

/** What the `hll` command runs, in order: the counter itself (and --trials), then the merge of several days. */
export function hllRuns(params: HllParams): ScenarioRun[] {
  return [planRun(uniqueCount, params), planRun(weeklyMerge, params)];
}

export { uniqueCount, weeklyMerge };
export { defaultHllParams, DAILY_VISIT_CHANCE, type HllParams } from "./shared.js";
