import { existsSync } from "node:fs";
import { connect } from "node:net";
import { Redis } from "ioredis";
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
  it("never takes a server it did not start as its own: a port another redis-server holds is not a start", async () => {
    // Between freePort() and our server's bind another process can take the port (parallel test suites do): the
    // port then answers, but our redis-server exits with "Address already in use". Reproduced with a fixed port.
    const other = await startThrowawayServer();
    try {
      const start = startThrowawayServer({ port: other.port, startTimeoutMs: 5_000 });
      await expect(start).rejects.toThrow(/could not start redis-server/);
      const r = new Redis(other.port, "127.0.0.1");
      expect(await r.ping()).toBe("PONG");
      r.disconnect();
    } finally {
      await other.stop();
    }
  });

  it("starts on a free port without persistence and is gone after stop()", async () => {
    const server = await startThrowawayServer();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.version).toMatch(/^\d+\.\d+/);
    expect(await accepts(server.port)).toBe(true);
    await server.stop();
    expect(await accepts(server.port)).toBe(false);
  });

  it("kill() is a crash that keeps the files; restart() loads them on the same port; stop() removes them", async () => {
    const server = await startThrowawayServer({
      persistence: ["--save", "", "--appendonly", "yes", "--appendfsync", "always"],
    });
    try {
      const before = new Redis(server.port, "127.0.0.1", { retryStrategy: () => null, lazyConnect: true });
      await before.connect();
      expect(await before.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      await before.set("k", "survives");
      const pid = server.pid;
      expect(pid).toBeGreaterThan(0);
      const closed = new Promise((resolve) => before.once("end", resolve));
      await server.kill();
      await closed;
      expect(server.pid).toBeUndefined();
      expect(await accepts(server.port)).toBe(false);
      await server.restart();
      expect(server.pid).not.toBe(pid);
      const after = new Redis(server.port, "127.0.0.1", { retryStrategy: () => null });
      // Loading the AOF answers LOADING for a moment; wait for it.
      let value: string | null = null;
      for (let i = 0; i < 100; i++) {
        value = await after.get("k").catch(() => null);
        if (value !== null) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(value).toBe("survives");
      after.disconnect();
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dir)).toBe(false);
  });

  it("without persistence a restart comes back empty", async () => {
    const server = await startThrowawayServer();
    try {
      const c = new Redis(server.port, "127.0.0.1", { retryStrategy: () => null });
      await c.set("k", "gone");
      await server.kill();
      c.disconnect();
      await server.restart();
      const after = new Redis(server.port, "127.0.0.1", { retryStrategy: () => null });
      expect(await after.dbsize()).toBe(0);
      after.disconnect();
    } finally {
      await server.stop();
    }
  });

  it("without a binary, says how to install one (a ConnectError: exit 3)", async () => {
    const err = await startThrowawayServer({ binary: "/nonexistent/redis-server" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as Error).message).toMatch(/apt-get install redis-server/);
  });
});
