#!/usr/bin/env node
// The published package's code: src/ bundled by esbuild into dist/bundle/ (ESM, tree-shaken, split so that a
// command loads only what it runs; `--help` loads commander and the option declarations, nothing else). Every
// dependency is inlined except node-sqlite3-wasm (it reads its .wasm file next to its own code) and pg's optional
// native binding. bin/redis-patterns.js runs the bundle when dist/src (tsc's output, for a checkout) is absent,
// which is the case in the tarball (see "files" in package.json). `npm pack` runs this (prepack).
//   node scripts/bundle.mjs [--outdir DIR]
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const i = process.argv.indexOf("--outdir");
const outdir = i > 0 ? resolve(process.argv[i + 1]) : join(ROOT, "dist", "bundle");

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  // bench's worker thread is started from `new URL("./worker.js", import.meta.url)`: an entry beside the chunks.
  entryPoints: { cli: "src/cli/main.ts", worker: "src/bench/worker.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minifySyntax: true,
  legalComments: "none",
  external: ["node-sqlite3-wasm", "pg-native", "cloudflare:sockets"],
  // CommonJS dependencies (commander, ioredis, pg) call require() for Node's modules.
  banner: {
    js: 'import { createRequire as __rpRequire } from "node:module"; const require = __rpRequire(import.meta.url);',
  },
  logLevel: "warning",
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
const files = Object.keys(result.metafile.outputs).length;
console.log(`bundle: ${files} files, ${(bytes / 1024).toFixed(0)} KiB in ${outdir}`);
