import { describe, expect, it } from "vitest";
import { describeServer } from "../../src/redis/handshake.js";
import {
  identifyServer,
  parseInfo,
  serverCpuSecondsOf,
  serverMode,
  versionAtLeast,
  versionFromBanner,
} from "../../src/redis/server-info.js";
import { redisServerVersion } from "../../src/redis/throwaway-server.js";
import { useRedisClient } from "../helpers/redis.js";

/** What a server says about itself, read in one module: INFO fields, name, mode, CPU time, versions. */
describe("server-info, pure", () => {
  it("INFO text as fields: sections merged, comments and blank lines skipped, values trimmed", () => {
    const info = parseInfo(
      "# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n\r\n# CPU\r\nused_cpu_sys:1.5 \r\n",
    );
    expect(info).toEqual({ redis_version: "7.2.4", redis_mode: "standalone", used_cpu_sys: "1.5" });
  });

  it("CPU seconds: the main thread's when INFO has them, else the process's; null when INFO does not say", () => {
    const process = { used_cpu_sys: "1.25", used_cpu_user: "2.5" };
    expect(serverCpuSecondsOf(process)).toBe(3.75);
    expect(serverCpuSecondsOf({ ...process, used_cpu_sys_main_thread: "1", used_cpu_user_main_thread: "2" })).toBe(3);
    expect(serverCpuSecondsOf({ used_cpu_sys: "1" })).toBeNull();
    expect(serverCpuSecondsOf({})).toBeNull();
  });

  it("mode: a replica whatever its redis_mode; unknown when INFO names neither mode nor role", () => {
    expect(serverMode({ redis_mode: "cluster", role: "slave" })).toBe("replica");
    expect(serverMode({ redis_mode: "standalone" })).toBe("standalone");
    expect(serverMode({})).toBe("unknown");
  });

  it("versions: from INFO, from redis-server's banner, compared", () => {
    expect(identifyServer({ redis_version: "7.2.4", valkey_version: "8.0.1" })).toEqual({
      name: "Valkey",
      version: "8.0.1",
      redisVersion: "7.2.4",
    });
    expect(versionFromBanner("Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64")).toBe("7.0.15");
    expect(versionFromBanner("something else")).toBe("unknown");
    expect(versionAtLeast("7.0.15", "7.0")).toBe(true);
    expect(versionAtLeast("6.2.14", "7.0")).toBe(false);
    expect(versionAtLeast("unknown", "7.0")).toBeUndefined();
  });
});

describe("server-info, against a real server", () => {
  const { redis } = useRedisClient();

  it("the header's server, version and mode, and the CPU time INFO cpu gives", async () => {
    const version = redisServerVersion();
    expect(await describeServer(redis())).toEqual({ server: "Redis", version, mode: "standalone" });
    const seconds = serverCpuSecondsOf(parseInfo(String(await redis().call("INFO", "cpu"))));
    expect(seconds).not.toBeNull();
    expect(seconds).toBeGreaterThanOrEqual(0);
  });
});
