import { describe, expect, it } from "vitest";
import { REDACTED, redactArgv, redactReply, redactUrl, scrubSecret } from "../../src/redis/redact.js";

describe("redactArgv", () => {
  it.each([
    [
      ["AUTH", "pw"],
      ["AUTH", REDACTED],
    ],
    [
      ["auth", "user", "pw"],
      ["auth", "user", REDACTED],
    ],
    [
      ["HELLO", "3", "AUTH", "user", "pw", "SETNAME", "x"],
      ["HELLO", "3", "AUTH", "user", REDACTED, "SETNAME", "x"],
    ],
    [
      ["MIGRATE", "h", "1", "", "0", "5000", "AUTH", "pw", "KEYS", "a"],
      ["MIGRATE", "h", "1", "", "0", "5000", "AUTH", REDACTED, "KEYS", "a"],
    ],
    [
      ["MIGRATE", "h", "1", "k", "0", "5000", "AUTH2", "u", "pw"],
      ["MIGRATE", "h", "1", "k", "0", "5000", "AUTH2", "u", REDACTED],
    ],
    [
      ["CONFIG", "SET", "requirepass", "pw", "maxmemory", "1"],
      ["CONFIG", "SET", "requirepass", REDACTED, "maxmemory", "1"],
    ],
    [
      ["ACL", "SETUSER", "bob", "on", ">pw", "~*"],
      ["ACL", "SETUSER", "bob", "on", `>${REDACTED}`, "~*"],
    ],
    [
      ["SET", "AUTH", "pw"],
      ["SET", "AUTH", "pw"],
    ],
  ])("%j", (argv, expected) => {
    expect(redactArgv(argv)).toEqual(expected);
  });
});

describe("redactUrl / scrubSecret", () => {
  it("hides the password and keeps the user", () => {
    expect(redactUrl("redis://bob:s3cret@host:6380/2")).toBe("redis://bob:***@host:6380/2");
    expect(redactUrl("redis://host:6379")).toBe("redis://host:6379");
    expect(redactUrl("redis://bob:s3cret@[bad")).not.toContain("s3cret");
  });

  it("removes a known secret and URL passwords from free text", () => {
    const text = "failed for redis://u:s3cret@h:1 with s3cret";
    expect(scrubSecret(text, "s3cret")).not.toContain("s3cret");
  });
});

describe("redactReply", () => {
  it("hides the password hashes ACL GETUSER and ACL LIST show, and nothing else", () => {
    const hash = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";
    const getuser = ["flags", ["on"], "passwords", [hash, hash], "commands", "+@all"];
    expect(redactReply(["ACL", "GETUSER", "app"], getuser)).toEqual([
      "flags",
      ["on"],
      "passwords",
      [REDACTED, REDACTED],
      "commands",
      "+@all",
    ]);
    expect(redactReply(["acl", "list"], [`user app on #${hash} ~* +@all`])).toEqual([
      `user app on #${REDACTED} ~* +@all`,
    ]);
    expect(redactReply(["GET", "passwords"], ["passwords", [hash]])).toEqual(["passwords", [hash]]);
  });
});
