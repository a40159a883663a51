import { afterEach, describe, expect, it } from "vitest";
import { connectTarget } from "../../src/redis/connect.js";
import type { Connection } from "../../src/redis/connection.js";
import { CommandRecorder } from "../../src/redis/recorder.js";
import { plainClient, useRedisServer } from "../helpers/redis.js";

// A Redlock node's vote must come within its node timeout (tens of ms), but connecting to it once must not: on a busy
// machine one slow accept made a live node "unreachable" for a whole run. The connect timeout and the command timeout
// are separate. The server is held with CLIENT PAUSE (its OK means the pause is in force) from another connection, so
// nothing here depends on timing finer than the pause (400 ms) against the two timeouts (3 s and 100 ms).
describe("connectTarget: a connect timeout apart from the command timeout", () => {
  const server = useRedisServer();
  let connection: Connection | undefined;
  afterEach(async () => {
    await connection?.close();
    connection = undefined;
  });

  /** Pauses every client command for `ms`; resolves once the pause is in force. */
  async function pause(ms: number): Promise<void> {
    const other = plainClient(server());
    try {
      await other.call("CLIENT", "PAUSE", String(ms), "ALL");
    } finally {
      other.disconnect();
    }
  }

  it("connects through a server busy past the command timeout, then times commands out at that timeout", async () => {
    await pause(400);
    connection = await connectTarget({
      url: server().url,
      timeoutMs: 3_000,
      commandTimeoutMs: 100,
      recorder: new CommandRecorder(),
    });
    expect(await connection.redis.ping()).toBe("PONG");
    const extra = await connection.newClient("extra");
    expect(await extra.ping()).toBe("PONG");

    await pause(400);
    await expect(connection.redis.get("command-timeout:nothing")).rejects.toThrow(/timed out/i);
    await expect(extra.get("command-timeout:nothing")).rejects.toThrow(/timed out/i);
  });

  it("without a command timeout of its own, commands get the connect timeout", async () => {
    connection = await connectTarget({ url: server().url, timeoutMs: 3_000, recorder: new CommandRecorder() });
    await pause(400);
    expect(await connection.redis.get("command-timeout:nothing")).toBeNull();
  });
});
