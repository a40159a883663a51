import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";

const server = useRedisServer();
const dir = mkdtempSync(join(tmpdir(), "lock-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(ROOT, "examples", "lock", `${name}.lua`);

describe("redis-patterns lock --acquire-script", () => {
  it("a release without an owner check: exit 1, the JUnit failure names the check and the sequence", async () => {
    const junit = join(dir, "lock.xml");
    const r = await runCli([
      "lock",
      "--url",
      server().url,
      "--acquire-script",
      file("acquire"),
      "--release-script",
      file("release-no-owner-check"),
      "--ttl",
      "300ms",
      "--trace",
      "full",
      "--junit",
      junit,
    ]);
    expect(r.code, r.stderr).toBe(1);
    // The trace shows the scripts loaded and each call as EVALSHA.
    expect(r.stdout).toMatch(/SCRIPT LOAD/);
    expect(r.stdout).toMatch(/\[worker-2\] EVALSHA [0-9a-f]{40} 1 \S+ token-2/);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain(`<failure message="a non-owner's release is refused`);
    expect(xml).toContain("worker-2 release(token-2) → yes");
  });

  it("a correct lock: exit 0; an uncompilable script: one line, exit 2; no --release-script: exit 2", async () => {
    const ok = await runCli([
      "lock",
      "--url",
      server().url,
      "--acquire-script",
      file("acquire"),
      "--release-script",
      file("release"),
      "--extend-script",
      file("extend"),
      "--ttl",
      "300ms",
    ]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const broken = join(dir, "broken.lua");
    writeFileSync(broken, "if redis.call('GET', KEYS[1]) == ARGV[1] then\n");
    const bad = await runCli([
      "lock",
      "--url",
      server().url,
      "--acquire-script",
      file("acquire"),
      "--release-script",
      broken,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^redis-patterns: broken\.lua does not load: /),
    ]);
    const half = await runCli(["lock", "--url", server().url, "--acquire-script", file("acquire")]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/needs both --acquire-script and --release-script/);
    const fuzz = await runCli(["lock", "--url", server().url, "--fuzz", "10"]);
    expect(fuzz.code).toBe(2);
    expect(fuzz.stderr).toMatch(/give it with --acquire-script/);
  });
});
