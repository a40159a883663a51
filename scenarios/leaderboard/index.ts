import type { ScenarioDef } from "../../src/runner/types.js";
import global from "./global.js";
import type { LeaderboardParams } from "./params.js";
import ties from "./ties.js";
import timeScoped from "./time-scoped.js";

export const LEADERBOARD_VARIANTS = ["global", "time-scoped", "ties"] as const;
export type LeaderboardVariant = (typeof LEADERBOARD_VARIANTS)[number];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const leaderboardScenarios: Record<LeaderboardVariant, ScenarioDef<LeaderboardParams, any>> = {
  global,
  "time-scoped": timeScoped,
  ties,
};

export { defaultParams, type LeaderboardParams } from "./params.js";
