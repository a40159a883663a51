/** The sandbox's HELP (from COMMAND DOCS, or why not) and its reply layout, without a terminal. */
import { describe, expect, it } from "vitest";
import { commandHelp, helpLines } from "../../src/cli/tour/sandbox-help.js";
import { replyLines } from "../../src/cli/tour/sandbox-prompt.js";
import { useRedisClient } from "../helpers/redis.js";

const { redis } = useRedisClient();
/** One command to the test server, on the file's client. */
const call = (...argv: string[]) => redis().call(argv[0]!, ...argv.slice(1));

describe("sandbox HELP", () => {
  it("prints the syntax, summary and facts from the server's COMMAND DOCS", async () => {
    const help = await commandHelp(["set"], call, "Redis 7");
    expect(help.ok).toBe(true);
    if (!help.ok) return;
    expect(help.lines[0]).toMatch(/^SET key value \[NX \| XX\] \[GET\] \[EX seconds \| PX milliseconds/);
    expect(help.lines[1]).toBe("  Set the string value of a key");
    expect(help.lines[2]).toMatch(/since 1\.0\.0 · complexity O\(1\) · group string/);
  });

  it("takes a subcommand, and a second word that is not one", async () => {
    const sub = await commandHelp(["CONFIG", "GET"], call, "Redis 7");
    expect(sub.ok && sub.lines[0]).toMatch(/^CONFIG GET parameter/);
    const notSub = await commandHelp(["GET", "mykey"], call, "Redis 7");
    expect(notSub.ok && notSub.lines[0]).toBe("GET key");
    const parent = await commandHelp(["client"], call, "Redis 7");
    expect(parent.ok && parent.lines.join("\n")).toMatch(/subcommands: .*LIST/);
  });

  it("says so where the server has no COMMAND DOCS (Redis 6), with the command's page", async () => {
    const redis6 = async () => {
      throw new Error("ERR Unknown subcommand or wrong number of arguments for 'DOCS'. Try COMMAND HELP.");
    };
    await expect(commandHelp(["set"], redis6, "Redis 6.2.14")).resolves.toEqual({
      ok: false,
      line:
        "HELP needs COMMAND DOCS (Redis 7.0 and later), which this server (Redis 6.2.14) does not have; " +
        "the command's page: https://redis.io/docs/latest/commands/set/",
    });
    await expect(commandHelp(["nosuch"], call, "Redis 7")).resolves.toEqual({
      ok: false,
      line: "this server (Redis 7) has no documentation for NOSUCH",
    });
    expect(helpLines(["set"], [])).toBeUndefined();
  });
});

describe("sandbox replies, whole", () => {
  it("one element a line, nested arrays indented, INFO as its lines", () => {
    expect(replyLines(["a", 1, null, ["x", "y"]])).toEqual([
      "1) a",
      "2) (integer) 1",
      "3) (nil)",
      "4) 1) x",
      "   2) y",
    ]);
    expect(replyLines("# Server\r\nredis_version:7.0.0\r\n")).toEqual(["# Server", "redis_version:7.0.0"]);
    expect(replyLines([])).toEqual(["(empty array)"]);
    expect(replyLines(undefined)).toEqual([]);
  });
});
