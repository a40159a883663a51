/**
 * The TTL guard (src/redis/ttl-guard.ts) against a real redis-server: a key the run writes gets `EXPIRE … 600 NX`
 * right after the write (after the pipeline, after EXEC), recorded in the trace; a TTL the pattern gave is left alone;
 * a key re-created after it was emptied gets one again; someone else's key a write failed on (WRONGTYPE, an aborted
 * transaction) is left exactly as it was (DEBUG DIGEST); a scenario's PERSIST stands.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KeySpace } from "../../src/redis/keys.js";
import { capTtl, watchForeignKeys } from "../../src/redis/ownership.js";
import { CommandRecorder } from "../../src/redis/recorder.js";
import { acquireFencedLockScript } from "../../src/patterns/lock/fencing.js";
import { runScript } from "../../src/redis/script.js";
import { RUN_KEY_TTL_S, TtlGuard } from "../../src/redis/ttl-guard.js";
import { scanKeys, waitFor } from "../helpers/cli.js";
import { digest } from "../helpers/foreign-data.js";
import { plainClient, useRedisClient } from "../helpers/redis.js";

const { server, redis: admin } = useRedisClient();
let recorded: Redis;
let recorder: CommandRecorder;
let keys: KeySpace;
let guard: TtlGuard;
const BOUND_MS = RUN_KEY_TTL_S * 1000;
beforeEach(() => {
  recorded = plainClient(server());
  recorder = new CommandRecorder();
  recorder.attach(recorded, "main").endHandshake();
  keys = new KeySpace(`rp:guard${randomBytes(3).toString("hex")}`);
  watchForeignKeys(recorder, keys);
  guard = new TtlGuard(keys, () => recorded, true);
  recorder.setSendHook(guard.onSent);
});
afterEach(async () => {
  guard.stop();
  const left = await scanKeys(admin(), keys.prefix);
  if (left.length > 0) await admin().del(...left);
  recorded.disconnect();
});

/** Wait until the guard's commands (sent after a reply, or on the next tick) have been answered. */
async function settled(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await recorded.ping();
  await recorded.ping();
}

/** The commands sent, names upper-cased, without what ioredis sends on connecting (CLIENT SETINFO, INFO). */
const sent = () =>
  recorder.commands.map((c) => c.argv[0]!.toUpperCase()).filter((name) => name !== "CLIENT" && name !== "INFO");
const guardArgv = () => recorder.commands.filter((c) => c.phase === "ttl-guard").map((c) => c.argv.join(" "));

