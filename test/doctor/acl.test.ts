/**
 * ACL GETUSER rules evaluated here (the path for servers without ACL DRYRUN), and the INFO/CONFIG readers, without a
 * server. The GETUSER replies are the shapes Redis 7.0 and 6.0 return; probe.test.ts checks the evaluator against a
 * real server's ACL DRYRUN for the same users.
 */
import { describe, expect, it } from "vitest";
import { checkAcl, globMatch, parseGetUser } from "../../src/doctor/acl.js";
import {
  briefError,
  durability,
  identifyServer,
  memoryFromInfo,
  parseConfigReply,
  parseInfo,
  percentile,
  persistenceFromInfo,
  serverMode,
  versionAtLeast,
} from "../../src/doctor/facts.js";

const REDIS7_USER = [
  "flags",
  ["on"],
  "passwords",
  ["x"],
  "commands",
  "+@all -eval -evalsha -config",
  "keys",
  "~rp:*",
  "channels",
  "",
  "selectors",
  [],
];
const REDIS60_USER = ["flags", ["on", "allkeys"], "passwords", [], "commands", "+@all -@dangerous +info", "keys", []];

const GET = { categories: ["@read", "@string", "@fast"] };
const EVAL = { categories: ["@slow", "@scripting"] };
const FLUSHALL = { categories: ["@keyspace", "@write", "@slow", "@dangerous"] };

describe("parseGetUser + checkAcl", () => {
  it("applies command rules in order, key patterns and channel patterns (Redis 7 reply)", () => {
    const user = parseGetUser(REDIS7_USER);
    expect(user).toMatchObject({
      enabled: true,
      commands: "+@all -eval -evalsha -config",
      keys: [{ pattern: "rp:*", read: true, write: true }],
      channels: [],
    });
    expect(checkAcl(user, { argv: ["GET", "rp:a"], ...GET, keys: ["rp:a"], channels: [] })).toEqual({
      permission: "allowed",
    });
    expect(checkAcl(user, { argv: ["EVAL", "return 1", "0"], ...EVAL, keys: [], channels: [] })).toEqual({
      permission: "denied",
      detail: "the rule '-eval' denies 'eval'",
    });
    expect(checkAcl(user, { argv: ["GET", "app:a"], ...GET, keys: ["app:a"], channels: [] })).toMatchObject({
      permission: "denied",
      detail: "no key pattern grants read and write on 'app:a'",
    });
    expect(
      checkAcl(user, {
        argv: ["PUBLISH", "rp:ch", "m"],
        categories: ["@pubsub", "@fast"],
        keys: [],
        channels: ["rp:ch"],
      }),
    ).toMatchObject({ permission: "denied", detail: "no channel pattern allows 'rp:ch'" });
    expect(
      checkAcl(user, {
        argv: ["CONFIG", "GET", "save"],
        categories: ["@admin", "@slow", "@dangerous"],
        keys: [],
        channels: [],
      }),
    ).toMatchObject({ permission: "denied" });
  });

  it("reads Redis 6.0's reply (keys as an array, allkeys flag, no channel rules)", () => {
    const user = parseGetUser(REDIS60_USER);
    expect(user.channels).toBeNull();
    expect(checkAcl(user, { argv: ["GET", "any"], ...GET, keys: ["any"], channels: [] })).toEqual({
      permission: "allowed",
    });
    expect(checkAcl(user, { argv: ["FLUSHALL"], ...FLUSHALL, keys: [], channels: [] })).toMatchObject({
      permission: "denied",
      detail: "the rule '-@dangerous' denies 'flushall'",
    });
    expect(checkAcl(user, { argv: ["PUBLISH", "c", "m"], categories: ["@pubsub"], keys: [], channels: ["c"] })).toEqual(
      { permission: "allowed" },
    );
  });

  it("subcommand rules, read-only key patterns, a disabled user, selectors and unknown categories", () => {
    const sub = parseGetUser([
      "flags",
      ["on"],
      "commands",
      "-@all +config|get +get",
      "keys",
      "%R~* %W~rp:*",
      "channels",
      "&*",
      "selectors",
      [],
    ]);
    expect(checkAcl(sub, { argv: ["CONFIG", "GET", "save"], categories: ["@admin"], keys: [], channels: [] })).toEqual({
      permission: "allowed",
    });
    expect(
      checkAcl(sub, { argv: ["CONFIG", "SET", "save", ""], categories: ["@admin"], keys: [], channels: [] }),
    ).toMatchObject({ permission: "denied" });
    expect(checkAcl(sub, { argv: ["GET", "rp:a"], ...GET, keys: ["rp:a"], channels: [] })).toEqual({
      permission: "allowed",
    });
    expect(checkAcl(sub, { argv: ["GET", "app:a"], ...GET, keys: ["app:a"], channels: [] })).toMatchObject({
      permission: "denied",
    });

    const off = parseGetUser(["flags", ["off"], "commands", "+@all", "keys", "~*"]);
    expect(checkAcl(off, { argv: ["GET", "k"], ...GET, keys: ["k"], channels: [] })).toMatchObject({
      permission: "denied",
      detail: "the user is disabled (off)",
    });

    const withSelector = parseGetUser([
      "flags",
      ["on"],
      "commands",
      "-@all",
      "keys",
      "",
      "selectors",
      [["commands", "+get", "keys", "~*"]],
    ]);
    expect(checkAcl(withSelector, { argv: ["GET", "k"], ...GET, keys: ["k"], channels: [] }).permission).toBe(
      "unknown",
    );

    const byCategory = parseGetUser(["flags", ["on"], "commands", "-@all +@read", "keys", "~*"]);
    expect(checkAcl(byCategory, { argv: ["GET", "k"], categories: null, keys: ["k"], channels: [] }).permission).toBe(
      "unknown",
    );
    expect(checkAcl(byCategory, { argv: ["GET", "k"], ...GET, keys: ["k"], channels: [] }).permission).toBe("allowed");
  });

  it("glob patterns as Redis matches them", () => {
    expect(globMatch("rp:*", "rp:1:{a}:b")).toBe(true);
    expect(globMatch("rp:*", "app:1")).toBe(false);
    expect(globMatch("h?llo", "hallo")).toBe(true);
    expect(globMatch("h[ae]llo", "hello")).toBe(true);
    expect(globMatch("h[^e]llo", "hello")).toBe(false);
    expect(globMatch("h[a-c]llo", "hbllo")).toBe(true);
    expect(globMatch("a\\*b", "a*b")).toBe(true);
    expect(globMatch("a\\*b", "axb")).toBe(false);
    expect(globMatch("key.{x}", "key.{x}")).toBe(true);
  });
});

