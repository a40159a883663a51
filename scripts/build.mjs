#!/usr/bin/env node
// `npm run build`: src/ and scenarios/ to dist/ (same layout, one .js per .ts), transpiled by esbuild in well under
// a second, then the bundle bin/redis-patterns.js runs (dist/bundle, scripts/bundle.mjs), so a checkout runs what
// the published package runs. dist/src is for scripts that import one module (scripts/bench*.mjs) and for reading.
// Types are checked by `npm run typecheck` (tsc --noEmit, part of `npm test`), not here, so a fresh checkout runs
// after `npm ci && npm run build` without paying for a type check.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

function sources(dir) {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")
        ? [join(dir, e.name)]
        : [],
  );
}

for (const dir of ["src", "scenarios"]) rmSync(join(ROOT, "dist", dir), { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: [...sources("src"), ...sources("scenarios")],
  outdir: "dist",
  outbase: ".",
  format: "esm",
  platform: "node",
  target: "node20",
  tsconfig: "tsconfig.build.json",
  logLevel: "warning",
});
execFileSync(process.execPath, [join(ROOT, "scripts", "bundle.mjs")], { stdio: ["ignore", "ignore", "inherit"] });
