import type { Redis } from "ioredis";
import { newLockToken, overlappingHolds, releaseLock, type Hold } from "../../src/patterns/lock/index.js";
import { parseInfo } from "../../src/redis/server-info.js";
import { tag } from "../../src/redis/keys.js";
import { startThrowawayServer, type ThrowawayServer } from "../../src/redis/throwaway-server.js";
import { defineScenario, type ScenarioContext } from "../../src/runner/types.js";
import { CHAPTER } from "./params.js";
import { commandsWhere } from "../../src/runner/evidence.js";
import type { Evidence } from "../../src/check-failure.js";

export interface FailoverParams {
  /** The lock's TTL, ms: long enough that A still holds it when B takes it (nothing here waits for it). */
  ttlMs: number;
  /** WAIT's timeout, ms: how long A waits for the replica to acknowledge its lock. */
  waitTimeoutMs: number;
  /** How long to wait for the replica's first sync, ms. */
  syncTimeoutMs: number;
  resource: string;
}

export const failoverDefaults: FailoverParams = {
  ttlMs: 5_000,
  waitTimeoutMs: 100,
  syncTimeoutMs: 5_000,
  resource: "order-456",
};

interface FailoverState {
  master?: ThrowawayServer;
  replica?: ThrowawayServer;
  A?: Redis;
  B?: Redis;
  opMaster?: Redis;
  opReplica?: Redis;
  masterDown: boolean;
  waitHealthy?: number;
  replicaSawHealthy?: boolean;
  waitCut?: number;
  replicaSawCut?: string | null;
  linkAfterCut?: string;
  aToken?: string;
  bToken?: string;
  aSet?: unknown;
  bSet?: unknown;
  aFence?: number;
  bFence?: number;
  holds: Hold[];
}

type Ctx = ScenarioContext<FailoverParams>;

const lockKey = (ctx: Ctx): string => ctx.keys.key("lock", "failover", tag(ctx.params.resource), "lock");
const fenceKey = (ctx: Ctx): string => ctx.keys.key("lock", "failover", tag(ctx.params.resource), "fence");

async function replicationInfo(redis: Redis): Promise<Record<string, string>> {
  return parseInfo(String(await redis.call("INFO", "replication")));
}

/** The naive lock: SET NX PX, and a fencing token from INCR on the same server. */
async function takeLock(ctx: Ctx, redis: Redis, token: string): Promise<{ set: unknown; fence: number }> {
  const set = await redis.call("SET", lockKey(ctx), token, "NX", "PX", String(ctx.params.ttlMs));
  const fence = Number(await redis.call("INCR", fenceKey(ctx)));
  return { set, fence };
}

