/**
 * `lock --acquire-script A.lua --release-script R.lua [--extend-script E.lua]`: the user's own lock, checked as
 * workers on separate connections use it: ownership probes (each the shortest sequence that can break it), a holder
 * whose TTL runs out while it works, and concurrent workers incrementing a counter under the lock.
 */
import type { Redis } from "ioredis";
import { InterruptedError, ScriptLoadError } from "../../src/errors.js";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { tag } from "../../src/redis/keys.js";
import { newLockToken, pause, waitForLock } from "../../src/patterns/lock/index.js";
import { fuzzLock, tokenOf, type LockOp, type LockStep } from "../../src/patterns/lock/user-fuzz.js";
import {
  LockReplyError,
  userAcquire,
  userExtend,
  userRelease,
  type UserLock,
} from "../../src/patterns/lock/user-script.js";
import { sleep } from "../../src/runner/clock.js";
import { defineScenario, type ScenarioContext, type StepDef } from "../../src/runner/types.js";

export interface UserLockParams {
  lock: UserLock;
  /** File names, for the title. */
  names: string[];
  workers: number;
  increments: number;
  /** The TTL of the expiry probe (real time). */
  ttlMs: number;
  /** How long the holder stalls in the expiry probe; longer than ttlMs. */
  pauseMs: number;
  resource: string;
  /** Random operation sequences to try (0: none), from `seed`. */
  fuzz: number;
  seed: number;
}

/** One thing a worker did, for the reproduction: `worker-2 release(token-2) → 1`. */
interface Op {
  who: string;
  what: string;
  reply: string;
}

interface Finding {
  check: string;
  ok: boolean;
  /** What should have happened, and what did. */
  expected: string;
  actual: string;
  ops: Op[];
}

interface LockScriptState {
  workers: Redis[];
  probes: number;
  findings: Finding[];
  notes: string[];
}

/** Params as the report shows them: the scripts are in `scripts`, so only their names here. */
export function userLockParams(p: UserLockParams): UserLockParams {
  Object.defineProperty(p, "toJSON", {
    enumerable: false,
    value: () => {
      const { lock: _lock, ...rest } = p;
      return rest;
    },
  });
  return p;
}

/** The TTL of the ownership probes: long enough that nothing expires by accident, however slow the machine. */
const PROBE_TTL_MS = 10_000;

export const CHECKS = {
  acquire: "a free lock is acquired, and it has a TTL (no deadlock if the holder dies)",
  exclusion: "mutual exclusion: a held lock is refused to another worker",
  foreignRelease: "a non-owner's release is refused, and the lock stays with its owner",
  ownRelease: "the owner's release frees the lock",
  foreignExtend: "a non-owner's extension is refused, and the TTL stays",
  ownExtend: "the owner's extension renews the TTL",
  expiry: "expiry while working is detected: the late release answers 0 and leaves the next owner's lock",
  watchdog: "with extensions, a holder that works longer than the TTL keeps the lock",
  workers: "concurrent workers: never two holders at once, no lost increment",
  keys: "every key the scripts write is the lock key or under it, with a TTL",
  fuzz: (n: number, seed: number) => `${n} random sequences of acquire/release/extend by 3 workers (seed ${seed})`,
} as const;

export function opsText(ops: readonly Op[]): string {
  return ops.map((o) => `${o.who} ${o.what} → ${o.reply}`).join(" · ");
}

const show = (v: unknown): string =>
  v === null || v === undefined ? "nil" : typeof v === "string" ? (/^-?\d+$/.test(v) ? v : `"${v}"`) : String(v);