describe("reading INFO and CONFIG", () => {
  it("names the server from its INFO", () => {
    expect(identifyServer({ redis_version: "7.0.15" })).toEqual({
      name: "Redis",
      version: "7.0.15",
      redisVersion: "7.0.15",
    });
    expect(identifyServer({ redis_version: "7.2.4", valkey_version: "8.0.1", server_name: "valkey" })).toEqual({
      name: "Valkey",
      version: "8.0.1",
      redisVersion: "7.2.4",
    });
    expect(identifyServer({ redis_version: "6.2.11", dragonfly_version: "df-v1.21.2" })).toMatchObject({
      name: "Dragonfly",
      version: "df-v1.21.2",
    });
    expect(identifyServer({ redis_version: "6.3.4", executable: "/usr/local/bin/keydb-server" })).toMatchObject({
      name: "KeyDB",
    });
    expect(identifyServer({ redis_version: "7.2.5", garnet_version: "1.0.30" })).toMatchObject({
      name: "Garnet",
      version: "1.0.30",
    });
  });

  it("mode from redis_mode and the replication role", () => {
    expect(serverMode({ redis_mode: "standalone", role: "master" })).toBe("standalone");
    expect(serverMode({ redis_mode: "cluster", role: "master" })).toBe("cluster");
    expect(serverMode({ redis_mode: "standalone", role: "slave" })).toBe("replica");
    expect(serverMode({ redis_mode: "sentinel" })).toBe("sentinel");
    expect(serverMode({})).toBe("unknown");
  });

  it("persistence and memory from INFO when CONFIG is refused", () => {
    const info = parseInfo(
      "# Persistence\r\naof_enabled:1\r\n# Memory\r\nmaxmemory:67108864\r\nmaxmemory_policy:allkeys-lru\r\n",
    );
    expect(persistenceFromInfo(info)).toEqual({
      rdbSave: "unknown",
      aof: true,
      appendfsync: "unknown",
      source: "info",
    });
    expect(memoryFromInfo(info)).toEqual({ maxmemory: 67108864, policy: "allkeys-lru", source: "info" });
    expect(durability(persistenceFromInfo(info))).toBe("aof");
    expect(durability(persistenceFromInfo(parseInfo("aof_enabled:0")))).toBe("unknown");
    expect(durability({ rdbSave: "", aof: false, appendfsync: "everysec", source: "config" })).toBe("none");
    expect(durability({ rdbSave: "3600 1", aof: false, appendfsync: "everysec", source: "config" })).toBe("rdb");
    expect(durability({ rdbSave: "", aof: true, appendfsync: "always", source: "config" })).toBe("aof-always");
    expect(parseConfigReply(["maxmemory", "0", "Save", ""])).toEqual({ maxmemory: "0", save: "" });
  });

  it("versions, percentiles and error text", () => {
    expect(versionAtLeast("7.0.15", "6.2.0")).toBe(true);
    expect(versionAtLeast("6.2.0", "6.2.0")).toBe(true);
    expect(versionAtLeast("6.0.16", "6.2.0")).toBe(false);
    expect(versionAtLeast("10.0", "7.0.0")).toBe(true);
    expect(versionAtLeast("unknown", "6.2.0")).toBe("unknown");
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(samples, 50), percentile(samples, 99), percentile([3], 99)]).toEqual([50, 99, 3]);
    expect(briefError("ERR unknown command 'CONFIG', with args beginning with: 'GET' 'save' ")).toBe(
      "ERR unknown command 'CONFIG'",
    );
  });
});
