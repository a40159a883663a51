import { describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { deleteKeys } from "../../src/redis/cleanup.js";
import { plainClient, useRedisClient } from "../helpers/redis.js";

// The run's cleanup frees big keys in the background (UNLINK), so it does not block a shared server; a user whose ACL
// refuses UNLINK still gets its keys deleted, with DEL.
describe("deleteKeys", () => {
  const { server, redis: admin } = useRedisClient();

  async function commandsOf(client: Redis, run: () => Promise<unknown>): Promise<string[]> {
    await admin().call("CONFIG", "RESETSTAT");
    await run();
    const stats = String(await client.call("INFO", "commandstats"));
    return [...stats.matchAll(/cmdstat_(\w+):calls=(\d+)/g)]
      .filter((m) => Number(m[2]) > 0)
      .map((m) => m[1]!)
      .filter((c) => c === "unlink" || c === "del");
  }

  it("sends UNLINK, grouped by hash tag, and counts what existed", async () => {
    const keys = ["rp:cl:{a}:1", "rp:cl:{a}:2", "rp:cl:{b}:1", "rp:cl:{b}:missing"];
    await admin().mset("rp:cl:{a}:1", "x", "rp:cl:{a}:2", "x", "rp:cl:{b}:1", "x");
    let deleted = 0;
    const used = await commandsOf(admin(), async () => (deleted = await deleteKeys(admin(), keys)));
    expect(deleted).toBe(3);
    expect(used).toEqual(["unlink"]);
    expect(await admin().exists(...keys)).toBe(0);
  });

  it("falls back to DEL for a user whose ACL refuses UNLINK", async () => {
    await admin().call("ACL", "SETUSER", "no-unlink", "on", ">pw", "~*", "+@all", "-unlink");
    const limited = plainClient(server(), { username: "no-unlink", password: "pw" });
    try {
      await admin().mset("rp:cl:{c}:1", "x", "rp:cl:{c}:2", "x");
      let deleted = 0;
      const used = await commandsOf(
        admin(),
        async () => (deleted = await deleteKeys(limited, ["rp:cl:{c}:1", "rp:cl:{c}:2"])),
      );
      expect(deleted).toBe(2);
      expect(used).toEqual(["del"]);
      expect(await admin().exists("rp:cl:{c}:1", "rp:cl:{c}:2")).toBe(0);
    } finally {
      limited.disconnect();
      await admin().call("ACL", "DELUSER", "no-unlink");
    }
  });
});
