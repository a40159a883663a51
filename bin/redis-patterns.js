#!/usr/bin/env node
import { existsSync } from "node:fs";

// A checkout runs tsc's output (dist/src, `npm run build`); the published package ships only the esbuild bundle
// (dist/bundle, made by `npm pack`), which starts faster: fewer, smaller files.
const built = new URL("../dist/src/cli/main.js", import.meta.url);
const bundled = new URL("../dist/bundle/cli.js", import.meta.url);
const checkout = existsSync(built);
if (!checkout && !existsSync(bundled)) {
  process.stderr.write("redis-patterns: not built yet: run `npm run build` in this checkout first\n");
  process.exit(2);
}
const { main } = await import(checkout ? built.href : bundled.href);

const code = await main(process.argv);
// Let stdout drain (it may be a pipe) before exiting with the code main decided.
process.stdout.write("", () => process.exit(code));
