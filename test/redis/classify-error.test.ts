import { describe, expect, it } from "vitest";
import { AuthError, ConnectError } from "../../src/errors.js";
import {
  classifyRedisError,
  classifyStepError,
  commandRefusal,
  isConnectionLost,
  isRefusedCommand,
  isReplyError,
  isScriptCompileError,
  isServerLoading,
  redisProblem,
  replyCode,
} from "../../src/redis/classify-error.js";
import { useRedisClient } from "../helpers/redis.js";

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

/** Why a server would not run a command: the words of the servers and managed services the callers meet. */
describe("commandRefusal", () => {
  it.each([
    ["NOPERM User app has no permissions to run the 'config|get' command", "permission"],
    ["ERR Error running script (call to f_1): @user_script:1: NOPERM no permissions to run 'set'", "permission"],
    ["ERR The user executing the script can't run this command or subcommand script: f_1", "permission"],
    ["ERR unknown command 'GETEX', with args beginning with: 'k' ", "unknown-command"],
    ["ERR unknown command `ACL`, with args beginning with: `WHOAMI`, ", "unknown-command"],
    ["ERR unknown subcommand 'DOCS'. Try COMMAND HELP.", "unknown-subcommand"],
    ["ERR Unknown subcommand or wrong number of arguments for 'DOCS'. Try COMMAND HELP.", "unknown-subcommand"],
    ["ERR wrong number of arguments for 'command|docs' command", "wrong-arity"],
    ["ERR CONFIG command is not allowed on this instance", "blocked"],
    ["ERR command MEMORY is disabled", "blocked"],
    ["OOM command not allowed when used memory > 'maxmemory'.", undefined],
    [
      "MISCONF Redis is configured to save RDB snapshots … commands that may modify the data set are disabled",
      undefined,
    ],
    ["WRONGTYPE Operation against a key holding the wrong kind of value", undefined],
    ["Connection is closed.", undefined],
  ])("%s: %s", (message, refusal) => {
    expect(commandRefusal(new Error(message))).toBe(refusal);
    // doctor keeps a refusal as the reply's text
    expect(commandRefusal(message)).toBe(refusal);
  });

  it("refused: the caller goes on without the command; wrong arity and a failing command are not refusals", () => {
    expect(isRefusedCommand(new Error("ERR command MEMORY is disabled"))).toBe(true);
    expect(isRefusedCommand(new Error("ERR wrong number of arguments for 'unlink' command"))).toBe(false);
    expect(isRefusedCommand(new Error("OOM command not allowed when used memory > 'maxmemory'."))).toBe(false);
    expect(isRefusedCommand(undefined)).toBe(false);
  });

  it("reply codes: the first word of an error reply, nothing for the client's own errors", () => {
    expect(replyCode(new Error("BUSYGROUP Consumer Group name already exists"))).toBe("BUSYGROUP");
    expect(replyCode("WRONGTYPE Operation against a key holding the wrong kind of value")).toBe("WRONGTYPE");
    expect(replyCode(new Error("EXECABORT Transaction discarded because of previous errors."))).toBe("EXECABORT");
    expect(replyCode(new Error("Connection is closed."))).toBeUndefined();
    expect(replyCode(undefined)).toBeUndefined();
  });

  it("a server still loading its data: as a reply, or inside the error of a connection that met it", () => {
    expect(isServerLoading(new Error("LOADING Redis is loading the dataset in memory"))).toBe(true);
    const met = new ConnectError("cannot use redis://127.0.0.1:1: LOADING Redis is loading the dataset in memory");
    expect(isServerLoading(met)).toBe(true);
    expect(isServerLoading(new Error("ERR unknown command 'LOAD'"))).toBe(false);
  });
});

/** The classifier against what a real server answers (not the words above, typed from memory). */
describe("the classifier against a real server", () => {
  const { redis: client } = useRedisClient();

  it("names each refusal and reply code as the server words it", async () => {
    const redis = client();
    const refusal = async (...argv: string[]) =>
      redis.call(argv[0]!, ...argv.slice(1)).then(
        () => {
          throw new Error(`${argv.join(" ")} was not refused`);
        },
        (err: unknown) => err,
      );
    const key = `classify:${process.pid}`;
    try {
      const unknown = await refusal("NOSUCHCOMMAND");
      expect(isReplyError(unknown)).toBe(true);
      expect(commandRefusal(unknown)).toBe("unknown-command");
      expect(commandRefusal(await refusal("CONFIG", "NOSUCHSUB"))).toBe("unknown-subcommand");
      expect(commandRefusal(await refusal("GET"))).toBe("wrong-arity");
      await redis.call("ACL", "SETUSER", "classify-app", "on", "nopass", "+get", "~*");
      await redis.call("AUTH", "classify-app", "any");
      expect(commandRefusal(await refusal("CONFIG", "GET", "maxmemory"))).toBe("permission");
      await redis.call("AUTH", "default", "");
      await redis.call("SET", key, "a string", "PX", "60000");
      expect(replyCode(await refusal("LPUSH", key, "x"))).toBe("WRONGTYPE");
      expect(replyCode(await refusal("EVALSHA", "0".repeat(40), "0"))).toBe("NOSCRIPT");
      expect(isScriptCompileError(await refusal("SCRIPT", "LOAD", "return ="))).toBe(true);
      expect(isScriptCompileError(await refusal("EVAL", "return redis.call('NOSUCH')", "0"))).toBe(false);
      await redis.call("XGROUP", "CREATE", `${key}:s`, "g", "$", "MKSTREAM");
      expect(replyCode(await refusal("XGROUP", "CREATE", `${key}:s`, "g", "$"))).toBe("BUSYGROUP");
    } finally {
      await redis.call("DEL", key, `${key}:s`).catch(() => undefined);
    }
  });
});
