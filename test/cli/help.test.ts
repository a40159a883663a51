/**
 * Help and discovery as a user meets them, through the built CLI: every command's help within 80 columns with its
 * choices and a Global Options section, one name for the variant option, `list`, and the completion scripts (the
 * bash one run by a real bash).
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli/program.js";
import { displayWidth } from "../../src/cli/render/text.js";
import { runCli } from "../helpers/cli.js";

/** Every command the program declares, so a new command is checked without being listed here. */
const COMMANDS = createProgram().commands.map((c) => c.name());

describe("--help", () => {
  it.each(["", ...COMMANDS])("%s --help: every line within 80 columns, global options listed", async (name) => {
    const result = await runCli([...(name ? [name] : []), "--help"]);
    expect(result.code, result.stderr).toBe(0);
    const wide = result.stdout.split("\n").filter((l) => displayWidth(l) > 80);
    expect(wide).toEqual([]);
    if (name) {
      expect(result.stdout).toMatch(/^Global Options:$/m);
      expect(result.stdout).toMatch(/--url <url>/);
      expect(result.stdout).toMatch(/--trace <mode>/);
    }
    expect(result.stdout).not.toMatch(/\(default: \[\]\)|default: false/);
  });

  it("a narrower terminal (--width 60) gets help within 60 columns", async () => {
    const result = await runCli(["ratelimit", "--help", "--width", "60"]);
    for (const line of result.stdout.split("\n")) expect(displayWidth(line)).toBeLessThanOrEqual(60);
  });

  it.each([
    ["ratelimit", "fixed-window, sliding-log, sliding-counter, token-bucket", "--algo"],
    ["cache", "cache-aside, read-through, write-through, write-behind", "--strategy"],
    ["queue", "list, reliable, stream", "--kind"],
    ["lock", "simple", "--algo"],
    ["session", "string, hash, lost-update, read-latency", undefined],
  ])("%s: the variant option is --variant, with its choices (its own name an alias)", async (name, choices, alias) => {
    const result = await runCli([name, "--help"]);
    const text = result.stdout.replace(/\s+/g, " ");
    expect(text).toMatch(/--variant <\w+>/);
    expect(text).toContain(choices);
    if (alias) expect(text).toContain(`also ${alias}`);
  });

  it("--variant and the old name reach the same option", async () => {
    const a = await runCli(["ratelimit", "--variant", "nope", "--url", "redis://127.0.0.1:1"]);
    const b = await runCli(["ratelimit", "--algo", "nope", "--url", "redis://127.0.0.1:1"]);
    expect(a.code).toBe(2);
    expect(b.code).toBe(2);
    expect(a.stderr).toMatch(/unknown algorithm "nope": choose one of fixed-window/);
  });

  it("smoke --help shows no empty defaults", async () => {
    const result = await runCli(["smoke", "--help"]);
    expect(result.stdout).not.toContain("(default: [])");
  });
});

describe("list", () => {
  it("every scenario id with its title; --json as data", async () => {
    const human = await runCli(["list"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^ {2}ratelimit\/fixed-window +Fixed window counter/m);
    expect(human.stdout).toMatch(/^ {2}queue\/stream /m);
    for (const line of human.stdout.split("\n")) expect(displayWidth(line)).toBeLessThanOrEqual(80);
    const json = await runCli(["list", "--json"]);
    const doc = JSON.parse(json.stdout) as { patterns: { name: string; scenarios: { id: string; title: string }[] }[] };
    const ids = doc.patterns.flatMap((p) => p.scenarios.map((s) => s.id));
    expect(ids).toContain("lock/fencing");
    expect(ids.length).toBeGreaterThan(20);
    for (const p of doc.patterns) for (const s of p.scenarios) expect(s.id.startsWith(`${p.name}/`)).toBe(true);
  });
});

describe("completion", () => {
  const hasBash = spawnSync("bash", ["--version"], { stdio: "ignore" }).status === 0;

  it.skipIf(!hasBash)("bash: commands, options, choices and scenario ids", async () => {
    const script = await runCli(["completion", "bash"]);
    expect(script.code, script.stderr).toBe(0);
    const complete = (...words: string[]) => {
      const program = `${script.stdout}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _redis_patterns
printf '%s\\n' "\${COMPREPLY[@]}"`;
      const run = spawnSync("bash", ["-c", program], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      return run.stdout.split("\n").filter(Boolean);
    };
    expect(complete("redis-patterns", "")).toEqual(expect.arrayContaining(["ratelimit", "smoke", "list", "--url"]));
    expect(complete("redis-patterns", "ratelimit", "--algo", "")).toEqual([
      "fixed-window",
      "sliding-log",
      "sliding-counter",
      "token-bucket",
    ]);
    expect(complete("redis-patterns", "--url", "redis://x", "queue", "--variant", "re")).toEqual(["reliable"]);
    expect(complete("redis-patterns", "smoke", "--only", "lock/f")).toEqual(["lock/fencing"]);
    expect(complete("redis-patterns", "ratelimit", "--tra")).toEqual(["--traffic", "--trace"]);
    expect(complete("redis-patterns", "tour", "hl")).toEqual(["hll", "hll/unique-count", "hll/weekly-merge"]);
  });

  it.each(["zsh", "fish"])("%s: a script naming every command and the scenario ids", async (shell) => {
    const script = await runCli(["completion", shell]);
    expect(script.code, script.stderr).toBe(0);
    for (const name of COMMANDS) expect(script.stdout).toContain(name);
    expect(script.stdout).toContain("lock/fencing");
  });

  it("an unknown shell is a usage error", async () => {
    const result = await runCli(["completion", "powershell"]);
    expect(result.code).toBe(2);
  });
});
