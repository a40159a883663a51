import { describe, expect, it } from "vitest";
import {
  acquireFencedLockScript,
  extendLockScript,
  releaseLockScript,
  writeFencedScript,
} from "../../../src/patterns/lock/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis } = usePrefixedRedis("lock-scripts");

describe("lock scripts", () => {
  it.each([releaseLockScript, extendLockScript, acquireFencedLockScript, writeFencedScript])(
    "$name: opens with its header, and the local SHA is the one SCRIPT LOAD returns",
    async (script) => {
      expect(script.lua).toMatch(/^--\[\[/);
      expect(script.lua).toMatch(/KEYS\[1\]/);
      expect(script.lua).toMatch(/returns/);
      expect(await redis().call("SCRIPT", "LOAD", script.lua)).toBe(script.sha);
    },
  );
});
