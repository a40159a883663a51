/**
 * Random sequences of lock operations by a few workers, judged against a model of what a lock must answer, and the
 * first failure shrunk by fast-check to the shortest sequence that still fails. The caller runs the operations
 * (each sequence on a fresh lock key, with a TTL long enough that nothing expires during it).
 */
import fc from "fast-check";

export type LockOpName = "acquire" | "release" | "extend";

export interface LockOp {
  /** Worker index: worker-1, worker-2, … each with its own token. */
  w: number;
  op: LockOpName;
}

/** One operation as it ran: what the script answered and who held the lock right after (GET). */
export interface LockStep {
  op: LockOp;
  answer: boolean | string;
  owner: string | null;
}

/** Tokens are per worker, so the model can say who owns the lock. */
export const tokenOf = (w: number): string => `token-${w + 1}`;

/**
 * The first step where the lock broke its contract, or undefined. The model: a free lock is acquired by whoever asks;
 * a held lock is refused to anyone else (its owner asking again may be told either, the lock stays its own); only
 * the owner's release frees it; an extension by anyone but the owner is refused; the key always holds the owner.
 */
export function judgeLockSteps(steps: readonly LockStep[]): { index: number; message: string } | undefined {
  let holder: string | null = null;
  for (const [index, s] of steps.entries()) {
    const me = tokenOf(s.op.w);
    const who = `worker-${s.op.w + 1}`;
    if (typeof s.answer === "string") return { index, message: `${who} ${s.op.op}: ${s.answer}` };
    let expected: boolean | "either";
    let next: string | null = holder;
    if (s.op.op === "acquire") {
      expected = holder === null ? true : holder === me ? "either" : false;
      if (holder === null) next = me;
    } else if (s.op.op === "release") {
      expected = holder === me;
      if (holder === me) next = null;
    } else {
      expected = holder === me;
    }
    if (expected !== "either" && s.answer !== expected) {
      return {
        index,
        message:
          `${who} ${s.op.op} answered ${s.answer ? "yes" : "no"} with the ` +
          `lock ${holder === null ? "free" : `held by ${holder}`}`,
      };
    }
    holder = next;
    if (s.owner !== holder) {
      return {
        index,
        message: `after ${who} ${s.op.op} the lock holds ${s.owner ?? "nothing"}, not ${holder ?? "nothing"}`,
      };
    }
  }
  return undefined;
}

export type LockSequenceRunner = (ops: LockOp[]) => Promise<LockStep[]>;

export interface LockFuzzResult {
  runs: number;
  failure?: { steps: LockStep[]; index: number; message: string; from: number };
}

/** `runs` random sequences of up to 12 operations by up to 3 workers (extend only with an extend script), shrunk. */
export async function fuzzLock(
  runs: number,
  run: LockSequenceRunner,
  o: { seed: number; extend: boolean; timeLimitMs: number },
): Promise<LockFuzzResult> {
  const ops: LockOpName[] = o.extend ? ["acquire", "release", "extend"] : ["acquire", "release"];
  const arb = fc.array(fc.record({ w: fc.integer({ min: 0, max: 2 }), op: fc.constantFrom(...ops) }), {
    minLength: 1,
    maxLength: 12,
  });
  let longest = 0;
  const property = fc.asyncProperty(arb, async (seq) => {
    const failed = judgeLockSteps(await run(seq)) !== undefined;
    if (failed && longest === 0) longest = seq.length;
    return !failed;
  });
  const details = await fc.check(property, {
    numRuns: runs,
    seed: o.seed,
    interruptAfterTimeLimit: o.timeLimitMs,
    markInterruptAsFailure: false,
  });
  const found = details.counterexample?.[0];
  if (!details.failed || !found) return { runs: details.numRuns };
  // Replay the shortest once more for the report.
  const steps = await run(found);
  const verdict = judgeLockSteps(steps);
  if (!verdict) return { runs: details.numRuns };
  // Operations after the failing one change nothing about it (each is judged as it runs): the report ends there.
  return { runs: details.numRuns, failure: { steps: steps.slice(0, verdict.index + 1), ...verdict, from: longest } };
}
