/**
 * The edges a CI job hits before any scenario runs: a --junit path that cannot be written, a socket that never
 * answers, something that is not Redis at the URL, a database the cache cannot reach.
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";

const server = useRedisServer();

let silent: Server;
let http: HttpServer;
const sockets = new Set<Socket>();
const port = (s: Server | HttpServer) => (s.address() as { port: number }).port;

beforeAll(async () => {
  // Accepts connections and never answers a byte.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  http = createHttpServer((_req, res) => res.end("hello"));
  await Promise.all([
    new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve)),
    new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve)),
  ]);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([new Promise((resolve) => silent.close(resolve)), new Promise((resolve) => http.close(resolve))]);
});

/** The lines of stderr, without the empty last one. */
function lines(text: string): string[] {
  return text.split("\n").filter(Boolean);
}

describe("before the first scenario", () => {
  it("--junit in a directory that does not exist is a usage error before connecting (exit 2)", async () => {
    // Nothing listens on port 1: had it connected first, this would be exit 3.
    const result = await runCli(["smoke", "--junit", "/nonexistent/dir/r.xml", "--url", "redis://127.0.0.1:1"]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      "redis-patterns: --junit /nonexistent/dir/r.xml: no such directory: /nonexistent/dir",
    ]);
    expect(result.stdout).toBe("");
  });

  it("--timeout bounds connecting as a whole: a socket that never answers is one timeout, named, exit 3", async () => {
    const result = await runCli([
      "ratelimit",
      "--algo",
      "fixed-window",
      "--timeout",
      "1s",
      "--url",
      `redis://127.0.0.1:${port(silent)}`,
    ]);
    expect(result.code).toBe(3);
    expect(lines(result.stderr)).toEqual([
      `redis-patterns: cannot connect to redis://127.0.0.1:${port(silent)}: timed out after 1 s`,
    ]);
  });

  it("an HTTP server at the URL is 'not a Redis server', exit 3, one line", async () => {
    for (const extra of [[], ["--json"]]) {
      const result = await runCli(["ratelimit", ...extra, "--url", `redis://127.0.0.1:${port(http)}`]);
      expect(result.code).toBe(3);
      expect(lines(result.stderr)).toEqual([
        `redis-patterns: redis://127.0.0.1:${port(http)} is not a Redis server (it answered like HTTP)`,
      ]);
      expect(result.stderr).not.toMatch(/Please report/);
    }
  });

  it("cache --db with a database that does not answer stops the run: exit 3, one line, password redacted", async () => {
    const result = await runCli(["cache", "--db", "postgres://app:s3cret@127.0.0.1:1/test", "--url", server().url]);
    expect(result.code).toBe(3);
    const errors = lines(result.stderr).filter((l) => l.startsWith("redis-patterns:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^redis-patterns: cannot connect to the database at postgres:\/\/app(:\*\*\*)?@127\.0\.0\.1:1\/test: /,
    );
    expect(result.stdout + result.stderr).not.toContain("s3cret");
    expect(result.stdout).not.toMatch(/undefined/);
  });
});
