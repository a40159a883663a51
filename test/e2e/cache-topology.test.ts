import { describe, expect, it } from "vitest";
import { parseJsonOutput, runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";
import type { RunReport as Report } from "../../src/runner/report.js";

/** `cache --topology`: sidecars the command starts, against the --url server shared by every instance. */
const server = useRedisServer();

describe("cache --topology", () => {
  it("both, --json: stale reads on sidecars, none on the shared cache, a summary row each, keys cleaned", async () => {
    const res = await runCli([
      "cache",
      "--url",
      server().url,
      "--topology",
      "both",
      "--instances",
      "2",
      "--reads",
      "20",
      "--remote-latency",
      "2ms",
      "--json",
    ]);
    expect(res.code, res.stderr).toBe(0);
    const report = parseJsonOutput<Report>(res);
    expect(report.scenarios.map((s) => s.id)).toEqual(["cache/sidecar", "cache/remote"]);
    const [sidecar, remote] = report.scenarios;
    expect(sidecar!.metrics).toMatchObject({ staleReadsAfterWrite: 1, staleReadsWithPubSub: 0, instances: 2 });
    expect(remote!.metrics).toMatchObject({ staleReadsAfterWrite: 0, remoteLatencyMs: 2 });
    expect(report.summary?.rows.map((r) => r[0])).toEqual(["sidecar", "remote"]);
    const clients = new Set(sidecar!.steps.flatMap((s) => s.commands.map((c) => c.client)));
    expect(clients.has("instance-1@sidecar-1") && clients.has("instance-2@sidecar-2")).toBe(true);
    expect(report.cleanup.deleted).toBe(report.cleanup.keys);
  });

  it("usage errors: one instance, --remote-latency with sidecars only, --topology with --race (exit 2)", async () => {
    for (const args of [
      ["--topology", "sidecar", "--instances", "1"],
      ["--topology", "sidecar", "--remote-latency", "1ms"],
      ["--topology", "remote", "--race"],
      ["--topology", "mesh"],
    ]) {
      const res = await runCli(["cache", "--url", server().url, ...args]);
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
