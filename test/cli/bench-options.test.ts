import { CommanderError, type Command } from "commander";
import { describe, expect, it } from "vitest";
import type { BenchCliOptions } from "../../src/cli/options/bench.js";
import { createProgram } from "../../src/cli/program.js";

/** `bench`'s command line mapped to options, without Redis. */
function silence(cmd: Command): void {
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const sub of cmd.commands) silence(sub);
}

async function parse(argv: string[]): Promise<BenchCliOptions | CommanderError> {
  let got: BenchCliOptions | undefined;
  const program = createProgram({ bench: async (opts) => void (got = opts) });
  silence(program);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err;
    throw err;
  }
  return got!;
}

describe("bench options", () => {
  it("has defaults for a 50-connection, unpipelined run", async () => {
    expect(await parse(["bench", "ratelimit"])).toMatchObject({
      pattern: "ratelimit",
      ops: 50_000,
      clients: 50,
      pipeline: 1,
      rounds: 1,
    });
  });

  it("maps every option", async () => {
    const opts = await parse([
      "bench",
      "lock",
      "--ops",
      "2000",
      "--clients",
      "8",
      "--pipeline",
      "16",
      "--threads",
      "2",
      "--rounds",
      "3",
      "--processes",
      "4",
      "--duration",
      "2s",
      "--vs-redis-benchmark",
      "--kind",
      "simple",
    ]);
    expect(opts).toMatchObject({
      pattern: "lock",
      ops: 2000,
      clients: 8,
      pipeline: 16,
      threads: 2,
      rounds: 3,
      processes: 4,
      duration: 2000,
      vsRedisBenchmark: true,
      kind: "simple",
    });
  });

  it.each([
    [["bench"], /missing required argument/],
    [["bench", "kafka"], /unknown pattern "kafka"/],
    [["bench", "cache", "--pipeline", "0"], /--pipeline must be between 1 and 1000/],
    [["bench", "cache", "--duration", "soon"], /duration/],
  ])("%j is a usage error", async (argv, message) => {
    const err = await parse(argv);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).message).toMatch(message);
  });

  it("--help says a Redis Cluster is refused (test/e2e/bench-cluster.test.ts checks the refusal)", () => {
    const bench = createProgram({ bench: async () => undefined }).commands.find((c) => c.name() === "bench")!;
    let help = "";
    bench.configureOutput({ writeOut: (text) => void (help += text) });
    bench.outputHelp();
    expect(help).toMatch(/A Redis Cluster \(--cluster, or a --url naming a cluster node\) is refused with\s+exit 2/);
  });
});
