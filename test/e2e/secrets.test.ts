/**
 * A password need not be in argv (issue 12, case 10): REDIS_PASSWORD, redis-cli's REDISCLI_AUTH, or a hidden
 * --ask-pass prompt. A password in the URL wins; the password never appears in any output.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";

const PASSWORD = "env-s3cret-pw";
const server = useRedisServer(["--requirepass", PASSWORD]);
const QUICK = ["ratelimit", "--algo", "fixed-window", "--json"];

function expectNoSecret(result: { stdout: string; stderr: string }): void {
  expect(result.stdout).not.toContain(PASSWORD);
  expect(result.stderr).not.toContain(PASSWORD);
}

describe("the password from the environment, not argv", () => {
  it.each(["REDIS_PASSWORD", "REDISCLI_AUTH"])("%s authenticates a URL without a password: exit 0", async (name) => {
    const result = await runCli([...QUICK, "--url", server().url], { env: { [name]: PASSWORD } });
    expect(result.code, result.stderr).toBe(0);
    expectNoSecret(result);
  });

  it("cleanup and doctor use it too", async () => {
    const env = { REDIS_PASSWORD: PASSWORD };
    const doctor = await runCli(["doctor", "--json", "--url", server().url], { env });
    expect([0, 1]).toContain(doctor.code);
    expect(doctor.stderr).not.toMatch(/requires a password/);
    const cleanup = await runCli(["cleanup", "--prefix", "rp:nothing-here", "--yes", "--url", server().url], { env });
    expect(cleanup.stderr).toMatch(/no redis-patterns run marker/);
    expectNoSecret(doctor);
    expectNoSecret(cleanup);
  });

  it("a wrong one is an auth failure (exit 4) that does not show it", async () => {
    const result = await runCli([...QUICK, "--url", server().url], { env: { REDIS_PASSWORD: "wrong-pw-123" } });
    expect(result.code).toBe(4);
    expect(result.stderr).not.toContain("wrong-pw-123");
    expect(result.stdout).not.toContain("wrong-pw-123");
  });

  it("a password in the URL wins over the environment", async () => {
    const url = server().url.replace("redis://", `redis://:${PASSWORD}@`);
    const result = await runCli([...QUICK, "--url", url], { env: { REDIS_PASSWORD: "wrong-pw-123" } });
    expect(result.code, result.stderr).toBe(0);
    expectNoSecret(result);
  });

  it("without any, the server's NOAUTH says how to give one", async () => {
    const result = await runCli([...QUICK, "--url", server().url]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/REDIS_PASSWORD/);
  });

  it("--ask-pass needs a terminal: exit 2 naming REDIS_PASSWORD, before connecting", async () => {
    const result = await runCli([...QUICK, "--ask-pass", "--url", server().url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--ask-pass needs a terminal.*REDIS_PASSWORD/);
  });
});
