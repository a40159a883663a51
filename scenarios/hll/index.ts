import { planRun, type ScenarioRun } from "../../src/runner/runner.js";
import type { HllParams } from "./params.js";
import uniqueCount from "./unique-count.js";
import weeklyMerge from "./weekly-merge.js";

/** What the `hll` command runs, in order: the counter itself (and --trials), then the merge of several days. */
export function hllRuns(params: HllParams): ScenarioRun[] {
  return [planRun(uniqueCount, params), planRun(weeklyMerge, params)];
}

export { uniqueCount, weeklyMerge };
export { defaultHllParams, DAILY_VISIT_CHANCE, type HllParams } from "./params.js";
