/**
 * The user's lock against its contract, one probe at a time: the shortest sequences that break ownership (a second
 * acquire, a release or extension by a non-owner), a holder whose TTL runs out while it works, and renewals that keep
 * a slow holder's lock. Each probe records a finding with the operations that led to it.
 */
import type { Redis } from "ioredis";
import { tag } from "../../src/redis/keys.js";
import { pause, waitForLock } from "../../src/patterns/lock/index.js";
import { LockReplyError, userAcquire, userExtend, userRelease } from "../../src/patterns/lock/user-script.js";
import { sleep } from "../../src/runner/clock.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import { lastSeq, type SeqRange } from "../../src/runner/evidence.js";
import {
  CHECKS,
  opsText,
  PROBE_TTL_MS,
  show,
  type LockScriptState,
  type Op,
  type UserLockParams,
} from "./user-script-params.js";

export function lockKey(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): string {
  state.probes += 1;
  return ctx.keys.key("lock", "script", `p${state.probes}`, tag(ctx.params.resource));
}

/** A worker's view of the user's scripts that logs every call for the reproduction. */
export function actor(ctx: ScenarioContext<UserLockParams>, redis: Redis, who: string, ops: Op[]) {
  const lock = ctx.params.lock;
  const log = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      const v = await run();
      ops.push({ who, what, reply: typeof v === "boolean" ? (v ? "yes" : "no") : show(v) });
      return v;
    } catch (err) {
      ops.push({ who, what, reply: `error: ${err instanceof Error ? err.message : String(err)}` });
      throw err;
    }
  };
  return {
    acquire: (key: string, token: string, ttl: number) =>
      log(`acquire(${token}, ${ttl} ms)`, () => userAcquire(redis, lock, key, token, ttl)),
    release: (key: string, token: string) => log(`release(${token})`, () => userRelease(redis, lock, key, token)),
    extend: (key: string, token: string, ttl: number) =>
      log(`extend(${token}, ${ttl} ms)`, () => userExtend(redis, lock, key, token, ttl)),
    get: (key: string) => log("GET", () => redis.call("GET", key)),
    pttl: (key: string) => log("PTTL", async () => Number(await redis.call("PTTL", key))),
  };
}

/** A fresh lock key, and worker-1 and worker-2 on their own connections, logging what they do into `ops`. */
function pair(ctx: ScenarioContext<UserLockParams>, state: LockScriptState, ops: Op[]) {
  const [r1, r2] = state.workers as [Redis, Redis];
  const key = lockKey(ctx, state);
  return { key, r1, r2, w1: actor(ctx, r1, "worker-1", ops), w2: actor(ctx, r2, "worker-2", ops) };
}

export function record(
  state: LockScriptState,
  check: string,
  ok: boolean,
  expected: string,
  actual: string,
  ops: Op[],
  at?: SeqRange,
) {
  state.findings.push({ check, ok, expected, actual, ops: [...ops], ...(at ? { at } : {}) });
}

/** Run a probe; a reply outside the contract fails the probe's check with that reply. */
async function probe(
  ctx: ScenarioContext<UserLockParams>,
  state: LockScriptState,
  check: string,
  ops: Op[],
  run: () => Promise<{ ok: boolean; expected: string; actual: string }>,
): Promise<void> {
  const after = lastSeq(ctx.commands());
  const at = () => ({ after, upTo: lastSeq(ctx.commands()) });
  try {
    const r = await run();
    record(state, check, r.ok, r.expected, r.actual, ops, at());
  } catch (err) {
    if (!(err instanceof LockReplyError)) throw err;
    record(state, check, false, "replies as the contract says", err.message, ops, at());
  }
}

export async function ownership(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const T = PROBE_TTL_MS;
  const t1 = "token-1";
  const t2 = "token-2";
  const probes: [string, (ops: Op[]) => Promise<{ ok: boolean; expected: string; actual: string }>][] = [
    [
      CHECKS.acquire,
      async (ops) => {
        const { key, w1 } = pair(ctx, state, ops);
        const got = await w1.acquire(key, t1, T);
        const pttl = await w1.pttl(key);
        return {
          ok: got && pttl > 0 && pttl <= T,
          expected: `acquired, PTTL in (0, ${T}]`,
          actual: `${got ? "acquired" : "refused"}, PTTL ${pttl}`,
        };
      },
    ],
    [
      CHECKS.exclusion,
      async (ops) => {
        const { key, w1, w2 } = pair(ctx, state, ops);
        await w1.acquire(key, t1, T);
        const second = await w2.acquire(key, t2, T);
        const owner = await w1.get(key);
        return {
          ok: !second && owner === t1,
          expected: `worker-2 refused, the lock still ${t1}`,
          actual: `worker-2 ${second ? "acquired" : "refused"}, the lock holds ${show(owner)}`,
        };
      },
    ],
    [
      CHECKS.foreignRelease,
      async (ops) => {
        const { key, w1, w2 } = pair(ctx, state, ops);
        await w1.acquire(key, t1, T);
        const released = await w2.release(key, t2);
        const owner = await w1.get(key);
        return {
          ok: !released && owner === t1,
          expected: `0, the lock still ${t1}`,
          actual: `${released ? 1 : 0}, the lock holds ${show(owner)}`,
        };
      },
    ],
    [
      CHECKS.ownRelease,
      async (ops) => {
        const { key, w1 } = pair(ctx, state, ops);
        await w1.acquire(key, t1, T);
        const released = await w1.release(key, t1);
        const owner = await w1.get(key);
        return {
          ok: released && owner === null,
          expected: "1, the lock gone",
          actual: `${released ? 1 : 0}, the lock holds ${show(owner)}`,
        };
      },
    ],
  ];
  if (ctx.params.lock.extend) {
    probes.push(
      [
        CHECKS.foreignExtend,
        async (ops) => {
          const { key, w1, w2 } = pair(ctx, state, ops);
          await w1.acquire(key, t1, T);
          const extended = await w2.extend(key, t2, 6 * T);
          const pttl = await w1.pttl(key);
          return {
            ok: !extended && pttl <= T,
            expected: `0, PTTL ≤ ${T}`,
            actual: `${extended ? 1 : 0}, PTTL ${pttl}`,
          };
        },
      ],
      [
        CHECKS.ownExtend,
        async (ops) => {
          const { key, w1 } = pair(ctx, state, ops);
          await w1.acquire(key, t1, T);
          const extended = await w1.extend(key, t1, 6 * T);
          const pttl = await w1.pttl(key);
          return {
            ok: extended && pttl > T && pttl <= 6 * T,
            expected: `1, PTTL in (${T}, ${6 * T}]`,
            actual: `${extended ? 1 : 0}, PTTL ${pttl}`,
          };
        },
      ],
    );
  }
  for (const [check, run] of probes) {
    const ops: Op[] = [];
    await probe(ctx, state, check, ops, () => run(ops));
    const f = state.findings[state.findings.length - 1]!;
    ctx.note(`${f.ok ? "✓" : "✗"} ${check}: ${opsText(f.ops)}`);
  }
}