export function userLockScenario() {
  return defineScenario<UserLockParams, LockScriptState>({
    id: "lock/script",
    title: (p) => `Your lock ${p.names.join(" + ")}`,
    explain:
      "Your acquire, release and extend scripts, used by workers on separate connections: the shortest sequences " +
      "that break a lock (a second acquire, a release or extension by a worker that does not own it), a holder " +
      "whose TTL runs out while it works, and concurrent workers incrementing a counter under the lock.",
    chapter: "4.5 Distributed locking",
    defaults: undefined as unknown as UserLockParams,
    init: () => ({ workers: [], probes: 0, findings: [], notes: [] }),
    steps: (p) => {
      const steps: StepDef<UserLockParams, LockScriptState>[] = [
        {
          title: `Load ${p.names.join(", ")} (SCRIPT LOAD)`,
          say:
            "Contract: acquire KEYS[1] lock, ARGV[1] token, ARGV[2] TTL ms → 1/OK or 0/nil · release KEYS[1], ARGV[1] " +
            "token → 1/0 · extend KEYS[1], ARGV[1] token, ARGV[2] TTL ms → 1/0.",
          run: (ctx, state) => load(ctx, state),
        },
        {
          title: "Ownership: the shortest sequences that break a lock",
          say: `Each probe in a fresh lock, with a ${PROBE_TTL_MS / 1000} s TTL so nothing expires by accident.`,
          run: (ctx, state) => ownership(ctx, state),
        },
        {
          title: `Expiry while working: worker-1 holds a ${p.ttlMs} ms lock and stalls ${p.pauseMs} ms`,
          say: "worker-2 takes the lock once it expires; worker-1's late release must answer 0 and leave worker-2's lock alone.",
          run: (ctx, state) => expiry(ctx, state),
        },
      ];
      if (p.lock.extend) {
        steps.push({
          title: `Extension: worker-1 renews its ${p.ttlMs} ms lock every ${Math.floor(p.ttlMs / 3)} ms while it stalls ${p.pauseMs} ms`,
          run: (ctx, state) => watchdog(ctx, state),
        });
      }
      steps.push(
        {
          title: `${p.workers} workers × ${p.increments} increments of one counter under the lock`,
          say: "Each worker acquires (retrying with backoff), reads the counter, writes it + 1, and releases.",
          run: (ctx, state) => workers(ctx, state),
        },
        ...(p.fuzz > 0
          ? [
              {
                title: `Fuzz: ${p.fuzz} random sequences of operations by 3 workers (seed ${p.seed}), the first failure shrunk`,
                say: `Each sequence on a fresh lock with a ${PROBE_TTL_MS / 1000} s TTL; after each operation, GET shows who holds it. The same seed replays the same sequences.`,
                run: (ctx: ScenarioContext<UserLockParams>, state: LockScriptState) => fuzzStep(ctx, state),
              },
            ]
          : []),
        {
          title: "What the scripts left in Redis: every key under the run's lock namespace, its PTTL",
          say: "SCAN MATCH over the run's namespace (never KEYS); the counters of the workers' step are the tool's own.",
          run: (ctx, state) => inspect(ctx, state),
        },
        { title: "Verdict: your lock against its invariants", run: async (ctx, state) => verdict(ctx, state) },
      );
      return steps;
    },
    async teardown(ctx) {
      for (const key of await scanPrefix(ctx.redis, `${ctx.keys.prefix}:lock:script`)) {
        ctx.keys.key(key.slice(ctx.keys.prefix.length + 1));
      }
    },
  });
}

async function load(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const { lock } = ctx.params;
  for (const script of [lock.acquire, lock.release, ...(lock.extend ? [lock.extend] : [])]) {
    try {
      const sha = await ctx.redis.call("SCRIPT", "LOAD", script.lua);
      ctx.note(`${script.name.replace(/^user:/, "")} loaded as ${String(sha)}`);
    } catch (err) {
      const message = err instanceof Error ? err.message.split("\n")[0]! : String(err);
      if (/compil|syntax|expected|near/i.test(message)) {
        throw new ScriptLoadError(`${script.name.replace(/^user:/, "")} does not load: ${message}`);
      }
      throw err;
    }
  }
  for (let i = 0; i < Math.max(2, ctx.params.workers); i++) state.workers.push(await ctx.connect(`worker-${i + 1}`));
}

function lockKey(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): string {
  state.probes += 1;
  return ctx.keys.key("lock", "script", `p${state.probes}`, tag(ctx.params.resource));
}

