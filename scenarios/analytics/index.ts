import { planRun, type ScenarioRun } from "../../src/runner/runner.js";
import counters from "./counters.js";
import type { AnalyticsParams } from "./params.js";
import timeseries from "./timeseries.js";
import trending from "./trending.js";

export const ANALYTICS_KIND_NAMES = ["counters", "trending", "timeseries"] as const;
export type AnalyticsKindName = (typeof ANALYTICS_KIND_NAMES)[number];

/** What the `analytics` command runs for the chosen kinds, in the chapter's order. */
export function analyticsRuns(kinds: readonly AnalyticsKindName[], params: AnalyticsParams): ScenarioRun[] {
  const plans: Record<AnalyticsKindName, () => ScenarioRun> = {
    counters: () => planRun(counters, params),
    trending: () => planRun(trending, params),
    timeseries: () => planRun(timeseries, params),
  };
  return ANALYTICS_KIND_NAMES.filter((k) => kinds.includes(k)).map((k) => plans[k]());
}

export { counters, trending, timeseries };
export { defaultAnalyticsParams, type AnalyticsParams } from "./params.js";
