import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { useLocalCluster, useRedisServer } from "../helpers/redis.js";

/**
 * bench connects through connectFromOptions like every command, so --cluster is honoured: refused with --embedded
 * and on a server that is not a cluster node. On a Redis Cluster bench stops before it starts its worker threads,
 * which connect to one address only (before, they fell back to 127.0.0.1:6379).
 */
const server = useRedisServer();
const cluster = useLocalCluster(3, 0);
const BENCH = ["bench", "ratelimit", "--ops", "100", "--rounds", "1"];

describe("bench and --cluster", () => {
  it("--cluster with --embedded is a usage error", async () => {
    const result = await runCli([...BENCH, "--cluster", "--embedded"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^redis-patterns: --embedded starts one standalone server: --cluster needs --url/m);
  });

  it("--cluster on a standalone server says it is not in cluster mode", async () => {
    const result = await runCli([...BENCH, "--cluster", "--url", server().url]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/is not in cluster mode/);
  });

  it("a Redis Cluster (with or without --cluster) is refused before any worker connects", async () => {
    for (const extra of [[], ["--cluster"]]) {
      const result = await runCli([...BENCH, ...extra, "--json", "--url", cluster().seedUrl]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/bench measures one server: .* is a Redis Cluster/);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { exitCode: 2 } });
    }
  });
});
