import { analyticsRuns, type AnalyticsParams } from "../../../scenarios/analytics/index.js";
import { UsageError } from "../../errors.js";
import { ANALYTICS_KINDS, type AnalyticsCliOptions } from "../options/analytics.js";
import { runSession } from "../session.js";

/** Command-line options → scenario parameters; the time-series window must fit in the simulated span. */
export function analyticsParams(opts: AnalyticsCliOptions): AnalyticsParams {
  if (opts.last > opts.minutes * 60_000)
    throw new UsageError(`--last (${opts.last / 60_000} min) is longer than the simulated --minutes ${opts.minutes}`);
  if (opts.bucket > opts.last) throw new UsageError(`--bucket must not be longer than --last`);
  if (opts.bucket < 1_000) throw new UsageError(`--bucket must be at least 1s`);
  return {
    seed: opts.seed,
    hours: opts.hours,
    decay: opts.decay,
    minutes: opts.minutes,
    lastMs: opts.last,
    bucketMs: opts.bucket,
  };
}

export async function analyticsCommand(opts: AnalyticsCliOptions): Promise<void> {
  const params = analyticsParams(opts);
  await runSession(opts, {
    command: "analytics",
    runs: analyticsRuns(opts.kind ? [opts.kind] : [...ANALYTICS_KINDS], params),
  });
}
