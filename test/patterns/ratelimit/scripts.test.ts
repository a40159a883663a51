import { describe, expect, it } from "vitest";
import {
  fixedWindowScript,
  slidingCounterLimit,
  slidingCounterScript,
  slidingLogLimit,
  slidingLogScript,
  tokenBucketLimit,
  tokenBucketScript,
} from "../../../src/patterns/ratelimit/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("scripts");

describe("rate-limit scripts", () => {
  it.each([fixedWindowScript, slidingLogScript, slidingCounterScript, tokenBucketScript])(
    "$name: the local SHA is the one SCRIPT LOAD returns",
    async (script) => {
      expect(script.lua).toMatch(/^--\[\[/); // every script opens with its header
      expect(await redis().call("SCRIPT", "LOAD", script.lua)).toBe(script.sha);
    },
  );

  it('now: "server" reads the clock from Redis TIME and reports it', async () => {
    const before = Date.now();
    const results = [
      await slidingLogLimit(redis(), `${prefix()}:log`, { limit: 5, windowMs: 1000, now: "server" }),
      await slidingCounterLimit(redis(), `${prefix()}:{c}:cur`, `${prefix()}:{c}:prev`, {
        limit: 5,
        windowMs: 1000,
        now: "server",
      }),
      await tokenBucketLimit(redis(), `${prefix()}:bucket`, { ratePerSec: 1, burst: 5, now: "server" }),
    ];
    const after = Date.now();
    for (const r of results) {
      expect(r.allowed).toBe(true);
      expect(Number.isInteger(r.now)).toBe(true);
      // Same machine, so the clocks agree to within the round trips (and a millisecond of rounding).
      expect(r.now).toBeGreaterThanOrEqual(before - 1);
      expect(r.now).toBeLessThanOrEqual(after + 1);
    }
    // The sliding log scored its entry with the server's time.
    expect(Number(await redis().zscore(`${prefix()}:log`, (await redis().zrange(`${prefix()}:log`, 0, 0))[0]!))).toBe(
      results[0]!.now,
    );
  });
});