export async function expiry(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const p = ctx.params;
  const ops: Op[] = [];
  const { key, r2, w1, w2 } = pair(ctx, state, ops);
  await probe(ctx, state, CHECKS.expiry, ops, async () => {
    if (!(await w1.acquire(key, "token-1", p.ttlMs))) {
      return { ok: false, expected: "worker-1 acquires a free lock", actual: "refused" };
    }
    const started = performance.now();
    await sleep(p.pauseMs, ctx.signal);
    ops.push({ who: "worker-1", what: `works ${Math.round(performance.now() - started)} ms`, reply: "…" });
    // worker-2 waits for the lock; it is free once the TTL ran out.
    const wait = await waitForLock(
      async () => ((await userAcquire(r2, p.lock, key, "token-2", 10 * p.ttlMs)) ? true : null),
      {
        initialDelayMs: 5,
        maxDelayMs: 50,
        timeoutMs: Math.max(2_000, 10 * p.ttlMs),
        signal: ctx.signal,
      },
    );
    if (wait.grant === null) {
      state.notes.push(
        `the lock never expired: worker-2 waited ${Math.round(wait.waitedMs)} ms in vain (see the TTL check)`,
      );
      ops.push({ who: "worker-2", what: `acquire(token-2) × ${wait.attempts}`, reply: "no" });
      return { ok: true, expected: "", actual: "not applicable: the lock never expired" };
    }
    ops.push({
      who: "worker-2",
      what: `acquire(token-2, ${10 * p.ttlMs} ms) after ${wait.attempts} attempt(s)`,
      reply: "yes",
    });
    const late = await w1.release(key, "token-1");
    const owner = await w2.get(key);
    return {
      ok: !late && owner === "token-2",
      expected: "the late release answers 0; the lock still token-2",
      actual: `the late release answered ${late ? 1 : 0}; the lock holds ${show(owner)}`,
    };
  });
  const f = state.findings[state.findings.length - 1]!;
  if (f.actual.startsWith("not applicable")) state.findings.pop();
  else ctx.note(`${f.ok ? "✓" : "✗"} ${opsText(f.ops)}`);
  ctx.note(
    f.ok
      ? "worker-1 learns from its release's 0 that its lock expired while it worked: detected, and reported here"
      : `✗ ${f.actual}`,
  );
}

export async function watchdog(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const p = ctx.params;
  const ops: Op[] = [];
  const { key, r1, w1, w2 } = pair(ctx, state, ops);
  let late = false;
  await probe(ctx, state, CHECKS.watchdog, ops, async () => {
    await w1.acquire(key, "token-1", p.ttlMs);
    let last = performance.now();
    let maxGap = 0;
    let renewals = 0;
    let lost = false;
    const until = last + p.pauseMs;
    while (performance.now() < until) {
      await pause(Math.floor(p.ttlMs / 3), ctx.signal);
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      if (!(await userExtend(r1, p.lock, key, "token-1", p.ttlMs))) {
        lost = true;
        break;
      }
      last = performance.now();
      renewals += 1;
    }
    ops.push({
      who: "worker-1",
      what: `extend(token-1, ${p.ttlMs} ms) × ${renewals}`,
      reply: lost ? "then no" : "yes",
    });
    const other = await w2.acquire(key, "token-2", p.ttlMs);
    // A machine that stalled the renewals longer than the TTL proves nothing about the script.
    late = maxGap >= p.ttlMs;
    return {
      ok: late || (!lost && !other),
      expected: "every renewal answers 1; worker-2 is refused",
      actual:
        `${lost ? "a renewal answered 0" : `${renewals} renewals answered 1`}; ` +
        `worker-2 ${other ? "acquired" : "refused"}`,
    };
  });
  const f = state.findings[state.findings.length - 1]!;
  ctx.note(`${f.ok ? "✓" : "✗"} ${opsText(f.ops)}`);
  if (late) {
    state.findings.pop();
    ctx.note("no verdict: this machine delayed a renewal longer than the TTL");
  }
}
