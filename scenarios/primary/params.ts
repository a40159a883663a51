/** `primary`: the parameters of the durability runs, their defaults, and the chapter they measure. */
import { seededRandom } from "../../src/patterns/shared/random.js";

export const CHAPTER = "4.8 Common architecture patterns (4: Redis as primary database)";
/** The chapter's words, printed beside what was measured. */
export const CHAPTER_CLAIM = "Shopping cart (with AOF persistence)";

export interface PrimaryParams {
  /** When to SIGKILL the server, ms after the writes start; null: drawn from `killRangeMs` with `seed`. */
  killAfterMs: number | null;
  /**
   * Where a drawn kill moment falls, ms: short by default (smoke, the tour); the command draws from 2.3-3.3 s, past the
   * first snapshot of the default save rule, which Redis takes 1-2 s after it starts.
   */
  killRangeMs: [number, number];
  /** Seed of the write mix (which cart, which flag, which session) and of the kill moment. */
  seed: number;
  /** Writes per second, all use cases together (a paced app, so the trace stays readable). */
  rate: number;
  /** The RDB setting's save rule, "<seconds> <changes>". */
  rdbSave: string;
  /** The redis-server to start; null: the user's own binary when the server is local, else redis-server from PATH. */
  serverBinary: string | null;
}

export const primaryDefaults: PrimaryParams = {
  killAfterMs: null,
  killRangeMs: [300, 600],
  seed: 1,
  rate: 1_000,
  rdbSave: "1 100",
  serverBinary: null,
};

export function killMoment(p: PrimaryParams): number {
  const [min, max] = p.killRangeMs;
  return p.killAfterMs ?? min + Math.floor(seededRandom(p.seed ^ 0x5eed)() * Math.max(0, max - min));
}
