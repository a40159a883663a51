import { describe, expect, it } from "vitest";
import {
  decodeEntry,
  fillIfNewer,
  fillIfNewerScript,
  getCachedUser,
  invalidateWithTombstone,
  readFenced,
  setCachedUser,
} from "../../../src/patterns/cache/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";
import { openTestOrigin } from "./context.js";

const { redis, prefix } = usePrefixedRedis("cache-stale-set");

describe("fill-if-newer", () => {
  it("has the documented header and the SHA the server computes", async () => {
    expect(fillIfNewerScript.lua).toMatch(/^--\[\[ Store a cache entry unless/);
    expect(await redis().call("SCRIPT", "LOAD", fillIfNewerScript.lua)).toBe(fillIfNewerScript.sha);
  });

  it("stores into an empty key, refuses an older version, accepts an equal or newer one", async () => {
    const key = `${prefix()}:u1`;
    expect(await fillIfNewer(redis(), key, { id: 1, name: "v2", version: 2 }, 60_000)).toBe(true);
    expect(await fillIfNewer(redis(), key, { id: 1, name: "v1", version: 1 }, 60_000)).toBe(false);
    expect((await getCachedUser(redis(), key))?.name).toBe("v2");
    expect(await fillIfNewer(redis(), key, { id: 1, name: "v2 again", version: 2 }, 60_000)).toBe(true);
    expect(await fillIfNewer(redis(), key, { id: 1, name: "v3", version: 3 }, 60_000)).toBe(true);
    expect(await redis().pttl(key)).toBeGreaterThan(0);
  });
});

describe("the stale-set race", () => {
  it("reproduces with DEL + a plain SET, and not with a tombstone + fill-if-newer", async () => {
    const db = await openTestOrigin();
    const plain = `${prefix()}:plain`;
    const fenced = `${prefix()}:fenced`;

    // Plain cache-aside: the reader's late SET of v1 lands after the writer's DEL.
    const oldRow = (await db.readUser(1))!;
    await db.updateUser({ id: 1, name: "v2", version: 2 });
    await redis().del(plain);
    await setCachedUser(redis(), plain, oldRow, 60_000);
    expect((await getCachedUser(redis(), plain))?.version).toBe(1);

    // Fenced: the writer leaves a tombstone at v2; the late fill of v1 is refused.
    const oldTwo = (await db.readUser(2))!;
    await db.updateUser({ id: 2, name: "v2", version: 2 });
    expect(await invalidateWithTombstone(redis(), fenced, 2, 2, 5_000)).toBe(true);
    expect(decodeEntry((await redis().get(fenced))!)).toEqual({ kind: "tombstone", id: 2, version: 2 });
    expect(await fillIfNewer(redis(), fenced, oldTwo, 60_000)).toBe(false);
    const read = await readFenced(redis(), db, fenced, 2, { ttlMs: 60_000 });
    expect(read).toEqual({ row: { id: 2, name: "v2", version: 2 }, hit: false, stored: true });
    expect((await readFenced(redis(), db, fenced, 2, { ttlMs: 60_000 })).hit).toBe(true);
    await db.dropTable();
    await db.close();
  });
});
