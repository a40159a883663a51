import { describe, expect, it } from "vitest";
import { defineScript, runScript } from "../../src/redis/script.js";
import { useRedisClient } from "../helpers/redis.js";

const { redis } = useRedisClient();

describe("runScript", () => {
  it("computes the SHA the server computes, and falls back from NOSCRIPT to EVAL", async () => {
    const script = defineScript("echo-key", `return KEYS[1] .. ":" .. ARGV[1]`);
    expect(await redis().call("SCRIPT", "LOAD", script.lua)).toBe(script.sha);
    await redis().call("SCRIPT", "FLUSH");
    expect(await runScript(redis(), script, ["k"], ["v"])).toBe("k:v");
    // EVAL loaded it, so EVALSHA works now.
    expect(await redis().call("EVALSHA", script.sha, 1, "k", "w")).toBe("k:w");
  });
});
