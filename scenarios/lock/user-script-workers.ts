/**
 * The user's lock under load: concurrent workers incrementing one counter under it (two holders at once, or a lost
 * increment, is a violation), and seeded random sequences of acquire/release/extend, the first failure shrunk.
 */
import { replyCode } from "../../src/redis/classify-error.js";
import { InterruptedError } from "../../src/errors.js";
import { tag } from "../../src/redis/keys.js";
import { newLockToken, waitForLock } from "../../src/patterns/lock/index.js";
import { fuzzLock, tokenOf, type LockOp, type LockStep } from "../../src/patterns/lock/user-fuzz.js";
import { LockReplyError, userAcquire, userExtend, userRelease } from "../../src/patterns/lock/user-script.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import {
  CHECKS,
  opsText,
  PROBE_TTL_MS,
  type LockScriptState,
  type Op,
  type UserLockParams,
} from "./user-script-params.js";
import { lockKey, record } from "./user-script-probes.js";

export async function workers(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const p = ctx.params;
  const key = lockKey(ctx, state);
  const counter = ctx.keys.key("lock", "script", `p${state.probes}`, tag(p.resource), "counter");
  await ctx.redis.call("SET", counter, "0", "PX", "600000");
  // Long enough that no hold expires by accident, however slow the machine: overlaps are the script's doing.
  const ttl = PROBE_TTL_MS;
  const inside = new Set<string>();
  const overlaps: Op[][] = [];
  let refused = 0;
  await Promise.all(
    state.workers.slice(0, p.workers).map(async (redis, i) => {
      const who = `worker-${i + 1}`;
      for (let n = 0; n < p.increments; n++) {
        if (ctx.signal.aborted) throw new InterruptedError();
        const token = `${who}-${newLockToken().slice(0, 8)}`;
        const wait = await waitForLock(
          async () => ((await userAcquire(redis, p.lock, key, token, ttl)) ? true : null),
          {
            initialDelayMs: 1,
            maxDelayMs: 16,
            timeoutMs: 10_000,
            signal: ctx.signal,
          },
        );
        if (wait.grant === null) {
          refused += 1;
          continue;
        }
        if (inside.size > 0 && overlaps.length < 3) {
          overlaps.push([
            { who: [...inside].join(", "), what: "holds the lock", reply: "…" },
            { who, what: `acquire(${token}, ${ttl} ms)`, reply: "yes" },
          ]);
        }
        inside.add(who);
        const v = Number(await redis.call("GET", counter));
        await redis.call("SET", counter, String(v + 1), "PX", "600000");
        inside.delete(who);
        await userRelease(redis, p.lock, key, token).catch(() => false);
      }
    }),
  );
  const final = Number(await ctx.redis.call("GET", counter));
  const expected = p.workers * p.increments - refused;
  const ok = overlaps.length === 0 && final === expected && refused === 0;
  record(
    state,
    CHECKS.workers,
    ok,
    `counter ${p.workers * p.increments}, no overlap`,
    `counter ${final}${refused ? `, ${refused} acquisitions timed out` : ""}` +
      (overlaps.length ? `, ${overlaps.length}+ overlapping holds` : ""),
    overlaps[0] ?? [],
  );
  ctx.note(
    `counter ${final} of ${p.workers * p.increments}` +
      (overlaps.length ? `; two holders at once: ${opsText(overlaps[0]!)}` : ""),
  );
}

export async function fuzzStep(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const p = ctx.params;
  const run = async (ops: LockOp[]): Promise<LockStep[]> => {
    const key = lockKey(ctx, state);
    const steps: LockStep[] = [];
    for (const op of ops) {
      if (ctx.signal.aborted) throw new InterruptedError();
      const redis = state.workers[op.w]!;
      const token = tokenOf(op.w);
      let answer: boolean | string;
      try {
        answer =
          op.op === "acquire"
            ? await userAcquire(redis, p.lock, key, token, PROBE_TTL_MS)
            : op.op === "release"
              ? await userRelease(redis, p.lock, key, token)
              : await userExtend(redis, p.lock, key, token, PROBE_TTL_MS);
      } catch (err) {
        if (!(err instanceof LockReplyError) && replyCode(err) !== "ERR") throw err;
        answer = (err as Error).message;
      }
      const owner = (await ctx.redis.call("GET", key)) as string | null;
      steps.push({ op, answer, owner });
      if (typeof answer === "string") break;
    }
    return steps;
  };
  const result = await fuzzLock(p.fuzz, run, {
    seed: p.seed,
    extend: p.lock.extend !== undefined,
    timeLimitMs: 300_000,
  });
  const ops = (steps: LockStep[]): Op[] =>
    steps.map((s) => ({
      who: `worker-${s.op.w + 1}`,
      what: `${s.op.op}(${tokenOf(s.op.w)})`,
      reply: `${typeof s.answer === "string" ? s.answer : s.answer ? "yes" : "no"}, the lock: ${s.owner ?? "free"}`,
    }));
  const f = result.failure;
  record(
    state,
    CHECKS.fuzz(p.fuzz, p.seed),
    !f,
    "every answer and owner as a lock must have them",
    f ? f.message : `${result.runs} sequences, no violation`,
    f ? ops(f.steps) : [],
  );
  ctx.note(
    f
      ? `✗ ${f.message}: ${f.steps.length} operations (shrunk from ${f.from}); ` +
          `replay with --fuzz ${p.fuzz} --seed ${p.seed}`
      : `${result.runs} random sequences, no violation`,
  );
  if (f) {
    ctx.table({
      title: "The shortest failing sequence",
      columns: ["#", "worker", "operation", "answer", "lock holds"],
      rows: f.steps.map((s, i) => [
        i + 1,
        `worker-${s.op.w + 1}`,
        s.op.op,
        typeof s.answer === "string" ? s.answer : s.answer ? "yes" : "no",
        (s.owner ?? "nil") + (i === f.index ? "  ← here" : ""),
      ]),
    });
  }
}
