import { describe, expect, it } from "vitest";
import {
  createReadThroughCache,
  decodeEntry,
  flushWriteBehind,
  getCachedUser,
  pendingWrites,
  readCacheAside,
  startWriteBehindWorker,
  writeAround,
  writeBehind,
  writeBehindScript,
  writeCacheAside,
  writeThrough,
} from "../../../src/patterns/cache/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";
import { openTestOrigin } from "./context.js";

const { redis, prefix } = usePrefixedRedis("cache-strategies");
const TTL = 60_000;

describe("cache-aside", () => {
  it("misses, loads and stores with a TTL; then hits without the database; a write deletes the entry", async () => {
    const db = await openTestOrigin();
    const key = `${prefix()}:user:1`;
    expect(await readCacheAside(redis(), db, key, 1, { ttlMs: TTL })).toEqual({
      row: { id: 1, name: "user 1", version: 1 },
      hit: false,
    });
    const pttl = await redis().pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(TTL);
    expect(await readCacheAside(redis(), db, key, 1, { ttlMs: TTL })).toMatchObject({ hit: true });
    expect(db.counts.reads).toBe(1);
    await writeCacheAside(redis(), db, key, { id: 1, name: "new", version: 2 });
    expect(await redis().exists(key)).toBe(0);
    expect(await readCacheAside(redis(), db, key, 1, { ttlMs: TTL })).toEqual({
      row: { id: 1, name: "new", version: 2 },
      hit: false,
    });
    await db.dropTable();
    await db.close();
  });
});

describe("read-through", () => {
  it("loads through the layer's loader on a miss; writes around the cache leave the old copy", async () => {
    const db = await openTestOrigin();
    const loads: number[] = [];
    const cache = createReadThroughCache({
      redis: redis(),
      keyFor: (id) => `${prefix()}:rt:${id}`,
      load: (id) => (loads.push(id), db.readUser(id)),
      ttlMs: TTL,
    });
    expect((await cache.read(2)).hit).toBe(false);
    expect((await cache.read(2)).hit).toBe(true);
    expect(loads).toEqual([2]);
    await writeAround(db, { id: 2, name: "changed", version: 2 });
    expect((await cache.read(2)).row).toEqual({ id: 2, name: "user 2", version: 1 });
    await db.dropTable();
    await db.close();
  });
});

describe("write-through", () => {
  it("updates the database and then the cache, with a TTL", async () => {
    const db = await openTestOrigin();
    const key = `${prefix()}:wt:3`;
    await writeThrough(redis(), db, key, { id: 3, name: "three", version: 2 }, { ttlMs: TTL });
    expect(await getCachedUser(redis(), key)).toEqual({ id: 3, name: "three", version: 2 });
    expect(await db.readUser(3)).toEqual({ id: 3, name: "three", version: 2 });
    expect(await redis().pttl(key)).toBeGreaterThan(0);
    await db.dropTable();
    await db.close();
  });
});

describe("write-behind", () => {
  const keys = () => ({ entry: (id: number) => `${prefix()}:{wb}:user:${id}`, queue: `${prefix()}:{wb}:queue` });

  it("sets the entry and queues the write in one script, with the script's documented header", async () => {
    const k = keys();
    const id = await writeBehind(redis(), k.entry(1), k.queue, { id: 1, name: "one", version: 2 }, { ttlMs: TTL });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(decodeEntry((await redis().get(k.entry(1)))!)).toEqual({
      kind: "user",
      row: { id: 1, name: "one", version: 2 },
    });
    expect(await redis().xrange(k.queue, "-", "+")).toEqual([[id, ["id", "1", "version", "2", "name", "one"]]]);
    expect(await redis().pttl(k.entry(1))).toBeGreaterThan(0);
    expect(writeBehindScript.lua).toMatch(/^--\[\[ Write-behind/);
    expect(await redis().call("SCRIPT", "LOAD", writeBehindScript.lua)).toBe(writeBehindScript.sha);
  });

  it("flushes a batch in one statement, removes just what it applied; applying it again changes nothing", async () => {
    const db = await openTestOrigin();
    const k = keys();
    for (const v of [2, 3, 4])
      await writeBehind(redis(), k.entry(1), k.queue, { id: 1, name: `one v${v}`, version: v }, { ttlMs: TTL });
    await writeBehind(redis(), k.entry(2), k.queue, { id: 2, name: "two v2", version: 2 }, { ttlMs: TTL });
    const first = await flushWriteBehind(redis(), db, k.queue, { batchSize: 3 });
    expect(first.writes.map((w) => w.row.version)).toEqual([2, 3, 4]);
    expect(first.rowsWritten).toBe(1);
    expect(db.counts.writeStatements).toBe(1);
    expect(await pendingWrites(redis(), k.queue)).toBe(1);
    // A redelivery (worker died after the statement, before XDEL) is harmless: versions only move forward.
    expect(await db.applyWrites(first.writes.map((w) => w.row))).toBe(0);
    const second = await flushWriteBehind(redis(), db, k.queue, { batchSize: 3 });
    expect(second.writes).toHaveLength(1);
    expect(await pendingWrites(redis(), k.queue)).toBe(0);
    expect((await db.readAllUsers()).slice(0, 2).map((r) => r.version)).toEqual([4, 2]);
    expect((await flushWriteBehind(redis(), db, k.queue, { batchSize: 3 })).writes).toEqual([]);
    // A worker that dies between reading the batch and the database statement applies nothing and removes nothing.
    await writeBehind(redis(), k.entry(3), k.queue, { id: 3, name: "three v2", version: 2 }, { ttlMs: TTL });
    expect(await flushWriteBehind(redis(), db, k.queue, { batchSize: 3, alive: () => false })).toEqual({
      writes: [],
      rowsWritten: 0,
    });
    expect(await pendingWrites(redis(), k.queue)).toBe(1);
    expect((await db.readUser(3))?.version).toBe(1);
    await db.dropTable();
    await db.close();
  });

  it("a worker stopped cleanly drains the queue; a crashed one leaves what it had not flushed", async () => {
    const db = await openTestOrigin();
    const k = keys();
    const flushed: number[] = [];
    const worker = startWriteBehindWorker({
      redis: redis(),
      db,
      queueKey: k.queue,
      batchSize: 2,
      intervalMs: 5,
      onFlush: (r) => flushed.push(r.writes.length),
    });
    for (let v = 2; v <= 6; v++)
      await writeBehind(redis(), k.entry(v - 1), k.queue, { id: v - 1, name: `u${v - 1}`, version: 2 }, { ttlMs: TTL });
    await worker.stop();
    expect(flushed.reduce((a, b) => a + b, 0)).toBe(5);
    expect(flushed.every((n) => n <= 2)).toBe(true);
    expect(worker.flushes).toHaveLength(flushed.length);
    expect(await pendingWrites(redis(), k.queue)).toBe(0);

    const crashing = startWriteBehindWorker({
      redis: redis(),
      db,
      queueKey: k.queue,
      batchSize: 10,
      intervalMs: 60_000,
    });
    await writeBehind(redis(), k.entry(1), k.queue, { id: 1, name: "lost", version: 3 }, { ttlMs: TTL });
    await crashing.crash();
    await crashing.stop(); // a dead worker does not come back to drain
    expect(crashing.flushes).toEqual([]);
    expect(await pendingWrites(redis(), k.queue)).toBe(1);
    expect(await db.readUser(1)).toEqual({ id: 1, name: "u1", version: 2 });
    await db.dropTable();
    await db.close();
  });
});
