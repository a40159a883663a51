import type { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  bumpNamespaceVersion,
  ensureNamespaceVersion,
  invalidationMessage,
  LocalCache,
  namespaceVersion,
  parseInvalidation,
  publishInvalidation,
  readVersioned,
  subscribeInvalidations,
} from "../../../src/patterns/cache/index.js";
import { plainClient, usePrefixedRedis } from "../../helpers/redis.js";
import { openTestOrigin } from "./context.js";

const { redis, prefix, server } = usePrefixedRedis("cache-invalidation");
const subscribers: Redis[] = [];
afterAll(() => subscribers.forEach((s) => s.disconnect()));

async function until(probe: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a message");
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("LocalCache", () => {
  it("holds rows by id, drops one, clears all", () => {
    const c = new LocalCache();
    c.set({ id: 1, name: "a", version: 1 });
    c.set({ id: 2, name: "b", version: 1 });
    expect(c.get(1)?.name).toBe("a");
    expect(c.drop(1)).toBe(true);
    expect(c.drop(1)).toBe(false);
    expect(c.clear()).toBe(1);
    expect(c.size).toBe(0);
  });
});

describe("pub/sub invalidation", () => {
  it("uses the chapter's message form", () => {
    expect(invalidationMessage(123)).toBe("user:123");
    expect(parseInvalidation("user:123")).toBe(123);
    expect(parseInvalidation("order:1")).toBeNull();
  });

  it("reaches every subscribed connection (PUBLISH counts them), and nobody who was away", async () => {
    const channel = `${prefix()}:invalidate`;
    const caches = [new LocalCache(), new LocalCache()];
    const subs = caches.map(() => plainClient(server()));
    subscribers.push(...subs);
    for (const [i, sub] of subs.entries()) {
      caches[i]!.set({ id: 7, name: "old", version: 1 });
      await subscribeInvalidations(sub, channel, (id) => caches[i]!.drop(id));
    }
    expect(await publishInvalidation(redis(), channel, 7)).toBe(2);
    await until(() => caches.every((c) => c.get(7) === undefined));

    // The second instance goes away; a message published meanwhile is not kept for it.
    caches[1]!.set({ id: 8, name: "old", version: 1 });
    await subs[1]!.quit();
    expect(await publishInvalidation(redis(), channel, 8)).toBe(1);
    const back = plainClient(server());
    subscribers.push(back);
    await subscribeInvalidations(back, channel, (id) => caches[1]!.drop(id));
    await new Promise((r) => setTimeout(r, 50));
    expect(caches[1]!.get(8)?.name).toBe("old");
  });
});

describe("versioned keys", () => {
  it("starts at 1 without overwriting, bumps with INCR, and reads under the current version only", async () => {
    const db = await openTestOrigin();
    const versionKey = `${prefix()}:version`;
    expect(await ensureNamespaceVersion(redis(), versionKey)).toBe(1);
    expect(await bumpNamespaceVersion(redis(), versionKey)).toBe(2);
    expect(await ensureNamespaceVersion(redis(), versionKey)).toBe(2);
    const keyFor = (v: number, id: number) => `${prefix()}:v${v}:user:${id}`;
    const first = await readVersioned(redis(), db, versionKey, keyFor, 1, { ttlMs: 60_000 });
    expect(first).toMatchObject({ hit: false, version: 2, key: keyFor(2, 1) });
    expect((await readVersioned(redis(), db, versionKey, keyFor, 1, { ttlMs: 60_000 })).hit).toBe(true);
    await bumpNamespaceVersion(redis(), versionKey);
    expect(await readVersioned(redis(), db, versionKey, keyFor, 1, { ttlMs: 60_000 })).toMatchObject({
      hit: false,
      version: 3,
    });
    expect(await redis().exists(keyFor(2, 1))).toBe(1);
    await redis().del(versionKey);
    await expect(namespaceVersion(redis(), versionKey)).rejects.toThrow(/missing/);
    await db.dropTable();
    await db.close();
  });
});
