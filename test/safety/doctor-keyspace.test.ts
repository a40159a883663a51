/**
 * doctor and ACL users who cannot touch the tool's keyspace (issue 12, case 9): permissions come from ACL DRYRUN on
 * keys under the prefix, or, when the user may not run ACL commands, from a probe that changes nothing (EXISTS and an
 * empty SETRANGE on a key under the prefix). A user limited to `~app:*` gets "unsupported" with the reason for every
 * pattern, never "✓ ok". Real ACL users on a real redis-server holding someone else's keys; DEBUG DIGEST compared.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { parseJsonOutput, runCli } from "../helpers/cli.js";
import { digest, fillForeignData } from "../helpers/foreign-data.js";
import { useRedisClient } from "../helpers/redis.js";

const { server, redis: admin } = useRedisClient();
let baseline: string;
const password = randomBytes(8).toString("hex");
const USERS: Record<string, string[]> = {
  // ACL DRYRUN answers for this one: every key under the tool's prefix is out of reach.
  appOnly: ["~app:*", "&*", "+@all"],
  // May not run ACL commands (no DRYRUN, no GETUSER, no WHOAMI): the real probe decides.
  appOnlyNoAcl: ["~app:*", "&*", "+@all", "-acl"],
  // Every key, no ACL commands: the probe finds the keyspace open.
  allKeysNoAcl: ["~*", "&*", "+@all", "-acl"],
};

beforeAll(async () => {
  await fillForeignData(admin(), 2000);
  for (const [name, rules] of Object.entries(USERS))
    await admin().call("ACL", "SETUSER", name, "on", `>${password}`, ...rules);
  baseline = await digest(admin());
}, 30_000);

const url = (user: string) => `redis://${user}:${password}@${server().host}:${server().port}`;

interface Verdicts {
  doctor: { verdicts: { pattern: string; verdict: string; reason: string; findings: { text: string }[] }[] };
}

describe("doctor for a user who cannot touch the tool's keyspace", () => {
  for (const user of ["appOnly", "appOnlyNoAcl"]) {
    it(`${user} (${USERS[user]!.join(" ")}): each pattern unsupported, with why; exit 1; nothing written`, async () => {
      const result = await runCli(["doctor", "--json", "--url", url(user)]);
      expect(result.code, result.stderr).toBe(1);
      const doc = parseJsonOutput<Verdicts>(result);
      expect(doc.doctor.verdicts.length).toBeGreaterThanOrEqual(9);
      for (const v of doc.doctor.verdicts) {
        expect(v.verdict, v.pattern).toBe("unsupported");
        const words = JSON.stringify(v);
        expect(words, v.pattern).toMatch(user === "appOnly" ? /denied to ACL user appOnly/ : /NOPERM.*a probe of rp:/);
      }
      const human = await runCli(["doctor", "--width", "200", "--url", url(user)]);
      expect(human.stdout).not.toMatch(/✓ ok/);
      expect(human.stdout).toMatch(/0 of \d+ patterns ok/);
      expect(await digest(admin())).toBe(baseline);
    });
  }

  it("a user with every key but no ACL commands is not refused by the probe", async () => {
    const result = await runCli(["doctor", "--json", "--url", url("allKeysNoAcl")]);
    const doc = parseJsonOutput<Verdicts>(result);
    expect(doc.doctor.verdicts.filter((v) => v.verdict === "unsupported").map((v) => v.pattern)).toEqual([]);
    expect(await digest(admin())).toBe(baseline);
  });

  it("and a run by the ~app:* user is refused by the server before it writes anything (exit 4)", async () => {
    const result = await runCli(["ratelimit", "--algo", "token-bucket", "--url", url("appOnly")]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toMatch(/NOPERM/);
    expect(await digest(admin())).toBe(baseline);
  });
});