describe("the TTL guard", () => {
  it("gives a written key a TTL right after the write, once, in the trace", async () => {
    const board = keys.key("leaderboard", "{global}");
    await recorded.zadd(board, 1, "alice");
    await recorded.zadd(board, 2, "bob");
    await recorded.zincrby(board, 1, "bob");
    await settled();
    const pttl = await admin().pttl(board);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(BOUND_MS);
    expect(guardArgv()).toEqual([`EXPIRE ${board} ${RUN_KEY_TTL_S} NX`]);
    expect(sent().slice(0, 2)).toEqual(["ZADD", "EXPIRE"]);
  });

  it("gives a stream XGROUP CREATE … MKSTREAM made a TTL (the command table names no key for XGROUP)", async () => {
    const stream = keys.key("queue", "{s}");
    await recorded.call("XGROUP", "CREATE", stream, "g", "$", "MKSTREAM");
    await settled();
    const pttl = await admin().pttl(stream);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(BOUND_MS);
    expect(guardArgv()).toEqual([`EXPIRE ${stream} ${RUN_KEY_TTL_S} NX`]);
  });

  it("a key a script creates after its EVALSHA failed (NOSCRIPT) gets a TTL, though EXPIRE found none", async () => {
    // The fencing lock: EVALSHA → NOSCRIPT on three connections at once, each followed by an EXPIRE … NX that finds
    // no counter (0); then the EVAL fallback creates it with INCR. The guard must not take those 0s for "covered".
    const lock = keys.key("lock", "{order}", "lock");
    const fence = keys.key("lock", "{order}", "fence");
    const others = [1, 2].map((n) => {
      const conn = plainClient(server());
      recorder.attach(conn, `worker-${n}`).endHandshake();
      return conn;
    });
    try {
      await admin().script("FLUSH");
      const all = [recorded, ...others];
      const grants = await Promise.all(
        all.map((conn, i) => runScript(conn, acquireFencedLockScript, [lock, fence], [`owner-${i}`, "5000"])),
      );
      expect(grants.filter((g) => Number(g) > 0)).toHaveLength(1);
      await settled();
      for (const conn of others) await conn.ping();
      const pttl = await admin().pttl(fence);
      expect(pttl, "the fencing counter's TTL").toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(BOUND_MS);
    } finally {
      for (const conn of others) conn.disconnect();
    }
  });

  it("renews the TTL of a key it adopted (written with the guard's TTL by its caller), never creates one", async () => {
    const entry = keys.key("bench", "{e}");
    const missing = keys.key("bench", "{m}");
    await recorded.set(entry, "v", "EX", 60);
    guard.adopt([entry, missing]);
    expect(guard.ours()).toEqual(new Set([entry, missing]));
    (guard as unknown as { renew(): void }).renew();
    await settled();
    expect(await admin().ttl(entry)).toBeGreaterThan(60);
    expect(await admin().exists(missing)).toBe(0);
  });

  it("its own key, expired and re-created without a TTL behind its back, gets one at the renewal", async () => {
    const board = keys.key("bench", "{b}");
    await recorded.zadd(board, 1, "p1");
    await settled();
    expect(guard.ours()).toEqual(new Set([board]));
    // As after the server was out of reach past the TTL: the key expired, then a worker's ZINCRBY (a connection the
    // guard does not sit on) re-created it without one.
    await admin().del(board);
    await admin().zincrby(board, 1, "p1");
    expect(await admin().pttl(board)).toBe(-1);
    (guard as unknown as { renew(): void }).renew();
    await settled();
    expect(await admin().ttl(board)).toBeGreaterThan(RUN_KEY_TTL_S - 5);
  });

  it("sends EXPIRE after a whole pipeline and after EXEC, never inside them", async () => {
    const a = keys.key("q", "{x}", "a");
    const b = keys.key("q", "{x}", "b");
    await recorded.pipeline().rpush(a, "1").sadd(b, "m").exec();
    await recorded
      .multi()
      .rpush(a, "2")
      .hset(keys.key("q", "{x}", "h"), "f", "v")
      .exec();
    await settled();
    const argv = sent();
    expect(argv.slice(0, 4)).toEqual(["RPUSH", "SADD", "EXPIRE", "EXPIRE"]);
    expect(argv.slice(4, 8)).toEqual(["MULTI", "RPUSH", "HSET", "EXEC"]);
    expect(argv[8]).toBe("EXPIRE");
    for (const key of await scanKeys(admin(), keys.prefix)) expect(await admin().pttl(key), key).toBeGreaterThan(0);
  });

  it("leaves a TTL the pattern set (NX), and a key re-created after it was emptied gets one again", async () => {
    const cached = keys.key("cache", "{p}");
    await recorded.set(cached, "v", "EX", 30);
    const list = keys.key("queue", "{jobs}");
    await recorded.lpush(list, "job-1");
    await recorded.rpop(list);
    expect(await admin().exists(list)).toBe(0);
    await recorded.lpush(list, "job-2");
    await settled();
    expect(await admin().pttl(cached)).toBeLessThanOrEqual(30_000);
    const pttl = await admin().pttl(list);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(BOUND_MS);
    expect(guardArgv()).toEqual([`EXPIRE ${list} ${RUN_KEY_TTL_S} NX`, `EXPIRE ${list} ${RUN_KEY_TTL_S} NX`]);
  });

  it("a plain SET (which drops a TTL) is followed by EXPIRE again; a scenario's PERSIST stands", async () => {
    const counter = keys.key("lock", "{o}", "counter");
    await recorded.set(counter, "1");
    await recorded.set(counter, "2");
    await settled();
    expect(await admin().pttl(counter)).toBeGreaterThan(0);
    await recorded.persist(counter);
    await settled();
    expect(await admin().pttl(counter)).toBe(-1);
    (guard as unknown as { renew(): void }).renew();
    await settled();
    expect(await admin().pttl(counter), "the renewal gave a PERSISTed key a TTL").toBe(-1);
  });

  describe("someone else's key under the prefix is left exactly as it was", () => {
    let theirs: string;
    let before: string;
    beforeEach(async () => {
      theirs = keys.key("leaderboard", "{global}");
      await admin().hset(theirs, "owner", "someone else");
      before = await digest(admin());
    });
    const cases: [string, () => Promise<unknown>][] = [
      ["a plain write", () => recorded.zadd(theirs, 1, "alice").catch(() => undefined)],
      ["a pipeline", () => recorded.pipeline().zadd(theirs, 1, "alice").exec()],
      [
        "MULTI … EXEC",
        () =>
          recorded
            .multi()
            .zadd(theirs, 1, "alice")
            .exec()
            .catch(() => undefined),
      ],
      [
        "an aborted transaction (EXECABORT)",
        () =>
          recorded
            .multi()
            .zadd(theirs, 1, "alice")
            .call("NO-SUCH-COMMAND")
            .exec()
            .catch(() => undefined),
      ],
    ];
    for (const [how, write] of cases) {
      it(`after a WRONGTYPE in ${how}`, async () => {
        await write();
        await settled();
        await waitFor("the guard's PERSIST, if it set a TTL", async () => Number(await admin().pttl(theirs)) === -1);
        expect(await admin().hget(theirs, "owner")).toBe("someone else");
        expect(await digest(admin())).toBe(before);
        // Not vacuous: the guard did set a TTL on it (NX on a key without one) and took it back.
        expect(guardArgv()).toEqual([`EXPIRE ${theirs} ${RUN_KEY_TTL_S} NX`, `PERSIST ${theirs}`]);
      });
    }
  });

  it("--keep gives the guard's keys the kept keys' cap instead", async () => {
    const board = keys.key("leaderboard", "{global}");
    await recorded.zadd(board, 1, "alice");
    await settled();
    guard.stop();
    await capTtl(recorded, [board], 86_400_000, guard.ours());
    expect(await admin().pttl(board)).toBeGreaterThan(BOUND_MS);
  });
});

