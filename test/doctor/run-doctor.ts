import {
  collectFacts,
  evaluatePatterns,
  PATTERNS,
  type PatternName,
  type PatternVerdict,
  type Verdict,
} from "../../src/doctor/index.js";
import { connectTarget } from "../../src/redis/connect.js";
import { CommandRecorder, type RecordedCommand } from "../../src/redis/recorder.js";
import { testPrefix } from "../helpers/redis.js";

/**
 * What `doctor` does, in-process: connect with a recorder, collect the facts, judge the patterns. Returns the
 * commands the probes sent (after the connection setup, before QUIT).
 */
export async function runDoctor(
  url: string,
  patterns: readonly PatternName[] = PATTERNS,
  pings = 20,
  prefix = testPrefix("doctor"),
) {
  const recorder = new CommandRecorder();
  const connection = await connectTarget({ url, timeoutMs: 5_000, recorder, allowEmbedded: false });
  const start = recorder.mark();
  try {
    const facts = await collectFacts(connection.redis, { patterns, pings, prefix });
    const commands: RecordedCommand[] = recorder.since(start);
    return { facts, verdicts: evaluatePatterns(facts, patterns), commands };
  } finally {
    await connection.close();
  }
}

export function verdictMap(verdicts: readonly PatternVerdict[]): Partial<Record<PatternName, Verdict>> {
  return Object.fromEntries(verdicts.map((v) => [v.pattern, v.verdict]));
}