/** A worker's view of the user's scripts that logs every call for the reproduction. */
function actor(ctx: ScenarioContext<UserLockParams>, redis: Redis, who: string, ops: Op[]) {
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

function record(state: LockScriptState, check: string, ok: boolean, expected: string, actual: string, ops: Op[]) {
  state.findings.push({ check, ok, expected, actual, ops: [...ops] });
}

/** Run a probe; a reply outside the contract fails the probe's check with that reply. */
async function probe(
  state: LockScriptState,
  check: string,
  ops: Op[],
  run: () => Promise<{ ok: boolean; expected: string; actual: string }>,
): Promise<void> {
  try {
    const r = await run();
    record(state, check, r.ok, r.expected, r.actual, ops);
  } catch (err) {
    if (!(err instanceof LockReplyError)) throw err;
    record(state, check, false, "replies as the contract says", err.message, ops);
  }
}

async function ownership(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const [r1, r2] = state.workers as [Redis, Redis];
  const T = PROBE_TTL_MS;
  const t1 = "token-1";
  const t2 = "token-2";
  const probes: [string, (ops: Op[]) => Promise<{ ok: boolean; expected: string; actual: string }>][] = [
    [
      CHECKS.acquire,
      async (ops) => {
        const key = lockKey(ctx, state);
        const w1 = actor(ctx, r1, "worker-1", ops);
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
        const key = lockKey(ctx, state);
        const w1 = actor(ctx, r1, "worker-1", ops);
        const w2 = actor(ctx, r2, "worker-2", ops);
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
        const key = lockKey(ctx, state);
        const w1 = actor(ctx, r1, "worker-1", ops);
        const w2 = actor(ctx, r2, "worker-2", ops);
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
        const key = lockKey(ctx, state);
        const w1 = actor(ctx, r1, "worker-1", ops);
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
          const key = lockKey(ctx, state);
          const w1 = actor(ctx, r1, "worker-1", ops);
          const w2 = actor(ctx, r2, "worker-2", ops);
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
          const key = lockKey(ctx, state);
          const w1 = actor(ctx, r1, "worker-1", ops);
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
    await probe(state, check, ops, () => run(ops));
    const f = state.findings[state.findings.length - 1]!;
    ctx.note(`${f.ok ? "✓" : "✗"} ${check}: ${opsText(f.ops)}`);
  }
}

async function expiry(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const p = ctx.params;
  const [r1, r2] = state.workers as [Redis, Redis];
  const ops: Op[] = [];
  const key = lockKey(ctx, state);
  const w1 = actor(ctx, r1, "worker-1", ops);
  const w2 = actor(ctx, r2, "worker-2", ops);
  await probe(state, CHECKS.expiry, ops, async () => {
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

async function watchdog(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const p = ctx.params;
  const [r1, r2] = state.workers as [Redis, Redis];
  const ops: Op[] = [];
  const key = lockKey(ctx, state);
  const w1 = actor(ctx, r1, "worker-1", ops);
  const w2 = actor(ctx, r2, "worker-2", ops);
  let late = false;
  await probe(state, CHECKS.watchdog, ops, async () => {
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
      actual: `${lost ? "a renewal answered 0" : `${renewals} renewals answered 1`}; worker-2 ${other ? "acquired" : "refused"}`,
    };
  });
  const f = state.findings[state.findings.length - 1]!;
  ctx.note(`${f.ok ? "✓" : "✗"} ${opsText(f.ops)}`);
  if (late) {
    state.findings.pop();
    ctx.note("no verdict: this machine delayed a renewal longer than the TTL");
  }
}

async function workers(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
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
    `counter ${final}${refused ? `, ${refused} acquisitions timed out` : ""}${overlaps.length ? `, ${overlaps.length}+ overlapping holds` : ""}`,
    overlaps[0] ?? [],
  );
  ctx.note(
    `counter ${final} of ${p.workers * p.increments}${overlaps.length ? `; two holders at once: ${opsText(overlaps[0]!)}` : ""}`,
  );
}

async function fuzzStep(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
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
        if (!(err instanceof LockReplyError) && !/^ERR/.test((err as Error).message)) throw err;
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
      ? `✗ ${f.message}: ${f.steps.length} operations (shrunk from ${f.from}); replay with --fuzz ${p.fuzz} --seed ${p.seed}`
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

async function inspect(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): Promise<void> {
  const root = `${ctx.keys.prefix}:lock:script`;
  const lockOf = (key: string) => /^(.*:p\d+:\{[^}]*\})(:.*)?$/.exec(key.slice(root.length));
  const bad: string[] = [];
  let seen = 0;
  for (const key of (await scanPrefix(ctx.redis, root)).sort()) {
    ctx.keys.key(key.slice(ctx.keys.prefix.length + 1));
    if (key.endsWith(`{${ctx.params.resource}}:counter`)) continue;
    seen += 1;
    const m = lockOf(key);
    const pttl = Number(await ctx.redis.call("PTTL", key));
    // Ownership probes leave their locks with the probe's TTL; the no-TTL case is the acquire check's to report.
    if (!m) bad.push(`${key} is not under a lock key`);
    else if (pttl === -1 && m[2] !== undefined) bad.push(`${key} has no TTL`);
  }
  record(
    state,
    CHECKS.keys,
    bad.length === 0,
    "no stray key, none without TTL",
    bad[0] ?? `${seen} key(s), all fine`,
    [],
  );
  ctx.note(bad.length === 0 ? `${seen} key(s) left by the probes, all lock keys` : `✗ ${bad.join("; ")}`);
}

function verdict(ctx: ScenarioContext<UserLockParams>, state: LockScriptState): void {
  for (const f of state.findings) {
    ctx.check(f.check, f.ok, {
      expected: f.expected,
      actual: f.actual,
      ...(f.ops.length > 0 && !f.ok ? { detail: `sequence: ${opsText(f.ops)}` } : {}),
    });
  }
  for (const n of state.notes) ctx.note(n);
  ctx.metric("probes", state.probes);
  ctx.metric("violations", state.findings.filter((f) => !f.ok).length);
}
