#!/usr/bin/env node
import { existsSync } from "node:fs";
import module from "node:module";

// Node ≥ 22.1 keeps V8's compiled code for the bundle on disk between runs (start-up, docs/bench.md); older Node
// has no compile cache, and the call is skipped.
module.enableCompileCache?.();

// The esbuild bundle (dist/bundle, made by `npm run build` in a checkout and by `npm pack` for the package) is what
// runs, in a checkout as in the published package: few files, so it starts faster than esbuild's per-file output
// (dist/src), which runs only where no bundle was built.
const bundled = new URL("../dist/bundle/cli.js", import.meta.url);
const perFile = new URL("../dist/src/cli/main.js", import.meta.url);
const entry = existsSync(bundled) ? bundled : existsSync(perFile) ? perFile : undefined;
if (entry === undefined) {
  process.stderr.write("redis-patterns: not built yet: run `npm run build` in this checkout first\n");
  process.exit(2);
}
const { main } = await import(entry.href);

const code = await main(process.argv);
// Let stdout drain (it may be a pipe) before exiting with the code main decided.
process.stdout.write("", () => process.exit(code));
