import { hllRuns, type HllParams } from "../../../scenarios/hll/index.js";
import type { HllCliOptions } from "../options/hll.js";
import { runSession } from "../session.js";

export function hllParams(opts: HllCliOptions): HllParams {
  return {
    count: opts.count,
    visitors: opts.visitors,
    trials: opts.trials,
    days: opts.days,
    batch: opts.batch,
    seed: opts.seed,
  };
}

export async function hllCommand(opts: HllCliOptions): Promise<void> {
  await runSession(opts, { command: "hll", runs: hllRuns(hllParams(opts)) });
}
