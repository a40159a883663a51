import { runCli, type CliResult } from "./cli.js";
import { useRedisClient, type RedisContext } from "./redis.js";

export interface PatternCli extends RedisContext {
  /**
   * `redis-patterns <pattern> …args` against the file's server, as a user runs it, with every traced command shown
   * whole: `--trace full` (unless `args` choose a --trace) and `--width 250`.
   */
  run(args: string[]): Promise<CliResult>;
}

/**
 * The end-to-end tests of one pattern command (`redis-patterns analytics`, `… lock`, …): a real redis-server and a
 * plain client for the file (useRedisClient), and `run` to start the built CLI against that server.
 */
export function usePatternCli(pattern: string): PatternCli {
  const { server, redis } = useRedisClient();
  return {
    server,
    redis,
    run: (args) =>
      runCli([
        pattern,
        "--url",
        server().url,
        ...(args.includes("--trace") ? [] : ["--trace", "full"]),
        "--width",
        "250",
        ...args,
      ]),
  };
}
