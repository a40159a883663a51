import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./cli.js";

/**
 * The files below `dir` (relative to the repository root, as are the paths returned, with "/") whose names match
 * `pattern`, every folder walked: what the architecture tests read (file size, line length, layers, cycles, …).
 */
export function sourceFiles(dir: string, pattern: RegExp = /\.ts$/): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path, pattern));
    else if (pattern.test(entry.name)) out.push(path);
  }
  return out;
}
