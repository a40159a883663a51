import { LockLostError, overlappingHolds, pause, type LockAlgorithm } from "../../src/patterns/lock/index.js";
import { sleep } from "../../src/runner/clock.js";
import type { Evidence } from "../../src/check-failure.js";
import { commandsOn, lastSeq } from "../../src/runner/evidence.js";
import type { TableData } from "../../src/runner/types.js";
import { counterKey, type Ctx, lockKey } from "./params.js";
import type { LockState, LockVariant } from "./state.js";
import { giveBack, short, takeLock } from "./workers.js";

/**
 * The expiry pitfall's evidence for a check, from the trace with the replies: "stall" is what was sent on the lock
 * from worker-1's grant to worker-2's attempt (SET NX, renewals, PTTL), "release" the releases and the look after
 * them, "counter" the reads and writes of the counter; with the values the checks judge.
 */
export function pitfallEvidence(
  ctx: Ctx,
  state: LockState,
  algo: LockAlgorithm,
  part: "stall" | "release" | "counter",
): Evidence {
  const pit = state.pitfall;
  const seqs = pit.seqs;
  if (!seqs) return {};
  const key = part === "counter" ? counterKey(ctx, algo) : lockKey(ctx, algo);
  const range =
    part === "stall"
      ? { after: seqs.after, upTo: seqs.tried }
      : part === "release"
        ? { after: seqs.tried, upTo: seqs.upTo }
        : seqs;
  const values: Evidence["values"] =
    part === "stall"
      ? { doubleHolds: overlappingHolds(state.holds), "PTTL after the stall": pit.pttlAfterStall ?? null }
      : part === "release"
        ? { "worker-1's late release answered": pit.lateRelease ?? null }
        : { "counter before → after the pitfall": `${String(pit.start)} → ${String(pit.end)}` };
  return { commands: commandsOn(ctx.commands(), key, range), values };
}

/** Step 2: worker-1 takes the lock, reads, and stalls past the TTL (real time: expiry runs on the server's clock). */
export async function stallPastTtl(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const p = ctx.params;
  const [w1] = state.workers;
  const key = lockKey(ctx, variant.algo);
  state.pitfall.seqs = { after: lastSeq(ctx.commands()) };
  const g1 = await takeLock(ctx, state, variant, w1!, true);
  if (!g1) throw new Error("worker-1 could not take the free lock");
  state.grants = { g1 };
  state.pitfall.start = await variant.read(ctx, w1!.redis);
  state.pitfall.read1 = state.pitfall.start;
  state.pitfall.w1Fence = g1.fence;
  ctx.note(
    `worker-1 holds the lock (owner ` +
      `token ${short(g1.token)}…${g1.fence !== null ? `, fencing token ${g1.fence}` : ""}) and read the ` +
      `counter: ${state.pitfall.read1}`,
  );
  const renewalsBefore = state.renewals;
  ctx.stalls.point("lock-pitfall-stall");
  await sleep(p.pauseMs, ctx.signal);
  state.pitfall.renewalsDuringStall = state.renewals - renewalsBefore;
  const pttl = Number(await ctx.redis.call("PTTL", key));
  state.pitfall.pttlAfterStall = pttl;
  ctx.note(
    `worker-1 stalled for ${p.pauseMs} ms (a GC pause, swapping, a slow call) with a ${p.ttlMs} ms TTL; it has ` +
      `no idea how long it was gone`,
  );
  ctx.note(
    "Clock: the TTL runs on the Redis server's clock, not worker-1's, and nothing tells a holder when it runs out. " +
      "A client that pauses longer than the TTL is what makes expiry bite.",
  );
  if (variant.watchdog) {
    ctx.note(
      `the watchdog renewed the lock ${state.pitfall.renewalsDuringStall} times during the stall ` +
        `(every ${Math.floor(p.ttlMs / 3)} ms = TTL/3, owner-checked PEXPIRE on worker-1's connection): PTTL ` +
        `is ${pttl} ms now. It runs in worker-1's process: a stop-the-world pause (GC, a frozen VM) would have ` +
        `stopped it too; this stall is an await, which its timer outlives.`,
    );
  } else {
    ctx.note(
      pttl === -2 ? "PTTL answers -2: the lock is gone, although worker-1 never released it" : `PTTL answers ${pttl}`,
    );
  }
}

