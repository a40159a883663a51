/**
 * `lock --algo redlock`: one lock over independent masters (a majority must grant it in time), two clients competing,
 * a minority of nodes down or hanging, and the clock drift the validity time allows for.
 */
import type { Redis } from "ioredis";
import { clockDrift, overlappingHolds, redlockQuorum, seededRandom } from "../../src/patterns/lock/index.js";
import { defineScenario, type StepDef } from "../../src/runner/types.js";
import { CHAPTER } from "./params.js";
import {
  attemptTable,
  connectNodes,
  fixed,
  healthy,
  holdOnce,
  lockKey,
  takeDown,
  type RedlockState,
  markPart,
  voteValues,
} from "./redlock-nodes.js";
import { commandsOn, lastSeq } from "../../src/runner/evidence.js";
import { redlockDefaults, type RedlockParams } from "./redlock-params.js";

export { redlockDefaults, type RedlockParams } from "./redlock-params.js";

const redlock = defineScenario<RedlockParams, RedlockState>({
  id: "lock/redlock",
  title: (p) => `Redlock: one lock on ${p.nodes.length || p.startNodes} independent masters, held by a majority`,
  explain:
    "A single Redis master is a single point of failure for a lock. Redlock sets the same key (SET NX PX, one owner " +
    "token) on N independent masters and holds the lock only if a majority granted it with time to spare: validity = " +
    "TTL − elapsed − clock drift. On failure, and after the work, it releases on every node.",
  chapter: CHAPTER,
  defaults: redlockDefaults,
  init: (p) => ({ nodes: [], started: [], random: seededRandom(p.seed), holds: [] }),
  steps: (p) => {
    const n = p.nodes.length || p.startNodes;
    const q = redlockQuorum(n);
    const own = p.nodes.length === 0;
    // Hang a node only when the node timeout leaves validity to spare; otherwise the demonstration would only show
    // that.
    const hang = p.nodeTimeoutMs * 2 < p.ttlMs;
    const steps: StepDef<RedlockParams, RedlockState>[] = [
      {
        title: `${n} independent masters, ${own ? "started for this run" : "as given with --node"}`,
        run: connectNodes,
      },
      {
        title: "Client A takes the lock: SET NX PX on every node at once, then the arithmetic",
        say:
          "The elapsed time is measured from before the first SET to after the last reply: the lock's TTL was " +
          "running on the first node all that time.",
        run: async (ctx, state) => {
          const after = lastSeq(ctx.commands());
          const { attempts, releases } = await holdOnce(ctx, state, "A");
          markPart(ctx, state, "first", after);
          attempts.forEach((a, i) => attemptTable(ctx, "A", a, i === attempts.length - 1 ? releases : undefined));
          state.first = attempts[attempts.length - 1];
          ctx.note(
            'A held the lock, did its work, and released on every node (owner-checked delete: "deleted" where it ' +
              "was still ours).",
          );
        },
      },
      {
        title: `Two contending clients, A and B, ${p.rounds} acquisitions each`,
        say:
          "Both ask all nodes at the same moment. Each node grants one of them, so votes split; the loser of a split " +
          "releases what it got and retries after a random (seeded) pause.",
        run: async (ctx, state) => {
          const stats = {
            acquisitions: { A: 0, B: 0 } as Record<string, number>,
            attempts: { A: 0, B: 0 } as Record<string, number>,
            splitVotes: 0,
            gaveUp: 0,
          };
          let shown = 0;
          const after = lastSeq(ctx.commands());
          await Promise.all(
            (["A", "B"] as const).map(async (client) => {
              for (let r = 0; r < p.rounds; r++) {
                const { attempts, last } = await holdOnce(ctx, state, client, p.retries + 10);
                stats.attempts[client]! += attempts.length;
                stats.splitVotes += attempts.filter((a) => !a.acquired && a.granted > 0).length;
                if (last.acquired) stats.acquisitions[client]! += 1;
                else stats.gaveUp += 1;
                const split = attempts.find((a) => !a.acquired && a.granted > 0);
                if (split && shown < 1) {
                  shown += 1;
                  attemptTable(ctx, client, split);
                }
              }
            }),
          );
          state.contention = stats;
          markPart(ctx, state, "contention", after);
          ctx.table({
            columns: ["client", "acquisitions", "attempts", "failed attempts"],
            rows: (["A", "B"] as const).map((c) => [
              c,
              stats.acquisitions[c]!,
              stats.attempts[c]!,
              stats.attempts[c]! - stats.acquisitions[c]!,
            ]),
          });
          ctx.note(
            `${stats.splitVotes} attempts got some votes but no majority (a split): each released its votes on ` +
              "every node and retried",
          );
        },
      },
    ];
    if (own) {
      steps.push(
        {
          title:
            `${n - q} of ${n} nodes fail ` +
            `(${hang ? (n - q > 1 ? "one hangs, the rest crash" : "it hangs") : "they crash"}): the lock is still ` +
            "acquired",
          say: hang
            ? `A hung node is the costly failure: nothing refuses, the client waits out its ${p.nodeTimeoutMs} ms ` +
              "node timeout, and that wait comes out of the validity."
            : undefined,
          run: async (ctx, state) => {
            await takeDown(ctx, state, n - q, hang);
            const after = lastSeq(ctx.commands());
            const { attempts, releases } = await holdOnce(ctx, state, "A");
            markPart(ctx, state, "minority", after);
            attempts.forEach((a, i) => attemptTable(ctx, "A", a, i === attempts.length - 1 ? releases : undefined));
            state.minorityDown = attempts[attempts.length - 1];
          },
        },
        {
          title: `One more node crashes (${n - q + 1} of ${n} out): the lock fails cleanly, and says why`,
          run: async (ctx, state) => {
            await takeDown(ctx, state, 1, false);
            const after = lastSeq(ctx.commands());
            const { attempts } = await holdOnce(ctx, state, "A");
            attempts.forEach((a) => attemptTable(ctx, "A", a));
            state.majorityDown = attempts;
            const live = healthy(state).filter((x) => x.clients.A);
            const values = await Promise.all(live.map((x) => x.clients.A!.call("GET", lockKey(ctx))));
            state.leftOnLiveNodes = values.filter((v) => v !== null).length;
            markPart(ctx, state, "majority", after);
            ctx.note(
              `A gave up after ${attempts.length} attempts: ${attempts[attempts.length - 1]?.reason ?? "?"}. Each ` +
                "failed attempt released on every node: " +
                `GET on the ${live.length} live nodes finds ${state.leftOnLiveNodes} lock keys left.`,
            );
          },
        },
      );
    } else {
      steps.push({
        title: "Nodes going down: skipped",
        run: async (ctx) => {
          ctx.note(
            "The nodes were given with --node: they are yours, so this run does not stop or pause them. Run " +
              "without --node to see 2 of 5 down (acquired) and 3 of 5 down (refused) on throwaway servers.",
          );
        },
      });
    }
    steps.push({
      title: "The verdict",
      run: async (ctx, state) => {
        const doubleHolds = overlappingHolds(state.holds);
        const first = state.first;
        ctx.check(
          `with every node up, A acquired the lock on a majority (≥ ${q} of ${n}) with validity left`,
          first?.acquired === true && first.granted >= q && first.validityMs > 0,
          {
            expected: `acquired, ≥ ${q} votes, validity > 0`,
            actual: first
              ? `${first.acquired ? "acquired" : "failed"}, ${first.granted} votes, validity ` +
                `${fixed(first.validityMs)} ms`
              : "no attempt",
            evidence: () => ({
              commands: commandsOn(ctx.commands(), lockKey(ctx), state.parts?.first ?? {}),
              values: voteValues(first),
            }),
          },
        );
        const c = state.contention;
        ctx.check(
          "two contending clients never both held the lock (no overlapping holds)",
          doubleHolds === 0 && c !== undefined && c.acquisitions.A! + c.acquisitions.B! > 0,
          {
            expected: "0 overlapping holds",
            actual: `${doubleHolds} overlapping holds over ${state.holds.length} holds`,
            evidence: () => ({
              commands: commandsOn(ctx.commands(), lockKey(ctx), state.parts?.contention ?? {}),
              values: {
                "overlapping holds": doubleHolds,
                holds: state.holds.length,
                "split votes": c?.splitVotes ?? null,
              },
            }),
          },
        );
        ctx.check(
          "every contending acquisition eventually succeeded",
          c !== undefined && c.acquisitions.A === p.rounds && c.acquisitions.B === p.rounds,
          {
            expected: `${p.rounds} each`,
            actual: c ? `A ${c.acquisitions.A}, B ${c.acquisitions.B}` : null,
            evidence: () => ({
              commands: commandsOn(ctx.commands(), lockKey(ctx), state.parts?.contention ?? {}).slice(-4),
              values: {
                "attempts A": c?.attempts.A ?? null,
                "attempts B": c?.attempts.B ?? null,
                "gave up": c?.gaveUp ?? null,
              },
            }),
          },
        );
        if (own) {
          const m = state.minorityDown;
          const live = new Set(healthy(state).map((x) => x.label));
          // A live node that did not grant (its reply came after the node timeout, or a late SET of an earlier attempt
          // still held its key), or a majority that came back after the validity ran out: this machine was too slow
          // for a 150 ms lock, which says nothing about Redlock. A safety violation is the overlapping-holds check.
          const lateVotes = m?.votes.filter((v) => live.has(v.node) && !v.voted) ?? [];
          if (m !== undefined && !m.acquired && (m.granted >= q || lateVotes.length > 0)) {
            const stalled = Math.round(ctx.stalls.longest(m.startedAt, m.startedAt + m.elapsedMs));
            ctx.inconclusive(
              `with ${n - q} of ${n} nodes down the attempt took ${fixed(m.elapsedMs)} ms of a ${p.ttlMs} ms TTL` +
                (lateVotes.length > 0
                  ? "; live nodes that did not grant: " +
                    `${lateVotes.map((v) => `${v.node} (${v.error ?? "no"})`).join(", ")}`
                  : "") +
                (stalled > 0 ? ` (this process stalled ${stalled} ms)` : "") +
                ": this machine was too slow to show the lock surviving a minority down",
            );
          } else
            ctx.check(
              `with ${n - q} of ${n} nodes down the lock was still acquired, on exactly ${q} nodes`,
              m?.acquired === true && m.granted === q,
              {
                expected: `acquired with ${q} votes`,
                actual: m ? `${m.acquired ? "acquired" : "failed"} with ${m.granted} votes` : "not tried",
                evidence: () => ({
                  commands: commandsOn(ctx.commands(), lockKey(ctx), state.parts?.minority ?? {}),
                  values: voteValues(m),
                }),
              },
            );
          if (hang) {
            const hung = state.nodes.find((x) => x.paused);
            const vote = m?.votes.find((v) => v.node === hung?.label);
            // Node's timers run on a loop clock cached in whole ms: a timeout may fire up to ~1 ms early; allow 2.
            const bound = p.ttlMs - (p.nodeTimeoutMs - 2) - clockDrift(p.ttlMs);
            ctx.check(
              "the hung node's vote timed out, and the wait came out of the validity (≤ TTL − (node timeout − 2 " +
                "ms) − drift)",
              /timed out/i.test(vote?.error ?? "") && m !== undefined && m.validityMs <= bound,
              {
                expected: `a timeout; validity ≤ ${fixed(bound)} ms`,
                actual: `${vote?.error ?? "no vote"}; validity ${m ? fixed(m.validityMs) : "?"} ms`,
                evidence: () => ({
                  commands: commandsOn(ctx.commands(), lockKey(ctx), state.parts?.minority ?? {}),
                  values: voteValues(m),
                }),
              },
            );
          }
          const all = state.majorityDown ?? [];
          ctx.check(
            `with ${n - q + 1} of ${n} nodes down every attempt failed, for want of a majority`,
            all.length === p.retries && all.every((a) => !a.acquired && a.granted < q),
            {
              expected: `${p.retries} failed attempts, each < ${q} votes`,
              actual: all.map((a) => `${a.granted} votes`).join(", "),
              evidence: () => ({
                commands: commandsOn(ctx.commands(), lockKey(ctx), state.parts?.majority ?? {}),
                values: Object.fromEntries(
                  all.map((a, i) => [`attempt ${i + 1}`, `${a.granted} votes: ${a.reason ?? "acquired"}`]),
                ),
              }),
            },
          );
          ctx.check(
            "the failed attempts released their votes: no live node still holds the lock",
            state.leftOnLiveNodes === 0,
            {
              expected: 0,
              actual: state.leftOnLiveNodes ?? null,
              evidence: () => ({
                commands: commandsOn(ctx.commands(), lockKey(ctx), state.parts?.majority ?? {}).filter(
                  (x) => x.argv[0] === "GET",
                ),
              }),
            },
          );
        }
        ctx.metric("nodes", n);
        ctx.metric("quorum", q);
        ctx.metric("ttlMs", p.ttlMs);
        ctx.metric("driftMs", clockDrift(p.ttlMs));
        ctx.metric("elapsedMs", first ? Number(first.elapsedMs.toFixed(3)) : null);
        ctx.metric("validityMs", first ? Number(first.validityMs.toFixed(3)) : null);
        ctx.metric("doubleHolds", doubleHolds);
        ctx.metric("acquisitions", state.holds.length);
        ctx.metric("splitVotes", c?.splitVotes ?? null);
        ctx.metric("acquiredWithMinorityDown", state.minorityDown?.acquired ?? null);
        ctx.metric(
          "validityWithMinorityDownMs",
          state.minorityDown ? Number(state.minorityDown.validityMs.toFixed(3)) : null,
        );
        ctx.metric("acquiredWithMajorityDown", state.majorityDown ? state.majorityDown.some((a) => a.acquired) : null);
        ctx.figure({
          what: "a lock that survives the loss of a master",
          chapter: "Fix: Redlock algorithm (lock across 5 independent Redis)",
          measured: own
            ? `${n} nodes: acquired with ${n - q} down (${state.minorityDown?.granted ?? "?"} votes), refused with ` +
              `${n - q + 1} down; validity ${first ? fixed(first.validityMs) : "?"} of ${p.ttlMs} ms`
            : `${n} nodes: acquired with ${first?.granted ?? "?"} votes; validity ` +
              `${first ? fixed(first.validityMs) : "?"} of ${p.ttlMs} ms`,
          agrees:
            first?.acquired === true &&
            (!own || (state.minorityDown?.acquired === true && state.majorityDown?.every((a) => !a.acquired) === true)),
          note:
            "safe only while pauses and clock-rate differences stay well under the validity; fencing still needed " +
            "where correctness matters",
        });
      },
    });
    return steps;
  },
  async teardown(ctx, state) {
    // A paused node runs the writes it held back (each SET followed by its release) once unpaused.
    await Promise.all(
      state.nodes.filter((n) => n.paused).map((n) => n.paused!.call("CLIENT", "UNPAUSE").catch(() => undefined)),
    );
    // Lock keys on the nodes that are still up: each is deleted by its owner's release; DEL whatever a failure left.
    await Promise.all(
      state.nodes
        .filter((n) => !n.stopped && n.clients.A)
        .map((n) => n.clients.A!.call("DEL", lockKey(ctx)).catch(() => undefined)),
    );
    // QUIT each client's connections while their servers still run, then stop the servers the run started.
    const open = state.nodes
      .filter((n) => !n.stopped)
      .flatMap((n) => [n.clients.A, n.clients.B])
      .filter((c): c is Redis => c !== null && c.status !== "end");
    await Promise.all(open.map((c) => c.quit().catch(() => c.disconnect())));
    await Promise.all(state.started.map((s) => s.stop()));
  },
});

export default redlock;
