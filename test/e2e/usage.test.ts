import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NOWHERE, ROOT, runCli } from "../helpers/cli.js";

/**
 * Usage errors, --help and --version. None of these may reach a server; the runs that would connect point at a port
 * nothing listens on, so a missing validation shows up as exit 3 instead of a run against someone's Redis.
 */
describe("usage errors exit 2 with a message that says what is wrong", () => {
  const cases: { name: string; args: string[]; says: RegExp[] }[] = [
    {
      name: "unknown algorithm",
      args: ["ratelimit", "--algo", "leaky-bucket", ...NOWHERE],
      says: [/unknown algorithm "leaky-bucket"/, /fixed-window, sliding-log, sliding-counter, token-bucket/],
    },
    {
      name: "--limit 0",
      args: ["ratelimit", "--limit", "0", ...NOWHERE],
      says: [/--limit must be between 1 and 10000, not 0/],
    },
    {
      name: "--limit -3",
      args: ["ratelimit", "--limit", "-3", ...NOWHERE],
      says: [/--limit must be between 1 and 10000, not -3/],
    },
    {
      name: "--window abc",
      args: ["ratelimit", "--window", "abc", ...NOWHERE],
      says: [/invalid duration "abc"/, /500ms, 10s/],
    },
    {
      name: "--window 0s",
      args: ["ratelimit", "--window", "0s", ...NOWHERE],
      says: [/invalid duration "0s"/, /more than zero/],
    },
    {
      name: "--url notaurl",
      args: ["ratelimit", "--url", "notaurl"],
      says: [/malformed URL "notaurl"/, /redis:\/\/\[user:password@\]host\[:port\]\[\/db\]/],
    },
    {
      name: "--url http://x",
      args: ["ratelimit", "--url", "http://x"],
      says: [/unsupported URL scheme "http:"/, /redis:\/\/, rediss:\/\/ or unix:\/\//],
    },
    {
      name: "unknown option",
      args: ["ratelimit", "--bogus", ...NOWHERE],
      says: [/unknown option '--bogus'/, /--help/],
    },
    {
      name: "unknown command, with a suggestion",
      args: ["ratelimt"],
      says: [/unknown command 'ratelimt'/, /did you mean ratelimit\?/i],
    },
    {
      name: "--traffic outside its choices",
      args: ["ratelimit", "--traffic", "spiky", ...NOWHERE],
      says: [/'spiky' is invalid/, /steady/],
    },
    { name: "cleanup without --prefix", args: ["cleanup", ...NOWHERE], says: [/cleanup needs --prefix/] },
    { name: "cleanup --prefix a*", args: ["cleanup", "--prefix", "a*", ...NOWHERE], says: [/--prefix "a\*"/] },
    {
      name: "cleanup --prefix with a glob character",
      args: ["cleanup", "--prefix", "test:e2e:*", ...NOWHERE],
      says: [/may not contain glob characters/],
    },
    {
      name: "--tls-ca on a redis:// URL",
      args: ["ratelimit", "--tls-ca", "ca.pem", "--url", "redis://127.0.0.1:1"],
      says: [/apply to rediss:\/\/ URLs only/],
    },
  ];

  it.each(cases)("$name", async ({ args, says }) => {
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    for (const pattern of says) expect(result.stderr).toMatch(pattern);
    // One line, in the same form as every other error.
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^redis-patterns: /);
  });

  it("no command at all prints the help on stderr and exits 2", async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/Usage: redis-patterns/);
  });

  it("with --json every usage error is the same document on stdout, whoever finds it (parser or command)", async () => {
    const cases = [
      ["ratelimit", "--json", "--limit", "0", ...NOWHERE], // an option's value (the parser)
      ["ratelimit", "--json", "--no-such-option", ...NOWHERE], // an unknown option (the parser)
      ["smoke", "--json", "--only", "nosuch/*", ...NOWHERE], // a combination only the command can judge
      ["lock", "--json", "--ttl", "1s", "--pause", "500ms", ...NOWHERE], // the same
    ];
    for (const args of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(" ")).toBe(2);
      const doc = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(Object.keys(doc).sort(), args.join(" ")).toEqual(["error", "ok", "schemaVersion"]);
      expect(doc).toMatchObject({ schemaVersion: 1, ok: false, error: { exitCode: 2 } });
      expect((doc.error as { message: string }).message, args.join(" ")).toMatch(/\S/);
      expect(Object.keys(doc.error as object).sort()).toEqual(["exitCode", "message"]);
      // And the same one line on stderr as without --json.
      expect(result.stderr.trim().split("\n").length, args.join(" ")).toBeLessThanOrEqual(2);
    }
  });
});

describe("a rejected URL never shows its password", () => {
  const cases: { name: string; url: string; secret: string }[] = [
    {
      name: "a space and a slash in the password",
      url: "redis://user:pa ss/word-Sekr1tA@host:1",
      secret: "word-Sekr1tA",
    },
    { name: "no // after the scheme", url: "redis:user:Sekr1tB@host", secret: "Sekr1tB" },
    { name: "no scheme at all", url: "user:Sekr1tC@host", secret: "Sekr1tC" },
    { name: "a bad %-escape in the password", url: "redis://:Sekr1tD%zz@127.0.0.1:1", secret: "Sekr1tD" },
    { name: "a port out of range", url: "redis://:Sekr1tE@127.0.0.1:99999", secret: "Sekr1tE" },
    { name: "a database that is not a number", url: "redis://:Sekr1tF@127.0.0.1:1/abc", secret: "Sekr1tF" },
    { name: "an unsupported scheme", url: "http://:Sekr1tG@127.0.0.1:1", secret: "Sekr1tG" },
  ];

  describe.each([
    { how: "--url", args: (url: string) => ["ratelimit", "--url", url], env: () => ({}) },
    { how: "--url --json", args: (url: string) => ["ratelimit", "--json", "--url", url], env: () => ({}) },
    { how: "REDIS_URL", args: () => ["ratelimit"], env: (url: string) => ({ REDIS_URL: url }) },
  ])("given with $how", ({ args, env }) => {
    it.each(cases)("$name: exit 2, one line, no password", async ({ url, secret }) => {
      const result = await runCli(args(url), { env: env(url) });
      expect(result.code, result.stderr).toBe(2);
      const errorLines = result.stderr.replace(/\n$/, "").split("\n");
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toMatch(/^redis-patterns: (malformed URL|unsupported URL scheme)/);
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    });
  });
});

describe("--help and --version", () => {
  it("--help exits 0 and lists the commands, the examples and the exit codes", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^Usage: redis-patterns/);
    expect(result.stdout).toMatch(/^\s+ratelimit\b/m);
    expect(result.stdout).toMatch(/^\s+cleanup\b/m);
    expect(result.stdout).toMatch(/Examples:\n\s+\$ redis-patterns ratelimit/);
    expect(result.stdout).toMatch(/Exit codes: 0 ok/);
  });

  it("ratelimit --help exits 0 and shows its options and examples", async () => {
    const result = await runCli(["ratelimit", "--help"]);
    expect(result.code).toBe(0);
    // The variant option under its one name, the command's own name kept as an alias.
    expect(result.stdout).toMatch(/--variant <name>/);
    expect(result.stdout).toMatch(/also --algo/);
    expect(result.stdout).toMatch(/--window <duration>/);
    expect(result.stdout).toMatch(/\$ redis-patterns ratelimit --compare/);
  });

  it("--version prints the package.json version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const result = await runCli([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${pkg.version}\n`);
      expect(result.stderr).toBe("");
    }
  });
});
