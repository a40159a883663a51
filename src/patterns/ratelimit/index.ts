/** Rate limiting (chapter section 4.2): four algorithms on Redis, their pure models, and test traffic. */
export {
  fixedWindowLimit,
  fixedWindowIndex,
  fixedWindowLabel,
  fixedWindowArgs,
  fixedWindowScript,
  type FixedWindowOptions,
  type FixedWindowResult,
} from "./fixed-window.js";
export {
  slidingLogLimit,
  slidingLogArgs,
  slidingLogScript,
  type SlidingLogOptions,
  type SlidingLogResult,
} from "./sliding-log.js";
export {
  slidingCounterLimit,
  slidingCounterArgs,
  slidingCounterScript,
  type SlidingCounterOptions,
  type SlidingCounterResult,
} from "./sliding-counter.js";
export {
  tokenBucketLimit,
  tokenBucketArgs,
  tokenBucketScript,
  type TokenBucketOptions,
  type TokenBucketResult,
} from "./token-bucket.js";
export {
  modelFixedWindow,
  modelSlidingLog,
  modelSlidingCounter,
  modelTokenBucket,
  maxInAnyWindow,
  allowedPerAlignedWindow,
  type ModelRequest,
  type WindowLimitConfig,
  type TokenBucketConfig,
  type TimedCost,
} from "./model.js";
export {
  generateTraffic,
  alignedStart,
  type TrafficShape,
  type TrafficOptions,
  type TrafficRequest,
} from "./traffic.js";
export type { Now } from "./script-args.js";

export const algorithms = ["fixed-window", "sliding-log", "sliding-counter", "token-bucket"] as const;
export type RateLimitAlgorithm = (typeof algorithms)[number];
