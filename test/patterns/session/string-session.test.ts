import { describe, expect, it } from "vitest";
import { isUnknownCommand } from "../../../src/redis/classify-error.js";
import {
  commitSession,
  endSession,
  readSession,
  saveSession,
  slidingReadFor,
  touchSession,
  updateSession,
  watchSession,
} from "../../../src/patterns/session/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, other, prefix } = usePrefixedRedis("session-string");
const key = (...parts: string[]) => [prefix(), "session", ...parts].join(":");
const ALICE = { user_id: 123, roles: ["user", "admin"] };

describe("saveSession / readSession / endSession", () => {
  it("stores the JSON with its TTL in one SET … EX, reads it back, and DEL ends it", async () => {
    const k = key("a");
    await saveSession(redis(), k, ALICE, 3600);
    expect(await redis().get(k)).toBe(JSON.stringify(ALICE));
    const ttl = await redis().pttl(k);
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    expect(await readSession(redis(), k)).toEqual(ALICE);
    expect(await endSession(redis(), k)).toBe(true);
    expect(await readSession(redis(), k)).toBeNull();
    expect(await endSession(redis(), k)).toBe(false);
  });

  it("refuses a TTL that is not whole seconds, and a value that is not a JSON object", async () => {
    await expect(saveSession(redis(), key("b"), ALICE, 0)).rejects.toThrow(/ttlSeconds/);
    await expect(saveSession(redis(), key("b"), ALICE, 1.5)).rejects.toThrow(/ttlSeconds/);
    await redis().set(key("c"), "[1,2]");
    await expect(readSession(redis(), key("c"))).rejects.toThrow(/JSON object/);
  });
});

describe("touchSession: the read that slides the expiry", () => {
  it.each(["getex", "get+expire"] as const)(
    "%s resets a shortened TTL to the full TTL and returns the session",
    async (method) => {
      const k = key(method);
      await saveSession(redis(), k, ALICE, 3600);
      await redis().pexpire(k, 5_000);
      expect(await touchSession(redis(), k, { ttlSeconds: 3600, method })).toEqual(ALICE);
      expect(await redis().pttl(k)).toBeGreaterThan(3_590_000);
    },
  );

  it.each(["getex", "get+expire"] as const)(
    "%s on a missing session returns null and creates nothing",
    async (method) => {
      const k = key("missing", method);
      expect(await touchSession(redis(), k, { ttlSeconds: 60, method })).toBeNull();
      expect(await redis().exists(k)).toBe(0);
    },
  );

  it("picks GETEX from Redis 6.2 on, GET + EXPIRE before, and nothing for an unknown version", () => {
    expect(slidingReadFor("7.0.15")).toBe("getex");
    expect(slidingReadFor("6.2.0")).toBe("getex");
    expect(slidingReadFor("8.0.1")).toBe("getex");
    expect(slidingReadFor("6.0.16")).toBe("get+expire");
    expect(slidingReadFor("5.0.7")).toBe("get+expire");
    expect(slidingReadFor("unknown")).toBeUndefined();
  });

  it("recognises the server's unknown-command error", async () => {
    const err = await redis()
      .call("NOSUCHCOMMAND")
      .catch((e: unknown) => e);
    expect(isUnknownCommand(err)).toBe(true);
    expect(isUnknownCommand(new Error("WRONGTYPE Operation against a key"))).toBe(false);
  });
});

describe("the optimistic update: watchSession + commitSession", () => {
  it("a write by another connection between WATCH and EXEC aborts the commit; nothing is written", async () => {
    const k = key("w");
    await saveSession(redis(), k, { ...ALICE, theme: "light" }, 3600);
    const seen = await watchSession(redis(), k);
    await saveSession(other(), k, { ...ALICE, theme: "dark" }, 3600);
    expect(await commitSession(redis(), k, { ...seen, cart_size: 1 }, 3600)).toBe(false);
    expect(await readSession(redis(), k)).toEqual({ ...ALICE, theme: "dark" });
    // Without interference it commits, with the TTL.
    const again = await watchSession(redis(), k);
    expect(await commitSession(redis(), k, { ...again, cart_size: 1 }, 3600)).toBe(true);
    expect(await readSession(redis(), k)).toEqual({ ...ALICE, theme: "dark", cart_size: 1 });
    expect(await redis().pttl(k)).toBeGreaterThan(3_590_000);
  });

  it("updateSession retries until its change lands on the latest version", async () => {
    const k = key("u");
    await saveSession(redis(), k, { cart_size: 0, theme: "light" }, 3600);
    let interfered = false;
    const result = await updateSession(
      redis(),
      k,
      async (s) => {
        // The first time round, another server changes the theme after our read: our first EXEC must abort.
        if (!interfered) {
          interfered = true;
          await other().set(k, JSON.stringify({ cart_size: 0, theme: "dark" }), "EX", 3600);
        }
        return { ...s, cart_size: Number(s.cart_size) + 1 };
      },
      { ttlSeconds: 3600 },
    );
    expect(result?.attempts).toBe(2);
    expect(await readSession(redis(), k)).toEqual({ cart_size: 1, theme: "dark" });
  });

  it("updateSession on a missing session returns null and leaves nothing watched", async () => {
    expect(await updateSession(redis(), key("none"), (s) => s, { ttlSeconds: 60 })).toBeNull();
    // A later transaction on the same connection is not aborted by a leftover WATCH.
    await other().set(key("none"), "{}");
    expect(await commitSession(redis(), key("x"), {}, 60)).toBe(true);
  });
});
