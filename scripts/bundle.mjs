#!/usr/bin/env node
// The code bin/redis-patterns.js runs, in a checkout (`npm run build` runs this) and in the published package
// (`npm pack` runs this, prepack): src/ bundled by esbuild into dist/bundle/ (ESM, tree-shaken, split so that a
// command loads only what it runs; `--help` loads commander and the option declarations, no Redis client). Every
// dependency is inlined except node-sqlite3-wasm (it reads its .wasm file next to its own code) and pg's optional
// native binding.
//
// Few files, because start-up pays for each module it loads (resolve, read, compile, link: about a millisecond
// each on the 2-core machine, see docs/bench.md). esbuild puts every set of modules reached by the same entry points
// into one chunk, and every `import()` of the code is an entry point, so 30-odd entries made 100-odd chunks and a
// ratelimit run loaded 50 of them. The "anchor" plugin below coarsens the sets: every module that is the target of an
// `import()` also imports src/cli/main.ts, so all that main.ts imports (commander, the option declarations: what
// `--help` runs) forms one chunk; and each command's module also imports src/cli/session.ts, so what every run needs
// (the Redis client, the runner, the renderer's entry) forms one more. The imports add no code: main.ts and
// session.ts are loaded by then anyway.
//   node scripts/bundle.mjs [--outdir DIR] [--metafile FILE]
// --metafile writes esbuild's metafile (which source went into which output file); the default build writes
// dist/bundle-meta.json beside dist/bundle (not shipped: "files" in package.json lists dist/bundle/ only), which
// test/architecture/layers.test.ts reads to tell which packages a run loaded.
import { build } from "esbuild";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const outdir = arg("--outdir") ? resolve(arg("--outdir")) : join(ROOT, "dist", "bundle");
const metafile = arg("--metafile")
  ? resolve(arg("--metafile"))
  : arg("--outdir")
    ? undefined
    : join(ROOT, "dist", "bundle-meta.json");

const MAIN = join(ROOT, "src", "cli", "main.ts");
const SESSION = join(ROOT, "src", "cli", "session.ts");
const HUMAN = join(ROOT, "src", "cli", "render", "human.ts");
const COMMANDS = join(ROOT, "src", "cli", "commands");
// Commands that open no run: they stay without session.ts (and the Redis client it brings).
const NO_SESSION = new Set(["list.ts", "completion.ts"].map((f) => join(COMMANDS, f)));

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/**
 * The sources' local imports: `static` (what a module needs before it runs; `import type` is erased) and `dynamic`
 * (every file some file loads with `import("./…")`: esbuild's dynamic entry points).
 */
function importGraph() {
  const dynamic = new Set();
  const static_ = new Map();
  for (const file of [...sources(join(ROOT, "src")), ...sources(join(ROOT, "scenarios"))]) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\bimport\(\s*["'](\.{1,2}\/[^"']+)\.js["']\s*\)/g))
      dynamic.add(resolve(dirname(file), `${m[1]}.ts`));
    const deps = [];
    for (const m of text.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?["'](\.{1,2}\/[^"']+)\.js["'];/gms))
      deps.push(resolve(dirname(file), `${m[1]}.ts`));
    static_.set(file, deps);
  }
  return { dynamic, static: static_ };
}

/** The files `roots` reach through static imports. */
function reachable(graph, roots) {
  const seen = new Set();
  const visit = (f) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const d of graph.static.get(f) ?? []) visit(d);
  };
  roots.forEach(visit);
  return seen;
}

const anchor = {
  name: "anchor",
  setup(b) {
    const graph = importGraph();
    const targets = graph.dynamic;
    // A module the anchors reach already must not import them back (a cycle): it keeps main.ts alone.
    const underAnchors = reachable(graph, [SESSION, HUMAN]);
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!targets.has(args.path)) return undefined;
      const runs = !NO_SESSION.has(args.path) && !underAnchors.has(args.path);
      const anchors = [MAIN, ...(runs ? [SESSION, HUMAN] : [])].filter((a) => a !== args.path);
      const contents = readFileSync(args.path, "utf8") + anchors.map((a) => `\nimport ${JSON.stringify(a)};`).join("");
      return { contents, loader: "ts", resolveDir: dirname(args.path) };
    });
  },
};

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
  plugins: [anchor],
  logLevel: "warning",
  metafile: true,
});
if (metafile) writeFileSync(metafile, JSON.stringify(result.metafile));
const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
const files = Object.keys(result.metafile.outputs).length;
console.log(`bundle: ${files} files, ${(bytes / 1024).toFixed(0)} KiB in ${outdir}`);
