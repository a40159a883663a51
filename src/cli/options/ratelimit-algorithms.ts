/**
 * The algorithm names `ratelimit --algo` and `ratelimit --script … --model` offer: the same list as
 * src/patterns/ratelimit's `algorithms`, kept here so `--help` loads nothing but commander
 * (test/architecture/catalog.test.ts checks the two agree with the scenarios).
 */
export const RATE_LIMIT_ALGORITHMS = ["fixed-window", "sliding-log", "sliding-counter", "token-bucket"] as const;
export type RateLimitAlgorithmName = (typeof RATE_LIMIT_ALGORITHMS)[number];