/** Step 3: worker-2 asks while worker-1 is still stalled. */
export async function secondWorkerTries(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const [, w2] = state.workers;
  const grants = state.grants;
  const g2 = await takeLock(ctx, state, variant, w2!, false);
  grants.g2 = g2;
  state.pitfall.w2GotItDuringStall = g2 !== null;
  if (state.pitfall.seqs) state.pitfall.seqs.tried = lastSeq(ctx.commands());
  if (g2) {
    state.pitfall.w2Token = g2.token;
    state.pitfall.w2Fence = g2.fence;
    const value = await variant.read(ctx, w2!.redis);
    const accepted = await variant.write(ctx, w2!.redis, value + 1, g2);
    ctx.note(
      `worker-2 got the lock ` +
        `(token ${short(g2.token)}…${g2.fence !== null ? `, fencing token ${g2.fence}` : ""}), read ${value} and ` +
        `wrote ${value + 1}${accepted ? "" : " (refused!)"}`,
    );
    ctx.note(
      `DOUBLE HOLD: worker-1 never released and still believes it holds the lock; so does worker-2 ` +
        `(${overlappingHolds(state.holds)} overlapping hold so far)`,
    );
  } else {
    const owner = (await ctx.redis.call("GET", lockKey(ctx, variant.algo))) as string | null;
    ctx.note(
      `worker-2 was refused: the lock is still ` +
        `held${owner === grants.g1?.token ? " by worker-1 (its watchdog kept it alive)" : ""}; no double hold`,
    );
  }
}

/** Step 4: worker-1 resumes, writes what it computed before the stall, and releases. */
export async function firstWorkerResumes(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const [w1, w2] = state.workers;
  const key = lockKey(ctx, variant.algo);
  const grants = state.grants;
  const g1 = grants.g1;
  if (!g1) throw new Error("worker-1 holds no lock to resume with");
  const rows: TableData["rows"] = [];
  const read1 = state.pitfall.read1!;
  // A holder with a watchdog checks it before writing: a lost lock means its work is no longer protected.
  const toldLost = g1.watchdog?.signal.aborted === true;
  const accepted = toldLost ? false : await variant.write(ctx, w1!.redis, read1 + 1, g1);
  state.pitfall.lateWriteAccepted = accepted;
  const released = await giveBack(ctx, state, variant, g1);
  state.pitfall.lateRelease = released ? 1 : 0;
  const writeCell = toldLost ? "not made (told the lock was lost)" : accepted ? "accepted" : "refused (older token)";
  rows.push([
    "worker-1",
    g1.fence ?? "–",
    read1,
    toldLost ? "–" : read1 + 1,
    writeCell,
    released ? "1 (deleted its lock)" : "0 (not its lock)",
  ]);
  ctx.stalls.point("lock-late-release");
  const owner = (await ctx.redis.call("GET", key)) as string | null;
  const pttl = Number(await ctx.redis.call("PTTL", key));
  state.pitfall.ownerAfterLateRelease = owner;
  state.pitfall.pttlAfterLateRelease = pttl;
  // How old worker-2's lock could be by then: from sending its SET NX to this PTTL's reply.
  if (grants.g2) state.pitfall.w2AgeAfterLateReleaseMs = performance.now() - grants.g2.lastSet();
  const ownerName =
    owner === null
      ? "nobody"
      : owner === state.pitfall.w2Token
        ? "worker-2"
        : owner === g1.token
          ? "worker-1"
          : "someone else";
  ctx.note(`after worker-1's release the lock is held by ${ownerName}${owner !== null ? ` (PTTL ${pttl} ms)` : ""}`);

  let g2 = grants.g2 ?? null;
  if (g2) {
    const released2 = await giveBack(ctx, state, variant, g2);
    rows.unshift([
      "worker-2",
      g2.fence ?? "–",
      state.pitfall.start!,
      state.pitfall.start! + 1,
      "accepted",
      released2 ? "1 (deleted its lock)" : "0 (not its lock)",
    ]);
  } else {
    g2 = await takeLock(ctx, state, variant, w2!, true);
    if (!g2) throw new Error("worker-2 could not take the lock after worker-1 released it");
    state.pitfall.w2Token = g2.token;
    state.pitfall.w2Fence = g2.fence;
    const value = await variant.read(ctx, w2!.redis);
    const ok = await variant.write(ctx, w2!.redis, value + 1, g2);
    const released2 = await giveBack(ctx, state, variant, g2);
    rows.push([
      "worker-2",
      g2.fence ?? "–",
      value,
      value + 1,
      ok ? "accepted" : "refused",
      released2 ? "1 (deleted its lock)" : "0 (not its lock)",
    ]);
  }
  state.pitfall.end = await variant.read(ctx, ctx.redis);
  if (state.pitfall.seqs) state.pitfall.seqs.upTo = lastSeq(ctx.commands());
  state.pitfallUnrenewedMs = state.longestUnrenewedMs;
  if (g1.fence !== null) {
    ctx.note(
      `Clock: fencing does not depend on clocks. The resource compares token numbers (${g1.fence} ` +
        `< ${state.pitfall.w2Fence ?? "?"}), so the stale write is refused however long worker-1 slept and ` +
        `whatever any clock, the server's included, says.`,
    );
  }
  ctx.table({
    title: "Who wrote what (in the order the writes reached Redis)",
    columns: ["worker", "fencing token", "read", "wrote", "write", "release answered"],
    rows,
  });
  const lost = state.pitfall.start! + 2 - state.pitfall.end;
  if (!accepted && !toldLost) state.staleWritesRejected += 1;
  else if (state.pitfall.w2GotItDuringStall) state.staleWritesAccepted += 1;
  ctx.note(
    `counter ${state.pitfall.start} → ${state.pitfall.end} for two increments` +
      (accepted && lost > 0
        ? `: worker-1's stale write overwrote worker-2's, ${lost} update lost`
        : !accepted
          ? ": worker-1's stale write was refused (it must redo its work under a new lock)"
          : ""),
  );
}

