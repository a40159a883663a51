import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { ConnectError } from "../../src/errors.js";
import { startThrowawayServer } from "../../src/redis/throwaway-server.js";

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("throwaway redis-server", () => {
  it("starts on a free port without persistence and is gone after stop()", async () => {
    const server = await startThrowawayServer();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.version).toMatch(/^\d+\.\d+/);
    expect(await accepts(server.port)).toBe(true);
    await server.stop();
    expect(await accepts(server.port)).toBe(false);
  });

  it("without a binary, says how to install one (a ConnectError: exit 3)", async () => {
    const err = await startThrowawayServer({ binary: "/nonexistent/redis-server" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as Error).message).toMatch(/apt-get install redis-server/);
  });
});
