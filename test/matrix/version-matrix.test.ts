/**
 * The version matrix: `smoke` and `doctor` against real builds of Redis 6.0.9, 6.2.14, 7.4.1 and Valkey 8.0.1
 * (`../shared/redis-servers/unpack`, beside the clone; REDIS_SERVERS_DIR to point elsewhere) and the machine's own
 * redis-server. On each: no scenario fails or errors, every skip names the capability it lacks, a server full of
 * foreign keys has the same DEBUG DIGEST afterwards, and doctor judges no pattern unsupported.
 *
 * The compatibility table in docs/ci.md is generated from these runs (UPDATE_COMPAT=1 rewrites it); otherwise the
 * test checks the page still says what the servers do.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { redisServerVersion, startThrowawayServer, type ThrowawayServer } from "../../src/redis/throwaway-server.js";
import { ROOT, parseJsonOutput, runCli } from "../helpers/cli.js";
import { plainClient } from "../helpers/redis.js";
import { compatBlock, replaceCompatBlock, type MatrixRun } from "./compat-table.js";
import type { DoctorReport } from "../../src/cli/render/doctor.js";
import type { RunReport } from "../../src/runner/report.js";

const BUNDLE = process.env.REDIS_SERVERS_DIR ?? join(ROOT, "..", "shared", "redis-servers");
const UNPACK = join(BUNDLE, "unpack");

/** The bundled builds, unpacked once per machine into a cache directory; [] when the bundle is absent. */
function bundledServers(): string[] {
  if (!existsSync(UNPACK)) return [];
  const dir = join(tmpdir(), `redis-patterns-servers-${userInfo().uid}`);
  return execFileSync("sh", [UNPACK, dir], { encoding: "utf8" }).split("\n").filter(Boolean);
}

const binaries = [...bundledServers(), ...(redisServerVersion() ? ["redis-server"] : [])];
if (!existsSync(UNPACK)) {
  console.warn(`version matrix: ${UNPACK} not found: only the redis-server on PATH is tested (set REDIS_SERVERS_DIR)`);
}

const runs: MatrixRun[] = [];

/** Foreign keys, some of them look-alikes of the run's prefix: the run must leave every one as it was. */
async function fill(server: ThrowawayServer): Promise<string> {
  const redis = plainClient(server);
  const pipe = redis.pipeline();
  for (let i = 0; i < 500; i++) {
    pipe.set(`app:user:${i}`, `v${i}`);
    pipe.hset(`rp:${i}`, "f", String(i));
    pipe.zadd(`rp-look-alike:{leaderboard}:${i % 7}`, i, `m${i}`);
  }
  pipe.set("rp", "not a prefix");
  await pipe.exec();
  const digest = String(await redis.call("DEBUG", "DIGEST"));
  redis.disconnect();
  return digest;
}

async function digestOf(server: ThrowawayServer): Promise<string> {
  const redis = plainClient(server);
  try {
    return String(await redis.call("DEBUG", "DIGEST"));
  } finally {
    redis.disconnect();
  }
}

describe.runIf(binaries.length > 0)("version matrix", () => {
  afterAll(() => {
    if (runs.length === 0) return;
    const page = join(ROOT, "docs", "ci.md");
    if (process.env.UPDATE_COMPAT === "1") writeFileSync(page, replaceCompatBlock(readFileSync(page, "utf8"), runs));
  });

  for (const binary of binaries) {
    const version = redisServerVersion(binary) ?? "unknown";
    const name = `${binary.includes("valkey") ? "Valkey" : "Redis"} ${version}`;
    it(`${name}: smoke: no failure, skips say what is missing, same digest; doctor: nothing unsupported`, async () => {
      const major = Number(version.split(".")[0]);
      // DEBUG needs enabling from Redis 7 (Valkey's 8 is a 7.2 underneath); 6.x does not know the option.
      const server = await startThrowawayServer({
        binary,
        args: major >= 7 ? ["--enable-debug-command", "yes"] : [],
      });
      try {
        const before = await fill(server);
        const smoke = await runCli(["smoke", "--json", "--url", server.url], { timeoutMs: 180_000 });
        const report = parseJsonOutput<RunReport>(smoke);
        const bad = report.scenarios.filter((s) => s.status === "failed" || s.status === "errored");
        expect(bad.map((s) => `${s.id}: ${s.status} ${s.error ?? ""}`)).toEqual([]);
        expect(smoke.code, smoke.stderr).toBe(0);
        for (const s of report.scenarios.filter((x) => x.status === "skipped")) {
          // "ZRANGE … BYSCORE: needs Redis ≥ 6.2; this server is Redis 6.0.9": the capability, then why it is missing.
          expect(s.skipped, s.id).toMatch(
            /^[A-Z][A-Z_ …~()a-z]*(, [A-Z][A-Z_ …~()a-z]*)*: (needs Redis ≥ |denied|not on this server|Lua)/,
          );
        }
        expect(await digestOf(server)).toBe(before);

        const doctor = await runCli(["doctor", "--json", "--url", server.url], { timeoutMs: 60_000 });
        const verdicts = parseJsonOutput<DoctorReport>(doctor).doctor!.verdicts;
        expect(verdicts.filter((v) => v.verdict === "unsupported").map((v) => `${v.pattern}: ${v.reason}`)).toEqual([]);
        expect(await digestOf(server)).toBe(before);
        // The table lists the bundled builds: the machine's own redis-server differs from one machine to the next.
        if (binary !== "redis-server")
          runs.push({ server: `${report.target.server} ${report.target.version}`, scenarios: report.scenarios });
      } finally {
        await server.stop();
      }
    }, 240_000);
  }

  it.runIf(process.env.UPDATE_COMPAT !== "1" && existsSync(UNPACK))(
    "docs/ci.md's compatibility table says what these runs found",
    () => {
      expect(runs.length).toBe(binaries.filter((b) => b !== "redis-server").length);
      const page = readFileSync(join(ROOT, "docs", "ci.md"), "utf8");
      expect(page).toContain(compatBlock(runs));
    },
  );
});
