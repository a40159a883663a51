import { describe, expect, it } from "vitest";
import { AuthError, ConnectError } from "../../src/errors.js";
import {
  classifyRedisError,
  classifyStepError,
  isConnectionLost,
  redisProblem,
} from "../../src/redis/classify-error.js";

/** One classifier, two wordings: while connecting (naming the target) and for what escapes a step. */
describe("redisProblem", () => {
  it.each([
    ["WRONGPASS invalid username-password pair or user is disabled.", "", "wrong-password"],
    ["NOAUTH Authentication required.", "", "auth-required"],
    ["NOPERM User app has no permissions to run the 'flushdb' command", "", "permission"],
    ["ERR The user executing the script can't run this command or subcommand", "", "permission"],
    ["connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED", "refused"],
    ["getaddrinfo ENOTFOUND nosuch", "ENOTFOUND", "unknown-host"],
    ["connect ENOENT /tmp/none.sock", "ENOENT", "no-socket"],
    ["Command timed out", "", "command-timeout"],
    ["connect ETIMEDOUT", "ETIMEDOUT", "timeout"],
    ["self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT", "tls"],
    ["Connection is closed.", "", "lost"],
    ["read ECONNRESET", "ECONNRESET", "lost"],
    ['Protocol error, got "H" as reply type byte', "", "not-redis"],
    ["ERR unknown command 'FOO'", "", "other"],
  ])("%s (%s) is %s", (message, code, problem) => {
    expect(redisProblem(message, code)).toBe(problem);
  });
});

describe("the two wordings", () => {
  const target = { display: "redis://127.0.0.1:1", password: "s3cret" };

  it("connecting: one line that names the target, the password scrubbed", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(classifyRedisError(refused, target)).toEqual(
      new ConnectError("cannot connect to redis://127.0.0.1:1: connection refused"),
    );
    const noperm = classifyRedisError(new Error("NOPERM s3cret may not"), target);
    expect(noperm).toBeInstanceOf(AuthError);
    expect(noperm.message).not.toContain("s3cret");
    expect(classifyRedisError(new Error('Protocol error, got "S" as reply type byte'), target).message).toBe(
      "redis://127.0.0.1:1 is not a Redis server (it answered like SSH)",
    );
  });

  it("during a step: auth and a lost connection are named, a scenario's own error is left alone", () => {
    expect(classifyStepError(new Error("NOPERM no"))).toBeInstanceOf(AuthError);
    expect(classifyStepError(new Error("Connection is closed."))).toBeInstanceOf(ConnectError);
    expect(classifyStepError(new Error("Command timed out"))).toBeInstanceOf(ConnectError);
    const own = new Error("the lock timed out: 3 holders");
    expect(classifyStepError(own)).toBe(own);
    const oom = Object.assign(new Error("EXECABORT Transaction discarded because of previous errors."), {
      previousErrors: [new Error("OOM command not allowed when used memory > 'maxmemory'.")],
    });
    expect((classifyStepError(oom) as Error).message).toMatch(/^OOM command not allowed .* \(OOM inside MULTI/);
  });

  it("isConnectionLost: gone or not answering, not a refused command", () => {
    expect(isConnectionLost(new Error("Connection is closed."))).toBe(true);
    expect(isConnectionLost(new Error("Command timed out"))).toBe(true);
    expect(isConnectionLost(new Error("ERR wrong number of arguments"))).toBe(false);
  });
});