describe("the TTL guard against a process killed right after a write", () => {
  // The write and the guard's EXPIRE … NX leave in one socket write (the recorder corks the socket until the guard's
  // nextTick has sent it), so a process SIGKILLed between the two cannot leave the key without a TTL: here it kills
  // itself synchronously after queueing INCR, before any tick — nothing went out (before the cork, INCR had already
  // been written and the key stood without a TTL).
  it("leaves no key without a TTL when killed in the same tick as the write", async () => {
    const prefix = `rp:kill${randomBytes(3).toString("hex")}`;
    const dist = (path: string) => new URL(`../../dist/src/redis/${path}`, import.meta.url).href;
    const script = `
      import { Redis } from "ioredis";
      const { KeySpace } = await import(${JSON.stringify(dist("keys.js"))});
      const { CommandRecorder } = await import(${JSON.stringify(dist("recorder.js"))});
      const { TtlGuard } = await import(${JSON.stringify(dist("ttl-guard.js"))});
      const redis = new Redis(${server().port}, "127.0.0.1");
      await redis.ping();
      const recorder = new CommandRecorder();
      recorder.attach(redis, "main").endHandshake();
      const keys = new KeySpace(${JSON.stringify(prefix)});
      recorder.setSendHook(new TtlGuard(keys, () => redis, true).onSent);
      for (let i = 0; i < 20; i++) {
        await redis.incr(keys.key("warm", String(i)));
        await new Promise((r) => setTimeout(r, 5));
      }
      void redis.incr(keys.key("counter")).catch(() => {});
      process.kill(process.pid, "SIGKILL");
    `;
    const { spawnSync } = await import("node:child_process");
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: new URL("../..", import.meta.url).pathname,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.signal, run.stderr).toBe("SIGKILL");
    const left = await scanKeys(admin(), prefix);
    expect(left.length).toBeGreaterThanOrEqual(20);
    const withoutTtl = [];
    for (const key of left) if ((await admin().pttl(key)) === -1) withoutTtl.push(key);
    await admin().del(...left);
    expect(withoutTtl).toEqual([]);
  });
});
