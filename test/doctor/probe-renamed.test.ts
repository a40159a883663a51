/**
 * A server started from a redis.conf that renames commands away (`rename-command X ""`), as managed services do with
 * CONFIG and as an old server lacks newer commands: CONFIG is refused (configuration read from INFO, reported as
 * refused, not an error), EVAL/EVALSHA are gone (ratelimit and lock unsupported), and GETEX, BLMOVE and XAUTOCLAIM are
 * gone, so the session, queue and stream redelivery use their fallbacks (GET + EXPIRE, BRPOPLPUSH, XPENDING + XCLAIM).
 */
import { describe, expect, it } from "vitest";
import { useRedisServer } from "../helpers/redis.js";
import { runDoctor, verdictMap } from "./run-doctor.js";

const RENAMED = ["CONFIG", "EVAL", "EVALSHA", "GETEX", "BLMOVE", "XAUTOCLAIM"];
const renamed = useRedisServer({
  args: ["--appendonly", "yes"],
  config: RENAMED.map((c) => `rename-command ${c} ""`).join("\n") + "\n",
});

describe("a server with CONFIG, EVAL, EVALSHA, GETEX, BLMOVE and XAUTOCLAIM renamed away", () => {
  it("reports CONFIG as refused and reads persistence and memory from INFO", async () => {
    const { facts } = await runDoctor(renamed().url);
    expect(facts.unknowns.filter((u) => u.what.startsWith("CONFIG GET")).map((u) => u.reason)).toHaveLength(6);
    expect(facts.unknowns.every((u) => /unknown command/.test(u.reason))).toBe(true);
    expect(facts.persistence).toEqual({ rdbSave: "unknown", aof: true, appendfsync: "unknown", source: "info" });
    expect(facts.memory).toMatchObject({ maxmemory: 0, policy: "noeviction", source: "info" });
  });

  it("sees the commands missing from the server's table and in ACL DRYRUN", async () => {
    const { facts } = await runDoctor(renamed().url);
    const table = facts.commandTable as Record<string, boolean>;
    for (const name of ["eval", "evalsha", "getex", "blmove", "xautoclaim"]) expect(table[name], name).toBe(false);
    expect(table.get).toBe(true);
    expect(facts.acl.commands.GETEX).toMatchObject({ permission: "not-found" });
    expect(facts.lua).toMatchObject({ runs: false, runsError: expect.stringMatching(/unknown command 'EVAL'/) });
  });

  it("ratelimit and lock unsupported, scripted variants unavailable; session and queue name fallbacks", async () => {
    const { verdicts } = await runDoctor(renamed().url);
    expect(verdictMap(verdicts)).toEqual({
      ratelimit: "unsupported",
      cache: "warning",
      session: "ok",
      leaderboard: "ok",
      hll: "warning",
      analytics: "ok",
      lock: "unsupported",
      queue: "warning",
      primary: "warning",
    });
    const texts = (p: string) =>
      verdicts
        .find((v) => v.pattern === p)!
        .findings.map((f) => f.text)
        .join("\n");
    expect(texts("ratelimit")).toMatch(
      /cannot run: EVALSHA, EVAL: Lua scripts do not run here \(ERR unknown command 'EVAL'\)/,
    );
    expect(texts("session")).toMatch(
      /GETEX: not on this server \(renamed or disabled\) → the tool uses GET \+ EXPIRE in one pipeline instead/,
    );
    expect(texts("queue")).toMatch(/BLMOVE: not on this server .* → the tool uses BRPOPLPUSH instead/);
    expect(texts("queue")).toMatch(/XAUTOCLAIM: not on this server .* → the tool uses XPENDING \+ XCLAIM instead/);
  });
});
