/**
 * doctor as an ACL user on a server with --requirepass: a user without EVAL/EVALSHA (the Lua patterns unsupported),
 * one without CONFIG (configuration read from INFO, reported as refused, never an error), one without any admin
 * command (permissions unknown), one whose key pattern excludes the tool's keys, and one that may read its own rules
 * (ACL GETUSER) but not run ACL DRYRUN — where the evaluation made here is compared with the server's own DRYRUN.
 */
import { createHash, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { PATTERNS, type PatternName, type Verdict } from "../../src/doctor/index.js";
import { commandsFor, sampleArgv } from "../../src/doctor/requirements.js";
import { useRedisClient } from "../helpers/redis.js";
import { runDoctor, verdictMap } from "./run-doctor.js";

const PASSWORD = `admin-${randomBytes(6).toString("hex")}`;
const USER_PASSWORD = `user-${randomBytes(6).toString("hex")}`;
const { server, redis: admin } = useRedisClient(["--requirepass", PASSWORD], { password: PASSWORD });

const USERS: Record<string, string[]> = {
  noeval: ["+@all", "-eval", "-evalsha", "~*", "&*"],
  noconfig: ["+@all", "-config", "~*", "&*"],
  noadmin: ["+@all", "-@admin", "~*", "&*"],
  appkeys: ["+@all", "~app:*", "&*"],
  getuser: ["+@all", "-@admin", "+acl|getuser", "-eval", "-evalsha", "-@pubsub", "~rp:*", "~test:*", "resetchannels"],
};

const NO_PERSISTENCE: Record<PatternName, Verdict> = {
  ratelimit: "ok",
  cache: "warning",
  session: "ok",
  leaderboard: "ok",
  hll: "ok",
  analytics: "ok",
  lock: "ok",
  queue: "warning",
  primary: "warning",
};

const url = (user: string) =>
  `redis://${user}:${encodeURIComponent(user === "default" ? PASSWORD : USER_PASSWORD)}@127.0.0.1:${server().port}`;

beforeAll(async () => {
  for (const [name, rules] of Object.entries(USERS))
    await admin().call("ACL", "SETUSER", name, "reset", "on", `>${USER_PASSWORD}`, ...rules);
});

describe("doctor on a server with --requirepass", () => {
  it("the default user with the password: every command allowed, ACL DRYRUN used", async () => {
    const { facts, verdicts } = await runDoctor(url("default"));
    expect(facts.acl).toMatchObject({ user: "default", method: "dryrun" });
    expect(verdictMap(verdicts)).toEqual(NO_PERSISTENCE);
  });

  it("a user without EVAL and EVALSHA: ratelimit and lock unsupported, the scripted variants unavailable", async () => {
    const { facts, verdicts } = await runDoctor(url("noeval"));
    expect(facts.lua.runs).toBe(false);
    expect(facts.lua.runsError).toMatch(/^NOPERM/);
    expect(facts.acl.commands.EVAL).toMatchObject({
      permission: "denied",
      detail: expect.stringMatching(/no permissions to run the 'eval' command/),
    });
    expect(verdictMap(verdicts)).toEqual({
      ...NO_PERSISTENCE,
      ratelimit: "unsupported",
      lock: "unsupported",
      hll: "warning",
    });
    expect(verdicts.find((v) => v.pattern === "lock")!.reason).toMatch(
      /cannot run: EVALSHA, EVAL: denied to ACL user noeval/,
    );
    expect(verdicts.find((v) => v.pattern === "hll")!.reason).toMatch(
      /--trials \(items generated inside a script\) unavailable: EVALSHA, EVAL: denied/,
    );
  });

  it("a user without CONFIG: persistence and memory come from INFO, the refusal reported, nothing fails", async () => {
    const { facts, verdicts } = await runDoctor(url("noconfig"));
    expect(facts.unknowns.map((u) => u.what)).toEqual([
      "CONFIG GET maxmemory",
      "CONFIG GET maxmemory-policy",
      "CONFIG GET save",
      "CONFIG GET appendonly",
      "CONFIG GET appendfsync",
      "CONFIG GET replica-read-only",
    ]);
    expect(facts.unknowns.every((u) => /^NOPERM/.test(u.reason))).toBe(true);
    expect(facts.persistence).toEqual({ rdbSave: "unknown", aof: false, appendfsync: "unknown", source: "info" });
    expect(facts.memory).toMatchObject({ maxmemory: 0, policy: "noeviction", source: "info" });
    expect(facts.acl.method).toBe("dryrun");
    // The server has no persistence, but doctor cannot see the RDB schedule: unknown is said, not guessed.
    expect(verdictMap(verdicts)).toEqual(Object.fromEntries(PATTERNS.map((p) => [p, "ok"])));
    expect(verdicts.find((v) => v.pattern === "queue")!.reason).toMatch(/persistence unknown \(CONFIG GET refused/);
  });

  it("a user without admin commands: permissions unknown, said in every row, verdicts unaffected", async () => {
    const { facts, verdicts } = await runDoctor(url("noadmin"));
    expect(facts.acl).toMatchObject({ user: "noadmin", method: "none", commands: {} });
    expect(facts.acl.reason).toMatch(/^ACL DRYRUN refused: NOPERM .*; ACL GETUSER refused: NOPERM/);
    for (const v of verdicts) {
      expect(v.verdict).toBe("ok");
      expect(v.findings.map((f) => f.text)).toContainEqual(
        expect.stringMatching(/permissions of ACL user noadmin unknown/),
      );
    }
  });

  it("a user whose key pattern (~app:*) excludes the tool's keys: no pattern can run", async () => {
    const { facts, verdicts } = await runDoctor(url("appkeys"));
    expect(facts.acl.commands.GET).toMatchObject({
      permission: "denied",
      detail: expect.stringMatching(/no permissions to access the '.*:doctor:\{acl\}:a' key/),
    });
    expect(verdictMap(verdicts)).toEqual(Object.fromEntries(PATTERNS.map((p) => [p, "unsupported"])));
  });

  it("may read its rules, not run ACL DRYRUN: the rules, evaluated here, agree with the server's DRYRUN", async () => {
    const { facts, verdicts, commands } = await runDoctor(url("getuser"), PATTERNS, 5, "test:doctor-acl");
    expect(facts.acl.method).toBe("getuser");
    // The trace keeps GETUSER's reply but not the password hash in it.
    const getuser = commands.find((c) => c.argv[0] === "ACL" && c.argv[1] === "GETUSER")!;
    const shown = JSON.stringify(getuser.reply);
    expect(shown).toContain('"passwords",["[redacted]"]');
    expect(shown).not.toContain(createHash("sha256").update(USER_PASSWORD).digest("hex"));
    expect(facts.unknowns.map((u) => u.what)).toContain("ACL DRYRUN");
    // EVAL/EVALSHA and pub/sub denied: the Lua patterns cannot run, event invalidation is unavailable. (CONFIG is
    // refused too, so persistence is unknown: the queue is not held at risk for it.)
    // The queue's reaper and dead-letter scripts and the HLL's --trials script are unavailable too.
    expect(verdictMap(verdicts)).toEqual({
      ...NO_PERSISTENCE,
      ratelimit: "unsupported",
      lock: "unsupported",
      cache: "warning",
      hll: "warning",
      queue: "warning",
    });
    expect(verdicts.find((v) => v.pattern === "cache")!.reason).toMatch(
      /--invalidate event unavailable: PUBLISH, SUBSCRIBE: denied to ACL user getuser/,
    );
    // The server's own answer for the same sample commands, asked as the admin.
    const names = {
      key: facts.acl.sample!.key,
      key2: facts.acl.sample!.key.replace(/:a$/, ":b"),
      channel: facts.acl.sample!.channel,
    };
    const disagreements: string[] = [];
    for (const label of commandsFor(PATTERNS)) {
      const answer = String(await admin().call("ACL", "DRYRUN", "getuser", ...sampleArgv(label, names)));
      const server = answer === "OK" ? "allowed" : "denied";
      if (facts.acl.commands[label]?.permission !== server)
        disagreements.push(`${label}: here ${facts.acl.commands[label]?.permission}, server ${answer}`);
    }
    expect(disagreements).toEqual([]);
    expect(Object.values(facts.acl.commands).filter((c) => c.permission === "denied").length).toBeGreaterThanOrEqual(4);
  });
});
