import { afterAll, beforeAll } from "vitest";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { connectTarget } from "../../src/redis/connect.js";
import type { Connection } from "../../src/redis/connection.js";
import { KeySpace } from "../../src/redis/keys.js";
import { CommandRecorder } from "../../src/redis/recorder.js";
import { cleanupRun, planRun, runScenario, type RunEnv } from "../../src/runner/runner.js";
import type { ScenarioDef, ScenarioResult } from "../../src/runner/types.js";
import type { ClockMode } from "../../src/runner/clock.js";
import { testPrefix, useRedisServer } from "./redis.js";

export interface ScenarioHarness {
  connection(): Connection;
  /** A fresh run environment with its own prefix. */
  env(clockMode?: ClockMode): RunEnv;
  /** Run one scenario in-process, clean up its keys, and return the result plus what cleanup deleted. */
  run<P, S>(def: ScenarioDef<P, S>, params: P, clockMode?: ClockMode): Promise<ScenarioResult & { leftKeys: string[] }>;
}

/**
 * Scenario-tier tests: a throwaway server for the file, one recorded connection, and a run helper that executes a
 * scenario with the real runner, cleans up, and reports any key left under the run's prefix.
 */
export function useScenarioHarness(serverArgs: string[] = []): ScenarioHarness {
  const server = useRedisServer(serverArgs);
  const recorder = new CommandRecorder();
  let connection: Connection | undefined;
  beforeAll(async () => {
    connection = await connectTarget({ url: server().url, timeoutMs: 5_000, recorder });
  });
  afterAll(async () => {
    await connection?.close();
  });
  const conn = () => {
    if (!connection) throw new Error("not connected yet");
    return connection;
  };
  const env = (clockMode: ClockMode = "scenario"): RunEnv => ({
    redis: conn().redis,
    recorder,
    keys: new KeySpace(testPrefix("sc")),
    target: conn().target,
    signal: new AbortController().signal,
    clockMode,
    newClient: (label, options) => conn().newClient(label, options),
  });
  return {
    connection: conn,
    env,
    async run(def, params, clockMode) {
      const e = env(clockMode);
      const result = await runScenario(planRun(def, params), e);
      const cleanup = await cleanupRun(e, false);
      if (cleanup.error) throw new Error(`cleanup failed: ${cleanup.error}`);
      return { ...result, leftKeys: await scanPrefix(conn().redis, e.keys.prefix) };
    },
  };
}
