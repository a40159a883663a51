import { describe, expect, it } from "vitest";
import {
  addToCart,
  createHashSession,
  hashFromReply,
  readHashSession,
  sessionField,
  setSessionField,
} from "../../../src/patterns/session/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, other, prefix } = usePrefixedRedis("session-hash");
const key = (...parts: string[]) => [prefix(), "session", ...parts].join(":");

describe("hash sessions", () => {
  it("login writes every field and the TTL in one transaction", async () => {
    const k = key("a");
    await createHashSession(redis(), k, { user_id: 123, role: "admin", cart_size: 3 }, 3600);
    expect(await redis().hgetall(k)).toEqual({ user_id: "123", role: "admin", cart_size: "3" });
    expect(await redis().ttl(k)).toBe(3600);
    expect(await sessionField(redis(), k, "role")).toBe("admin");
    expect(await sessionField(redis(), k, "nope")).toBeNull();
    expect(await readHashSession(redis(), k)).toEqual({ user_id: "123", role: "admin", cart_size: "3" });
  });

  it("a missing session reads null, field or whole", async () => {
    expect(await sessionField(redis(), key("gone"), "role")).toBeNull();
    expect(await readHashSession(redis(), key("gone"))).toBeNull();
  });

  it("addToCart increments in Redis (two servers both count) and slides the TTL", async () => {
    const k = key("cart");
    await createHashSession(redis(), k, { user_id: 1, cart_size: 0 }, 3600);
    await redis().expire(k, 10);
    expect(await addToCart(redis(), k, { ttlSeconds: 3600 })).toBe(1);
    expect(await addToCart(other(), k, { ttlSeconds: 3600, items: 2 })).toBe(3);
    expect(await redis().ttl(k)).toBeGreaterThan(3590);
  });

  it("setSessionField changes one field and leaves the others as another server wrote them", async () => {
    const k = key("f");
    await createHashSession(redis(), k, { user_id: 1, theme: "light", cart_size: 0 }, 3600);
    await addToCart(other(), k, { ttlSeconds: 3600 });
    await setSessionField(redis(), k, "theme", "dark", 3600);
    expect(await readHashSession(redis(), k)).toEqual({ user_id: "1", theme: "dark", cart_size: "1" });
  });

  it("refuses an empty session and a bad TTL", async () => {
    await expect(createHashSession(redis(), key("e"), {}, 60)).rejects.toThrow(/at least one field/);
    await expect(addToCart(redis(), key("e"), { ttlSeconds: 0 })).rejects.toThrow(/ttlSeconds/);
  });

  it("hashFromReply turns HGETALL's flat reply into an object", () => {
    expect(hashFromReply(["a", "1", "b", "2"])).toEqual({ a: "1", b: "2" });
    expect(hashFromReply([])).toBeNull();
    expect(() => hashFromReply("x")).toThrow();
  });
});
