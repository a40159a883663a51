import { catalog } from "../../../scenarios/index.js";
import { FULL_SUPPORT } from "../../runner/support.js";
import type { ListCliOptions } from "../options/list.js";
import { outputWidth } from "../render/renderer.js";
import { displayWidth, padEnd, truncateEnd, wrapText } from "../render/text.js";

export interface ScenarioListing {
  schemaVersion: 1;
  patterns: {
    name: string;
    chapter: string;
    summary: string;
    scenarios: { id: string; title: string; chapter?: string }[];
  }[];
}

/** Every pattern and its scenarios, from the catalog (what smoke runs and the tour offers). */
export async function listScenarios(): Promise<ScenarioListing> {
  const patterns = await Promise.all(
    catalog.map(async (entry) => {
      const scenarios = await entry.load();
      return {
        name: entry.name,
        chapter: entry.chapter,
        summary: entry.summary,
        scenarios: scenarios.map((s) => ({
          id: s.id as string,
          title: typeof s.title === "function" ? (s.title(s.defaults, FULL_SUPPORT) as string) : (s.title as string),
          ...(s.chapter ? { chapter: s.chapter as string } : {}),
        })),
      };
    }),
  );
  return { schemaVersion: 1, patterns };
}

/** `redis-patterns list`: needs no Redis. */
export async function listCommand(opts: ListCliOptions): Promise<void> {
  const listing = await listScenarios();
  if (opts.json) {
    process.stdout.write(JSON.stringify(listing, null, 2) + "\n");
    return;
  }
  const width = outputWidth(opts, process.stdout, process.env);
  const idWidth = Math.min(
    Math.max(...listing.patterns.flatMap((p) => p.scenarios.map((s) => displayWidth(s.id)))),
    Math.floor(width / 2),
  );
  const out: string[] = [];
  for (const p of listing.patterns) {
    out.push(`${p.name} · ${p.chapter}`);
    for (const line of wrapText(p.summary, width - 2)) out.push(`  ${line}`);
    for (const s of p.scenarios) {
      const room = width - idWidth - 4;
      const title = room >= 20 ? `  ${truncateEnd(s.title, room)}` : "";
      out.push(`  ${padEnd(s.id, idWidth)}${title}`.trimEnd());
    }
    out.push("");
  }
  out.push("Run one: redis-patterns tour <id> · in CI: redis-patterns smoke --only <id or glob>");
  process.stdout.write(out.map((l) => truncateEnd(l, width)).join("\n") + "\n");
}
