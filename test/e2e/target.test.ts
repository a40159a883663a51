import { connect } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/redis/throwaway-server.js";
import { lines, parseJsonOutput, runCli, scanKeys } from "../helpers/cli.js";
import { testPrefix, useRedisServer } from "../helpers/redis.js";
import type { RunReport as Report } from "../../src/runner/report.js";

/** Which server a run uses: --embedded, --url, REDIS_URL, and the default address. */
const QUICK = ["ratelimit", "--algo", "fixed-window", "--trace", "off"];
const DEFAULT_URL = "redis://127.0.0.1:6379";

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

describe("--embedded", () => {
  it("starts a throwaway redis-server, says so on stderr, and stops it when the run ends", async () => {
    const result = await runCli([...QUICK, "--embedded", "--json"]);
    expect(result.code, result.stderr).toBe(0);

    const notice = lines(result.stderr).find((l) => /throwaway redis-server/.test(l));
    expect(notice, result.stderr).toMatch(
      /^redis-patterns: --embedded: started a throwaway redis-server \S+ on 127\.0\.0\.1:(\d+) /,
    );
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(notice!)![1]);

    const report = parseJsonOutput<Report>(result);
    expect(report.ok).toBe(true);
    expect(report.target).toMatchObject({ url: `redis://127.0.0.1:${port}`, embedded: true });

    // The server is gone: its port refuses connections and its process has exited.
    expect(await accepts(port)).toBe(false);
    const info = report.setup.commands.find(
      (c) => c.argv[0]?.toUpperCase() === "INFO" && /process_id:/.test(String(c.reply)),
    );
    const pid = Number(/process_id:(\d+)/.exec(String(info?.reply))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isRunning(pid)).toBe(false);
  });

  it("in human mode the header says it is a throwaway server", async () => {
    const result = await runCli([...QUICK, "--embedded"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^Target {2}redis:\/\/127\.0\.0\.1:\d+ · Redis \S+ · standalone · throwaway server$/m,
    );
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^redis-patterns: --embedded: started a throwaway redis-server/),
    ]);
  });

  it("cleanup --embedded is refused: it would look in an empty server", async () => {
    const result = await runCli(["cleanup", "--embedded", "--prefix", "test:e2e:nothing"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^redis-patterns: cleanup --embedded would look in a new, empty server/);
  });
});

describe("REDIS_URL and --url", () => {
  const server = useRedisServer();

  it("REDIS_URL is used when set", async () => {
    const result = await runCli([...QUICK, "--json"], { env: { REDIS_URL: server().url } });
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput<Report>(result).target).toMatchObject({ url: server().url, embedded: false });
  });

  it("--url wins over REDIS_URL", async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const result = await runCli([...QUICK, "--json", "--url", server().url], { env: { REDIS_URL: nowhere } });
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput<Report>(result).target.url).toBe(server().url);
  });

  it("an explicit REDIS_URL that does not answer is an error, not a reason to start a throwaway server", async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const result = await runCli(QUICK, { env: { REDIS_URL: nowhere } });
    expect(result.code).toBe(3);
    expect(lines(result.stderr)).toEqual([`redis-patterns: cannot connect to ${nowhere}: connection refused`]);
  });
});

/** Whether the developer's default Redis answers a PING without a password (the default-target test needs it). */
async function defaultRedisAnswers(): Promise<boolean> {
  const probe = new Redis({
    host: "127.0.0.1",
    port: 6379,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const haveDefault = await defaultRedisAnswers();

describe.runIf(haveDefault)(`without --url or REDIS_URL: the default ${DEFAULT_URL}`, () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis({ host: "127.0.0.1", port: 6379, maxRetriesPerRequest: 1, retryStrategy: () => null });
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it.each([
    { name: "REDIS_URL unset", env: {} },
    { name: "REDIS_URL empty", env: { REDIS_URL: "" } },
  ])("targets the default Redis ($name) and leaves no key behind", async ({ env }) => {
    const prefix = testPrefix("default");
    const result = await runCli(["ratelimit", "--trace", "off", "--json", "--prefix", prefix], { env });
    try {
      expect(result.code, result.stderr).toBe(0);
      const report = parseJsonOutput<Report>(result);
      expect(report.target).toMatchObject({ url: DEFAULT_URL, embedded: false });
      expect(report.prefix).toBe(prefix);
      expect(await scanKeys(redis, prefix)).toEqual([]);
    } finally {
      // Never leave anything in the developer's Redis, even when an assertion above failed.
      const left = await scanKeys(redis, prefix);
      if (left.length > 0) await redis.del(...left);
    }
  });
});
