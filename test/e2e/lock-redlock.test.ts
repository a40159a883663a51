import { describe, expect, it } from "vitest";
import { parseJsonOutput, runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";
import { startThrowawayServer } from "../../src/redis/throwaway-server.js";
import type { RunReport as Report } from "../../src/runner/report.js";

/** `lock --algo redlock` and `lock --failover` as a user runs them: they start (and stop) their own servers. */
const server = useRedisServer();

describe("lock --algo redlock", () => {
  it("human: 5 throwaway masters, said on stderr, the per-node table and the validity arithmetic; exit 0", async () => {
    const res = await runCli([
      "lock",
      "--url",
      server().url,
      "--algo",
      "redlock",
      "--trace",
      "summary",
      "--width",
      "250",
    ]);
    expect(res.stderr).toMatch(/starting 5 independent masters as throwaway redis-servers/);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/validity = TTL 150 − elapsed [\d.]+ − drift 3\.5 = [\d.]+ ms → ACQUIRED/);
    expect(res.stdout).toMatch(/FAILED: 2 of 5 nodes granted the lock, 3 needed/);
    expect(res.stdout).toMatch(/│ node-5 │ no +│/);
    expect(res.stdout).toMatch(/│ node-4 │ no +│ [\d.]+ +│ Command timed out/);
  });

  it("--json with --node URLs: the metrics, each node's commands labelled; nothing stopped", async () => {
    const nodes = await Promise.all([1, 2, 3].map(() => startThrowawayServer()));
    try {
      // A fourth node that does not answer, with a password in its URL: it does not vote, and the password never shows.
      const urls = [...nodes.map((n) => n.url), "redis://:s3cret-pw@127.0.0.1:1"];
      const res = await runCli([
        "lock",
        "--url",
        server().url,
        "--algo",
        "redlock",
        "--json",
        ...urls.flatMap((u) => ["--node", u]),
      ]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout + res.stderr).not.toContain("s3cret-pw");
      expect(res.stderr).not.toMatch(/throwaway/);
      const report = parseJsonOutput<Report>(res);
      const [r] = report.scenarios;
      expect(r?.id).toBe("lock/redlock");
      expect(r?.metrics).toMatchObject({ nodes: 4, quorum: 3, doubleHolds: 0 });
      const clients = new Set(r?.steps.flatMap((s) => s.commands.map((c) => c.client)));
      expect([...clients].filter((c) => /@node-/.test(c)).sort()).toEqual([
        "A@node-1",
        "A@node-2",
        "A@node-3",
        "B@node-1",
        "B@node-2",
        "B@node-3",
      ]);
      expect(JSON.stringify(parseJsonOutput<Record<string, unknown>>(res))).toContain("redis://:***@127.0.0.1:1");
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });

  it("usage errors exit 2: two --node, --node without redlock, --failover with --algo", async () => {
    const two = await runCli([
      "lock",
      "--url",
      server().url,
      "--algo",
      "redlock",
      "--node",
      "redis://127.0.0.1:1",
      "--node",
      "redis://127.0.0.1:2",
    ]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/3 or more independent masters/);
    const noAlgo = await runCli(["lock", "--url", server().url, "--node", "redis://127.0.0.1:1"]);
    expect(noAlgo.code).toBe(2);
    const both = await runCli(["lock", "--url", server().url, "--failover", "--algo", "simple"]);
    expect(both.code).toBe(2);
  });
});

describe("lock --failover", () => {
  it("--json: two holders after a real promotion, WAIT 1 → 0 with the link cut; exit 0", async () => {
    const res = await runCli(["lock", "--url", server().url, "--failover", "--json"]);
    expect(res.stderr).toMatch(/starting a master and a replica/);
    expect(res.code).toBe(0);
    const [r] = parseJsonOutput<Report>(res).scenarios;
    expect(r?.id).toBe("lock/failover");
    expect(r?.metrics).toMatchObject({ twoHolders: true, waitAcksHealthy: 1, waitAcksCut: 0 });
    expect(r?.checks.every((c) => c.ok)).toBe(true);
  });
});
