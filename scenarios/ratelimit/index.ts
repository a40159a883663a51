import type { RateLimitAlgorithm } from "../../src/patterns/ratelimit/index.js";
import type { ScenarioDef } from "../../src/runner/types.js";
import fixedWindow from "./fixed-window.js";
import type { RateLimitParams } from "./params.js";
import type { RateLimitState } from "./algorithm-run.js";
import slidingCounter from "./sliding-counter.js";
import slidingLog from "./sliding-log.js";
import tokenBucket from "./token-bucket.js";

export const rateLimitScenarios: Record<RateLimitAlgorithm, ScenarioDef<RateLimitParams, RateLimitState>> = {
  "fixed-window": fixedWindow,
  "sliding-log": slidingLog,
  "sliding-counter": slidingCounter,
  "token-bucket": tokenBucket,
};

export { clientNames, defaultParams, type RateLimitParams } from "./params.js";