const failover = defineScenario<FailoverParams, FailoverState>({
  id: "lock/failover",
  title: "The failover pitfall, for real: a lock the replica never got, and two holders after promotion",
  explain:
    "Replication is asynchronous: the master answers OK to SET before any replica has the write. If the master " +
    "dies in that window and the replica is promoted, the lock is gone, and a second client takes it while the " +
    "first still holds it. This scenario starts a real master and replica, cuts the link, and shows it; then " +
    "WAIT, fencing and Redlock.",
  chapter: CHAPTER,
  defaults: failoverDefaults,
  init: () => ({ masterDown: false, holds: [] }),
  steps: (p) => [
    {
      title: "A master and an asynchronous replica, started for this run",
      run: async (ctx, state) => {
        state.master = await startThrowawayServer({ args: ["--repl-diskless-sync", "no"] });
        state.replica = await startThrowawayServer({
          args: ["--replicaof", state.master.host, String(state.master.port)],
        });
        state.opMaster = await ctx.connectTo(state.master.url, "operator@master");
        state.opReplica = await ctx.connectTo(state.replica.url, "operator@replica");
        // Synced when the master lists the replica as online (only then does WAIT count it).
        const deadline = performance.now() + p.syncTimeoutMs;
        let info = await replicationInfo(state.opMaster);
        while (!/state=online/.test(info.slave0 ?? "")) {
          if (performance.now() > deadline)
            throw new Error(
              `the replica did not sync within ${p.syncTimeoutMs} ms (${info.slave0 ?? "no replica connected"})`,
            );
          await new Promise((r) => setTimeout(r, 20));
          info = await replicationInfo(state.opMaster);
        }
        state.A = await ctx.connectTo(state.master.url, "A@master");
        ctx.note(
          `master on 127.0.0.1:${state.master.port}, replica on 127.0.0.1:${state.replica.port} (--replicaof; ` +
            `the master lists it as online). Throwaway redis-servers, no persistence; they stop when the run ends.`,
        );
      },
    },
    {
      title: "Healthy replication: A's lock reaches the replica, and WAIT 1 says so",
      say:
        `WAIT numreplicas timeout blocks until that many replicas acknowledged every write of this connection so ` +
        `far, or ${p.waitTimeoutMs} ms pass; it answers how many did.`,
      run: async (ctx, state) => {
        const token = newLockToken();
        await takeLock(ctx, state.A!, token);
        state.waitHealthy = Number(await state.A!.call("WAIT", "1", String(p.waitTimeoutMs)));
        state.replicaSawHealthy = (await state.opReplica!.call("GET", lockKey(ctx))) === token;
        ctx.note(
          `WAIT 1 ${p.waitTimeoutMs} answered ${state.waitHealthy}: the replica has the lock (GET on the ` +
            `replica: ${state.replicaSawHealthy ? "A's token" : "nothing"})`,
        );
        await releaseLock(state.A!, lockKey(ctx), token);
        await state.A!.call("WAIT", "1", String(p.waitTimeoutMs));
      },
    },
    {
      title: "The replication link is cut (a network partition between master and replica)",
      say:
        "Simulated deterministically: the replica is given a wrong masterauth, so it cannot reconnect, then " +
        "the master drops its replica connection (CLIENT KILL TYPE replica). From here on the master's writes " +
        "stay on the master.",
      run: async (ctx, state) => {
        await state.opReplica!.call("CONFIG", "SET", "masterauth", "not-the-password");
        const killed = await state.opMaster!.call("CLIENT", "KILL", "TYPE", "replica");
        state.linkAfterCut = (await replicationInfo(state.opReplica!)).master_link_status;
        ctx.note(
          `CLIENT KILL TYPE replica closed ${String(killed)} connection; the replica reports ` +
            `master_link_status:${state.linkAfterCut}`,
        );
      },
    },
    {
      title: "Client A takes the lock on the master: OK; the replica never gets it",
      run: async (ctx, state) => {
        state.aToken = newLockToken();
        const a = await takeLock(ctx, state.A!, state.aToken);
        state.aSet = a.set;
        state.aFence = a.fence;
        if (a.set === "OK") state.holds.push({ owner: "A", from: performance.now() });
        state.waitCut = Number(await state.A!.call("WAIT", "1", String(p.waitTimeoutMs)));
        state.replicaSawCut = (await state.opReplica!.call("GET", lockKey(ctx))) as string | null;
        ctx.note(
          `SET … NX PX ${p.ttlMs} answered ${String(a.set)} and A's fencing token is ${a.fence}: A believes it ` +
            `holds the lock. WAIT 1 ${p.waitTimeoutMs} answered ${state.waitCut}: no replica acknowledged it. GET ` +
            `on the replica: ${state.replicaSawCut === null ? "nil" : state.replicaSawCut}.`,
        );
      },
    },
    {
      title: "The master dies; the replica is promoted (REPLICAOF NO ONE)",
      run: async (ctx, state) => {
        await state.opMaster!.call("SHUTDOWN", "NOSAVE").catch(() => undefined);
        await state.master!.stop();
        state.masterDown = true;
        await state.opReplica!.call("REPLICAOF", "NO", "ONE");
        const role = (await replicationInfo(state.opReplica!)).role;
        ctx.note(
          `the master is gone (SHUTDOWN NOSAVE); the replica's role is now ${role}, as Sentinel or an operator ` +
            `would make it`,
        );
      },
    },
    {
      title: "Client B takes the same lock on the promoted replica: two holders",
      run: async (ctx, state) => {
        state.B = await ctx.connectTo(state.replica!.url, "B@new-master");
        state.bToken = newLockToken();
        const b = await takeLock(ctx, state.B, state.bToken);
        state.bSet = b.set;
        state.bFence = b.fence;
        if (b.set === "OK") state.holds.push({ owner: "B", from: performance.now() });
        ctx.table({
          columns: ["client", "server", "SET NX PX", "fencing token", "believes it holds the lock"],
          rows: [
            [
              "A",
              "old master (dead)",
              String(state.aSet),
              state.aFence ?? null,
              state.aSet === "OK" ? `yes, for ${p.ttlMs} ms` : "no",
            ],
            ["B", "promoted replica", String(b.set), b.fence, b.set === "OK" ? `yes, for ${p.ttlMs} ms` : "no"],
          ],
        });
        ctx.note(
          `Both hold the lock at once. Even the fencing tokens collide (A ${state.aFence}, B ${b.fence}): the ` +
            `INCR that issued A's token was lost with the master too, so a resource checking tokens cannot tell ` +
            `the two holders apart.`,
        );
      },
    },
    {
      title: "The mitigations",
      run: async (ctx, state) => {
        ctx.table({
          columns: ["mitigation", "what it would have done here", "cost"],
          rows: [
            [
              "WAIT 1 <timeout> after SET",
              `A's WAIT answered ${String(state.waitCut)} (vs ${String(state.waitHealthy)} when healthy): a ` +
                `client that trusts the lock only when WAIT ≥ 1 releases it and retries instead of working`,
              "one more round trip (the replica's ack); still not a consensus commit: a lagging replica could " +
                "be promoted",
            ],
            [
              "fencing tokens",
              `the resource rejects writes with a token lower than the highest seen; here both tokens ` +
                `were ${String(state.aFence)}/${String(state.bFence)}: the counter must survive failover (WAIT on ` +
                `the INCR, or a consensus store)`,
              "the protected resource must check the token",
            ],
            [
              "Redlock (lock --algo redlock)",
              "no replication to lose: the lock lives on a majority of independent masters; losing one master " +
                "loses one vote",
              "N servers; relies on bounded pauses and clock rates",
            ],
            [
              "accept and be idempotent",
              "the chapter's other answer: make the work safe to do twice (an idempotency key, a unique constraint)",
              "design effort; the rare double run must be harmless",
            ],
          ],
        });
        const doubleHolds = overlappingHolds(state.holds);
        // The evidence: what the clients sent on the lock, its fencing counter and WAIT, before or after the cut.
        const onLock = (clients: string[], part: "healthy" | "cut" | "all") => (): Evidence => {
          const all = ctx.commands();
          const cut = all.find((c) => c.argv[0] === "CONFIG" && c.argv[2] === "masterauth")?.seq;
          const range = part === "healthy" ? { upTo: cut } : part === "cut" ? { after: cut } : {};
          const keys = [lockKey(ctx), fenceKey(ctx)];
          return {
            commands: commandsWhere(
              all,
              (c) =>
                clients.includes(c.client) && (c.argv[0] === "WAIT" || c.argv.slice(1).some((a) => keys.includes(a))),
              range,
            ),
          };
        };
        ctx.check(
          "healthy replication: WAIT 1 answered 1 and the replica held A's lock",
          state.waitHealthy === 1 && state.replicaSawHealthy === true,
          {
            expected: "WAIT → 1, the token on the replica",
            actual: `WAIT → ${String(state.waitHealthy)}, replica ${state.replicaSawHealthy ? "had it" : "did not"}`,
            evidence: onLock(["A@master", "operator@replica"], "healthy"),
          },
        );
        ctx.check(
          "with the link cut, A's SET answered OK but WAIT 1 answered 0 and the replica never got the lock",
          state.aSet === "OK" && state.waitCut === 0 && state.replicaSawCut === null,
          {
            expected: "OK, WAIT → 0, GET on replica → nil",
            actual: `${String(state.aSet)}, WAIT → ${String(state.waitCut)}, GET → ${String(state.replicaSawCut)}`,
            evidence: onLock(["A@master", "operator@replica"], "cut"),
          },
        );
        ctx.check(
          "after promotion B took the same lock: two clients hold it at once",
          state.bSet === "OK" && doubleHolds === 1,
          {
            expected: "B's SET NX → OK while A holds it (1 double hold)",
            actual: `B's SET → ${String(state.bSet)}, ${doubleHolds} double holds`,
            evidence: onLock(["A@master", "B@new-master"], "cut"),
          },
        );
        ctx.check(
          "the fencing counter went back too: B was issued A's token again",
          state.aFence !== undefined && state.aFence === state.bFence,
          {
            expected: `B's token = A's (${String(state.aFence)})`,
            actual: state.bFence ?? null,
            evidence: onLock(["A@master", "B@new-master"], "cut"),
          },
        );
        ctx.metric("twoHolders", doubleHolds === 1);
        ctx.metric("doubleHolds", doubleHolds);
        ctx.metric("waitAcksHealthy", state.waitHealthy ?? null);
        ctx.metric("waitAcksCut", state.waitCut ?? null);
        ctx.metric("fenceA", state.aFence ?? null);
        ctx.metric("fenceB", state.bFence ?? null);
        ctx.metric("ttlMs", p.ttlMs);
        ctx.figure({
          what: "the failover pitfall",
          chapter: "Master dies, replica promoted, but lock not yet replicated!",
          measured:
            `SET OK on the master, WAIT 1 → ${String(state.waitCut)}, replica promoted, B's SET NX ` +
            `→ ${String(state.bSet)}: ${doubleHolds === 1 ? "two holders" : "no double hold"}`,
          agrees: doubleHolds === 1,
          note:
            "Fix: Redlock, or WAIT before trusting the lock; or accept rare double-processing and make the work " +
            "idempotent",
        });
      },
    },
  ],
  async teardown(_ctx, state) {
    // QUIT while the servers run (the master's connections are already closed by its SHUTDOWN), then stop both.
    const open = [state.A, state.B, state.opMaster, state.opReplica].filter(
      (c): c is Redis => c !== undefined && c.status !== "end",
    );
    if (state.masterDown)
      await Promise.all(
        open.filter((c) => c === state.B || c === state.opReplica).map((c) => c.quit().catch(() => c.disconnect())),
      );
    else await Promise.all(open.map((c) => c.quit().catch(() => c.disconnect())));
    await Promise.all([state.master?.stop(), state.replica?.stop()]);
  },
});

export default failover;
