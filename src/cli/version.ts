import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** This package's version, from the nearest package.json named redis-patterns (a checkout, or the bundle). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "redis-patterns" && pkg.version) return pkg.version;
    } catch {
      // not here; look one folder up
    }
    dir = dirname(dir);
  }
  return "unknown";
}