/** Watchdog only: a renewal fails (the lock was deleted behind the holder's back); the holder is told and stops. */
export async function renewalFails(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const p = ctx.params;
  const [w1] = state.workers;
  const key = lockKey(ctx, variant.algo);
  const after = lastSeq(ctx.commands());
  const valueBefore = await variant.read(ctx, ctx.redis);
  const grant = await takeLock(ctx, state, variant, w1!, true);
  if (!grant?.watchdog) throw new Error("worker-1 could not take the free lock with a watchdog");
  const watchdog = grant.watchdog;
  const chunksPlanned = 10;
  const chunkMs = Math.max(1, Math.ceil(p.ttlMs / 5));
  // worker-1's work: 10 slices of TTL/5 (2 × TTL in all), checking its watchdog's signal at every slice.
  const work = (async () => {
    let chunksDone = 0;
    try {
      for (; chunksDone < chunksPlanned; chunksDone++) {
        ctx.signal.throwIfAborted();
        await pause(chunkMs, watchdog.signal);
      }
      const value = await variant.read(ctx, w1!.redis);
      await variant.write(ctx, w1!.redis, value + 1, grant);
      return { chunksDone, wrote: true, told: null as unknown };
    } catch (err) {
      if (err instanceof LockLostError) return { chunksDone, wrote: false, told: err as unknown };
      throw err;
    }
  })();
  // Ctrl-C may end the step before `work` is awaited below: its InterruptedError must not go unhandled.
  work.catch(() => undefined);
  await Promise.race([grant.firstRenewal, work]);
  const renewalsBefore = watchdog.renewals;
  // The fault: the lock disappears while its holder works (an operator's DEL, a failover to a replica that never
  // got the key, eviction). The main connection deletes it; worker-1 is not told by anyone but its watchdog.
  const deletedAt = performance.now();
  ctx.stalls.point("lock-renewal-fails");
  await ctx.redis.call("DEL", key);
  const outcome = await work;
  const endedAt = performance.now();
  const release = await giveBack(ctx, state, variant, grant);
  const valueAfter = await variant.read(ctx, ctx.redis);
  const told = outcome.told;
  state.lost = {
    message: told instanceof Error ? `${told.name}: ${told.message}` : "(nothing: worker-1 finished and wrote)",
    isLockLost: told instanceof LockLostError,
    chunksDone: outcome.chunksDone,
    chunksPlanned,
    wrote: outcome.wrote,
    valueBefore,
    valueAfter,
    release,
    renewalsBefore,
    seqs: { after, upTo: lastSeq(ctx.commands()) },
    deletedAt,
    endedAt,
  };
  ctx.table({
    columns: ["what", "value"],
    rows: [
      ["renewals before the lock vanished", renewalsBefore],
      ["worker-1 was told", state.lost.message],
      ["work done when told", `${outcome.chunksDone} of ${chunksPlanned} slices of ${chunkMs} ms`],
      ["worker-1's write", outcome.wrote ? "made" : "never made (aborted)"],
      ["counter before → after", `${valueBefore} → ${valueAfter}`],
      ["worker-1's release answered", release ? "1" : "0 (the lock was already gone)"],
    ],
  });
  ctx.note(
    `Until that renewal (at most ${Math.floor(p.ttlMs / 3)} ms later) worker-1 still believed it held the ` +
      `lock: a watchdog shortens the window in which a lost lock goes unnoticed, it does not close it. Fencing ` +
      `tokens do: the resource refuses the stale write itself.`,
  );
}
