/**
 * One module shape per pattern: every folder of scenarios/ is a pattern of the catalog, with index.ts (its scenarios,
 * what the catalog loads) and params.ts (its parameters and their defaults); every scenario's id is
 * `<pattern>/<file>` and lives in scenarios/<pattern>/<file>.ts; and each command's choices (--algo, --variant,
 * --kind, --strategy…) name scenarios that exist.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalog } from "../../scenarios/index.js";
import { ANALYTICS_KINDS } from "../../src/cli/options/analytics.js";
import { CACHE_INVALIDATIONS, CACHE_STRATEGIES, STAMPEDE_PROTECTIONS } from "../../src/cli/options/cache.js";
import { LEADERBOARD_VARIANT_NAMES } from "../../src/cli/options/leaderboard.js";
import { LOCK_ALGORITHMS } from "../../src/cli/options/lock.js";
import { QUEUE_KINDS } from "../../src/cli/options/queue.js";
import { RATE_LIMIT_ALGORITHMS } from "../../src/cli/options/ratelimit-algorithms.js";
import { SESSION_VARIANTS } from "../../src/cli/options/session.js";
import { createProgram } from "../../src/cli/program.js";
import { PATTERNS as DOCTOR_PATTERNS } from "../../src/doctor/requirements.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** Scenarios built by one module rather than written one per file: id prefix → that module. */
const GENERATED: [prefix: string, module: string][] = [
  ["primary/", "primary/durability.ts"], // one scenario per persistence setting
  ["cache/sidecar", "cache/topology.ts"], // one scenario per topology
  ["cache/remote", "cache/topology.ts"],
  ["cache/both", "cache/topology.ts"],
];

async function idsOf(pattern: string): Promise<string[]> {
  const entry = catalog.find((e) => e.name === pattern);
  if (!entry) throw new Error(`no catalog entry ${pattern}`);
  return (await entry.load()).map((s) => s.id);
}

describe("the scenario catalog", () => {
  it("every folder of scenarios/ is a pattern of the catalog, loaded from its index.ts, with its params.ts", () => {
    const folders = readdirSync(join(ROOT, "scenarios"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(folders).toEqual(catalog.map((e) => e.name).sort());
    const catalogSource = readFileSync(join(ROOT, "scenarios", "index.ts"), "utf8");
    for (const pattern of folders) {
      expect(existsSync(join(ROOT, "scenarios", pattern, "index.ts")), `scenarios/${pattern}/index.ts`).toBe(true);
      const entry = catalogSource.slice(catalogSource.indexOf(`name: "${pattern}"`));
      expect(entry.slice(0, entry.indexOf("\n  },")), `the ${pattern} entry loads its index.ts`).toContain(
        `import("./${pattern}/index.js")`,
      );
      const params = join(ROOT, "scenarios", pattern, "params.ts");
      expect(existsSync(params), `scenarios/${pattern}/params.ts`).toBe(true);
      // The parameters' type and a defaults object of that type, as every pattern declares them.
      expect(readFileSync(params, "utf8"), `scenarios/${pattern}/params.ts`).toMatch(
        /export interface (\w*Params)\b[\s\S]*export const \w+: \1 = \{/,
      );
    }
  });

  it("names each pattern once; every scenario id is <pattern>/<file>, a file in scenarios/<pattern>/", async () => {
    const names = catalog.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    const all: string[] = [];
    for (const entry of catalog) {
      for (const id of await idsOf(entry.name)) {
        all.push(id);
        const [pattern, file, ...rest] = id.split("/");
        expect(pattern, id).toBe(entry.name);
        expect(rest, id).toEqual([]);
        const module = GENERATED.find(([prefix]) => id.startsWith(prefix))?.[1] ?? `${pattern}/${file}.ts`;
        expect(existsSync(join(ROOT, "scenarios", module)), `scenarios/${module}`).toBe(true);
      }
    }
    expect(new Set(all).size, "scenario ids are unique").toBe(all.length);
  });

  it.each([
    ["ratelimit", RATE_LIMIT_ALGORITHMS, (c: string) => c],
    ["lock", LOCK_ALGORITHMS, (c: string) => c],
    ["session", SESSION_VARIANTS, (c: string) => c],
    ["leaderboard", LEADERBOARD_VARIANT_NAMES, (c: string) => c],
    ["analytics", ANALYTICS_KINDS, (c: string) => c],
    ["queue", QUEUE_KINDS, (c: string) => c],
    ["cache", CACHE_STRATEGIES, (c: string) => c],
    ["cache", CACHE_INVALIDATIONS, (c: string) => `invalidate-${c}`],
    ["cache", STAMPEDE_PROTECTIONS, (c: string) => `stampede-${c}`],
  ] as const)("every %s choice %j runs a scenario of the catalog", async (pattern, choices, file) => {
    const ids = await idsOf(pattern);
    for (const choice of choices) {
      const id = `${pattern}/${file(choice)}`;
      expect(existsSync(join(ROOT, "scenarios", `${id}.ts`)), `scenarios/${id}.ts`).toBe(true);
      // Redlock needs five masters of its own, so smoke (which runs the catalog) leaves it to `lock --algo redlock`.
      if (id !== "lock/redlock") expect(ids, choice).toContain(id);
    }
  });

  it("doctor judges exactly the catalog's patterns, and the help of doctor and tour names each of them", () => {
    // doctor's requirements table is its own list (what each pattern sends); a pattern missing there is never judged.
    expect([...DOCTOR_PATTERNS].sort()).toEqual(catalog.map((e) => e.name).sort());
    const program = createProgram();
    const help = (name: string) =>
      program.commands
        .find((c) => c.name() === name)!
        .helpInformation()
        .replace(/\s+/g, " ");
    for (const name of catalog.map((e) => e.name)) {
      expect(help("doctor"), `doctor --help names ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
      expect(help("tour"), `tour --help names ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
    }
  });
});
