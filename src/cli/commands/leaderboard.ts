import {
  LEADERBOARD_VARIANTS,
  defaultParams,
  leaderboardScenarios,
  type LeaderboardParams,
} from "../../../scenarios/leaderboard/index.js";
import { AGGREGATES } from "../../patterns/leaderboard/index.js";
import { planRun } from "../../runner/runner.js";
import type { LeaderboardCliOptions } from "../options/leaderboard.js";
import { runSession } from "../session.js";

/** Command-line options → scenario parameters. */
export function leaderboardParams(opts: LeaderboardCliOptions): LeaderboardParams {
  return {
    ...defaultParams,
    players: opts.players,
    top: opts.top,
    player: opts.player,
    page: opts.page,
    days: opts.days,
    aggregates:
      opts.aggregate === "all"
        ? [...AGGREGATES]
        : [opts.aggregate === "sum" ? "SUM" : opts.aggregate === "max" ? "MAX" : "MIN"],
    repeat: opts.repeat,
    seed: opts.seed,
  };
}

export async function leaderboardCommand(opts: LeaderboardCliOptions): Promise<void> {
  const params = leaderboardParams(opts);
  const chosen = opts.variant ? [opts.variant] : [...LEADERBOARD_VARIANTS];
  await runSession(opts, {
    command: "leaderboard",
    runs: chosen.map((variant) => planRun(leaderboardScenarios[variant], params)),
  });
}
