import type { ScenarioDef } from "../src/scenario/types.js";

/** Any scenario, whatever its parameter and state types (they stay inside the scenario). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyScenario = ScenarioDef<any, any>;

/** One pattern of the chapter and how to load its scenarios (lazily: the CLI only imports what it runs). */
export interface PatternEntry {
  name: string;
  chapter: string;
  summary: string;
  load(): Promise<AnyScenario[]>;
}

/**
 * Every scenario the tool has, by pattern. `smoke` runs them all in their default configuration (each scenario's
 * `defaults`, kept small and fast), the tour offers them as a menu.
 */
export const catalog: PatternEntry[] = [
  {
    name: "ratelimit",
    chapter: "4.2 Rate limiting",
    summary: "fixed window, sliding log, sliding counter, token bucket",
    load: async () => Object.values((await import("./ratelimit/index.js")).rateLimitScenarios),
  },
];

export async function allScenarios(): Promise<AnyScenario[]> {
  const lists = await Promise.all(catalog.map((p) => p.load()));
  return lists.flat();
}

/** `lock/*`, `ratelimit/token-bucket`, `*bucket*`: `*` matches any run of characters, the rest literally. */
export function matchesGlob(id: string, glob: string): boolean {
  const pattern = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${pattern}$`).test(id) || (!glob.includes("*") && !glob.includes("/") && id.startsWith(`${glob}/`));
}

/** Scenarios selected by `--only` (any glob matches; all when none given) minus `--skip`. */
export function selectScenarios(all: AnyScenario[], only: string[], skip: string[]): AnyScenario[] {
  return all.filter(
    (s) => (only.length === 0 || only.some((g) => matchesGlob(s.id, g))) && !skip.some((g) => matchesGlob(s.id, g)),
  );
}
