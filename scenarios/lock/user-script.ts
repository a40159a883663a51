/**
 * `lock --acquire-script A.lua --release-script R.lua [--extend-script E.lua]`: the user's own lock, checked as
 * workers on separate connections use it: ownership probes (each the shortest sequence that can break it), a holder
 * whose TTL runs out while it works, and concurrent workers incrementing a counter under the lock.
 */
import { isScriptCompileError } from "../../src/redis/classify-error.js";
import { ScriptLoadError } from "../../src/errors.js";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { defineScenario, type ScenarioContext, type StepDef } from "../../src/runner/types.js";
import { commandsWhere } from "../../src/runner/evidence.js";
import { CHECKS, opsText, PROBE_TTL_MS, type LockScriptState, type UserLockParams } from "./user-script-params.js";
import { expiry, ownership, record, watchdog } from "./user-script-probes.js";
import { fuzzStep, workers } from "./user-script-workers.js";

export { CHECKS, opsText, userLockParams, type UserLockParams } from "./user-script-params.js";

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
            "Contract: acquire KEYS[1] lock, ARGV[1] token, ARGV[2] TTL ms → 1/OK or 0/nil · " +
            "release KEYS[1], ARGV[1] token → 1/0 · extend KEYS[1], ARGV[1] token, ARGV[2] TTL ms → 1/0.",
          run: (ctx, state) => load(ctx, state),
        },
        {
          title: "Ownership: the shortest sequences that break a lock",
          say: `Each probe in a fresh lock, with a ${PROBE_TTL_MS / 1000} s TTL so nothing expires by accident.`,
          run: (ctx, state) => ownership(ctx, state),
        },
        {
          title: `Expiry while working: worker-1 holds a ${p.ttlMs} ms lock and stalls ${p.pauseMs} ms`,
          say:
            "worker-2 takes the lock once it expires; worker-1's late release must answer 0 and leave worker-2's " +
            "lock alone.",
          run: (ctx, state) => expiry(ctx, state),
        },
      ];
      if (p.lock.extend) {
        steps.push({
          title:
            `Extension: worker-1 renews its ${p.ttlMs} ms lock every ${Math.floor(p.ttlMs / 3)} ms ` +
            `while it stalls ${p.pauseMs} ms`,
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
                title:
                  `Fuzz: ${p.fuzz} random sequences of operations by 3 workers (seed ${p.seed}), ` +
                  "the first failure shrunk",
                say:
                  `Each sequence on a fresh lock with a ${PROBE_TTL_MS / 1000} s TTL; after each operation, ` +
                  "GET shows who holds it. The same seed replays the same sequences.",
                run: (ctx: ScenarioContext<UserLockParams>, state: LockScriptState) => fuzzStep(ctx, state),
              },
            ]
          : []),
        {
          title: "What the scripts left in Redis: every key under the run's lock namespace, its PTTL",
          say:
            "SCAN MATCH over the run's namespace (never KEYS); the counters of the workers' step are the tool's " +
            "own.",
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
      if (isScriptCompileError(err)) {
        throw new ScriptLoadError(`${script.name.replace(/^user:/, "")} does not load: ${message}`);
      }
      throw err;
    }
  }
  for (let i = 0; i < Math.max(2, ctx.params.workers); i++) state.workers.push(await ctx.connect(`worker-${i + 1}`));
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
      evidence: () => ({
        commands: f.at ? commandsWhere(ctx.commands(), () => true, f.at) : [],
        ...(f.ops.length > 0 ? { values: { sequence: opsText(f.ops) } } : {}),
      }),
    });
  }
  for (const n of state.notes) ctx.note(n);
  ctx.metric("probes", state.probes);
  ctx.metric("violations", state.findings.filter((f) => !f.ok).length);
}
