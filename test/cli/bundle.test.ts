import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, cleanEnv, type CliResult } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";

/**
 * The published package: bin/ and the esbuild bundle (dist/bundle), with node-sqlite3-wasm its only dependency.
 * Laid out here as npm would install it (bin/ and dist/bundle only, and with a node_modules holding
 * only the declared dependencies), then run: a scenario, the SQLite origin, and bench with its worker threads.
 */
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  files: string[];
  dependencies: Record<string, string>;
  bin: Record<string, string>;
};
const server = useRedisServer();
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "redis-patterns-package-"));
  execFileSync(process.execPath, [join(ROOT, "scripts", "bundle.mjs"), "--outdir", join(dir, "dist", "bundle")], {
    cwd: ROOT,
    stdio: "pipe",
  });
  mkdirSync(join(dir, "bin"));
  copyFileSync(join(ROOT, pkg.bin["redis-patterns"]!), join(dir, pkg.bin["redis-patterns"]!));
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  mkdirSync(join(dir, "node_modules"));
  for (const name of Object.keys(pkg.dependencies)) {
    symlinkSync(join(ROOT, "node_modules", name), join(dir, "node_modules", name), "dir");
  }
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, "bin", "redis-patterns.js"), ...args], {
      cwd: dir,
      env: cleanEnv({ NO_COLOR: "1" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
}

describe("the published package (esbuild bundle)", () => {
  it("ships bin/ and the bundle, not tsc's output, and depends on nothing that builds at install", () => {
    expect(pkg.files).toContain("dist/bundle/");
    expect(pkg.files.some((f) => f.startsWith("dist/src"))).toBe(false);
    expect(Object.keys(pkg.dependencies)).toEqual(["node-sqlite3-wasm"]);
    expect(existsSync(join(dir, "dist", "bundle", "cli.js"))).toBe(true);
    expect(existsSync(join(dir, "dist", "bundle", "worker.js"))).toBe(true);
  });

  it("prints its version and help", async () => {
    const version = await run(["--version"]);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await run(["ratelimit", "--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/--algo/);
  });

  it("runs a scenario", async () => {
    const r = await run(["ratelimit", "--algo", "token-bucket", "--url", server().url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/EVALSHA|EVAL /);
    expect(r.stdout).toMatch(/all checks passed/);
  });

  it("runs the SQLite origin (node-sqlite3-wasm, or node:sqlite) from the bundle", async () => {
    const r = await run([
      "cache",
      "--strategy",
      "cache-aside",
      "--url",
      server().url,
      "--db-latency",
      "0",
      "--trace",
      "full",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[db\] SELECT id, name, version FROM rp_cache_/);
    expect(r.stdout).toMatch(/SQLite [\d.]+ on (WebAssembly|node:sqlite)/);
  });

  it("runs bench, whose worker threads load the bundle's worker.js", async () => {
    const r = await run([
      "bench",
      "ratelimit",
      "--ops",
      "200",
      "--threads",
      "2",
      "--rounds",
      "1",
      "--url",
      server().url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/recording off/);
  });
});
