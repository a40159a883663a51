import { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import { lines, parseJsonOutput, runCli, scanKeys, type CliResult } from "../helpers/cli.js";
import { testPrefix, useRedisClient } from "../helpers/redis.js";

/**
 * Authentication against a real redis-server with --requirepass and ACL users: exit 4 for WRONGPASS, NOAUTH and
 * NOPERM, and no password ever printed, in either output mode.
 */
const PASSWORD = "Requirepass-e2e-Kq7Zr9";
const LIMITED_PASSWORD = "Limited-e2e-Wx3Pv8";
const FULL_PASSWORD = "Fulluser-e2e-Hm5Tj2";
const WRONG_PASSWORD = "Wrongpass-e2e-Bn4Ls6";
/** Characters a URL must percent-encode, to check that neither the raw nor the encoded form leaks. */
const ODD_WRONG_PASSWORD = "odd@pass:wo%rd/e2e#Yc1";
const SECRETS = [
  PASSWORD,
  LIMITED_PASSWORD,
  FULL_PASSWORD,
  WRONG_PASSWORD,
  ODD_WRONG_PASSWORD,
  encodeURIComponent(ODD_WRONG_PASSWORD),
];

const QUICK = ["ratelimit", "--algo", "fixed-window"];

const { server, redis: admin } = useRedisClient(["--requirepass", PASSWORD], { password: PASSWORD });

function url(userinfo: string, path = ""): string {
  return `redis://${userinfo}127.0.0.1:${server().port}${path}`;
}

function expectNoSecret(result: CliResult): void {
  for (const secret of SECRETS) {
    expect(result.stdout, `stdout shows "${secret}"`).not.toContain(secret);
    expect(result.stderr, `stderr shows "${secret}"`).not.toContain(secret);
  }
}

function expectOneErrorLine(result: CliResult, pattern: RegExp): void {
  const errorLines = lines(result.stderr);
  expect(errorLines, result.stderr).toHaveLength(1);
  expect(errorLines[0]).toMatch(/^redis-patterns: /);
  expect(errorLines[0]).toMatch(pattern);
}

beforeAll(async () => {
  // `limited` may do anything except run scripts, which every rate limiter needs.
  await admin().call("ACL", "SETUSER", "limited", "on", `>${LIMITED_PASSWORD}`, "~*", "+@all", "-evalsha", "-eval");
  await admin().call("ACL", "SETUSER", "full", "on", `>${FULL_PASSWORD}`, "~*", "+@all");
});

describe.each([
  { mode: "human", extra: [] as string[] },
  { mode: "--json", extra: ["--json"] },
])("auth failures exit 4 and never show a password ($mode)", ({ mode, extra }) => {
  const json = mode === "--json";

  it("a wrong password", async () => {
    const result = await runCli([...QUICK, ...extra, "--url", url(`:${WRONG_PASSWORD}@`)]);
    expect(result.code).toBe(4);
    expectOneErrorLine(
      result,
      /authentication failed at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: wrong username or password/,
    );
    if (json) expect(parseJsonOutput(result)).toMatchObject({ ok: false, error: { exitCode: 4 } });
    else expect(result.stdout).toBe("");
    expectNoSecret(result);
  });

  it("a wrong password with characters a URL must encode", async () => {
    const result = await runCli([...QUICK, ...extra, "--url", url(`:${encodeURIComponent(ODD_WRONG_PASSWORD)}@`)]);
    expect(result.code).toBe(4);
    expectOneErrorLine(result, /authentication failed/);
    expectNoSecret(result);
  });

  it("a wrong password for an ACL user", async () => {
    const result = await runCli([...QUICK, ...extra, "--url", url(`full:${WRONG_PASSWORD}@`)]);
    expect(result.code).toBe(4);
    expectOneErrorLine(result, /authentication failed at redis:\/\/full:\*\*\*@/);
    expectNoSecret(result);
  });

  it("no password for a server that requires one (NOAUTH)", async () => {
    const result = await runCli([...QUICK, ...extra, "--url", url("")]);
    expect(result.code).toBe(4);
    expectOneErrorLine(result, /requires a password/);
    if (json) expect(parseJsonOutput(result)).toMatchObject({ ok: false, error: { exitCode: 4 } });
    else expect(result.stdout).toBe("");
    expectNoSecret(result);
  });

  it("an ACL user without permission for what the scenario runs (NOPERM)", async () => {
    const prefix = testPrefix("noperm");
    const result = await runCli([...QUICK, ...extra, "--prefix", prefix, "--url", url(`limited:${LIMITED_PASSWORD}@`)]);
    expect(result.code).toBe(4);
    expectOneErrorLine(result, /NOPERM/);
    if (json) {
      const doc = parseJsonOutput<{
        ok: boolean;
        target: { url: string };
        error: { exitCode: number; message: string };
      }>(result);
      expect(doc.ok).toBe(false);
      expect(doc.error.exitCode).toBe(4);
      expect(doc.error.message).toMatch(/NOPERM/);
      expect(doc.target.url).toMatch(/^redis:\/\/limited:\*\*\*@127\.0\.0\.1:\d+/);
    }
    expectNoSecret(result);
    expect(await scanKeys(admin(), prefix)).toEqual([]);
  });

  it("the right password for the default user works", async () => {
    const prefix = testPrefix("pw");
    const result = await runCli([...QUICK, ...extra, "--prefix", prefix, "--url", url(`:${PASSWORD}@`)]);
    expect(result.code, result.stderr).toBe(0);
    if (json) {
      const doc = parseJsonOutput<{ ok: boolean; target: { url: string } }>(result);
      expect(doc.ok).toBe(true);
      expect(doc.target.url).toMatch(/^redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
      // The handshake is in the report, with the password redacted.
      expect(result.stdout).toMatch(/"auth",\s*"\[redacted\]"|"AUTH",\s*"\[redacted\]"/i);
    } else {
      expect(result.stdout).toMatch(/✓ all checks passed/);
    }
    expectNoSecret(result);
    expect(await scanKeys(admin(), prefix)).toEqual([]);
  });

  it("an ACL user and password in the URL work", async () => {
    const prefix = testPrefix("acl");
    const result = await runCli([...QUICK, ...extra, "--prefix", prefix, "--url", url(`full:${FULL_PASSWORD}@`)]);
    expect(result.code, result.stderr).toBe(0);
    if (json)
      expect(parseJsonOutput(result)).toMatchObject({
        ok: true,
        target: { url: expect.stringMatching(/^redis:\/\/full:\*\*\*@/) },
      });
    expectNoSecret(result);
    expect(await scanKeys(admin(), prefix)).toEqual([]);
  });
});

describe("a database number in the URL", () => {
  it("puts the keys in that database, and cleanup with the same URL removes them", async () => {
    const prefix = testPrefix("db");
    const db3 = url(`:${PASSWORD}@`, "/3");
    const kept = await runCli([...QUICK, "--trace", "off", "--keep", "--prefix", prefix, "--url", db3]);
    expect(kept.code, kept.stderr).toBe(0);
    expectNoSecret(kept);

    const inDb3 = new Redis({
      host: server().host,
      port: server().port,
      password: PASSWORD,
      db: 3,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    try {
      const keys = (await scanKeys(inDb3, prefix)).filter((k) => !k.endsWith(":rp-run"));
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.startsWith(`${prefix}:`))).toBe(true);
      expect(await scanKeys(admin(), prefix)).toEqual([]); // nothing in db 0

      const cleaned = await runCli(["cleanup", "--prefix", prefix, "--yes", "--url", db3]);
      expect(cleaned.code, cleaned.stderr).toBe(0);
      expectNoSecret(cleaned);
      expect(cleaned.stdout).toMatch(new RegExp(`deleted ${keys.length} keys? under ${prefix}: and the run's marker`));
      expect(await scanKeys(inDb3, prefix)).toEqual([]);
    } finally {
      // Whatever happened above, leave nothing behind (only this test's keys).
      const left = await scanKeys(inDb3, prefix);
      if (left.length > 0) await inDb3.del(...left);
      await inDb3.quit();
    }
  });

  it("a database that is not a number is a usage error", async () => {
    const result = await runCli([...QUICK, "--url", url(`:${PASSWORD}@`, "/x")]);
    expect(result.code).toBe(2);
    expectOneErrorLine(result, /database "x" is not a number/);
    expectNoSecret(result);
  });
});
