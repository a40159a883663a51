/**
 * The layering rule (STYLE.md: three layers, imports pointing down, printing only in src/cli) as a test, read from the
 * TypeScript syntax tree rather than grepped, so comments and look-alike strings do not count:
 *  - library code (everything under src/ except src/cli, and scenarios/) imports no terminal-UI package (chalk, ora,
 *    commander, @inquirer/*) and never prints (console.*, process.stdout/stderr);
 *  - nothing under src/ or scenarios/ calls process.exit: only bin/redis-patterns.js exits, with main()'s code;
 *  - src/patterns imports neither src/runner nor src/cli, and one pattern's folder no other's (only shared/);
 *    src/runner does not import src/cli; src/redis imports none of the layers above it; nothing under src/ except
 *    src/cli imports scenarios/;
 *  - no file under src/ or scenarios/ sends FLUSHDB, FLUSHALL or KEYS (as a command name string, a Lua redis.call,
 *    or an ioredis method).
 * And at run time: `--help` and `--version` load none of ioredis, ora or chalk, nor node:crypto (watched by a module
 * resolve hook), while a real `ratelimit` run does (the control that shows the hook sees them). bin/ runs the
 * esbuild bundle (dist/bundle), where the packages are inlined into chunks: esbuild's metafile
 * (dist/bundle-meta.json, written by `npm run build`) says which sources each chunk holds, so a loaded chunk counts
 * as loading every package in it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { useRedisServer } from "../helpers/redis.js";
import { ROOT, assertBuilt, runCli } from "../helpers/cli.js";
import { sourceFiles } from "../helpers/source-files.js";

/** The files this test reads. */
const SOURCES = /(?<!\.d)\.(ts|mts|cts)$/;

const UI_PACKAGES = ["chalk", "ora", "commander", "@inquirer/"];
const FORBIDDEN_COMMANDS = ["flushdb", "flushall", "keys"];

/** Directory prefixes (relative to the root, with "/") and what each may not import. */
const IMPORT_RULES: { from: string; mayNotImport: string[] }[] = [
  { from: "src/patterns/", mayNotImport: ["src/runner/", "src/cli/", "scenarios/"] },
  { from: "src/runner/", mayNotImport: ["src/cli/", "scenarios/"] },
  { from: "src/redis/", mayNotImport: ["src/patterns/", "src/runner/", "src/cli/", "scenarios/", "src/doctor/"] },
  // doctor's probes and rules: beside the patterns, below the CLI; fed facts, never printing.
  { from: "src/doctor/", mayNotImport: ["src/runner/", "src/cli/", "scenarios/"] },
  { from: "scenarios/", mayNotImport: ["src/cli/"] },
];

const isLibrary = (file: string): boolean =>
  (file.startsWith("src/") && !file.startsWith("src/cli/")) || file.startsWith("scenarios/");

/**
 * Every module specifier a file refers to: static imports and re-exports, `import("…")`, `require("…")`, import
 * types.
 */
function specifiers(sf: ts.SourceFile): { spec: string; line: number }[] {
  const out: { spec: string; line: number }[] = [];
  const add = (node: ts.Node, lit: ts.Node | undefined) => {
    if (lit && ts.isStringLiteralLike(lit))
      out.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node, node.moduleReference.expression);
    else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === "require"))
    ) {
      add(node, node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** `a.b.c` for a property-access chain of identifiers, else undefined. */
function accessPath(node: ts.Expression): string | undefined {
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) {
    const base = accessPath(node.expression);
    return base === undefined ? undefined : `${base}.${node.name.text}`;
  }
  if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
    const base = accessPath(node.expression);
    return base === undefined ? undefined : `${base}.${node.argumentExpression.text}`;
  }
  return undefined;
}

function isTypeOrPropertyName(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isLiteralTypeNode(parent)) return true;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent)) &&
    parent.name === node
  )
    return true;
  return ts.isElementAccessExpression(parent) && parent.argumentExpression === node;
}

/**
 * The violations in one file (path relative to the root, with "/"). Exported shape kept small so controls can feed
 * it text.
 */
function check(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const problems: string[] = [];
  const where = (node: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;

  for (const { spec, line } of specifiers(sf)) {
    if (isLibrary(file)) {
      const pkg = UI_PACKAGES.find((p) =>
        p.endsWith("/") ? spec.startsWith(p) : spec === p || spec.startsWith(`${p}/`),
      );
      if (pkg) problems.push(`${file}:${line} imports ${spec} (terminal UI belongs in src/cli)`);
    }
    if (spec.startsWith(".")) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec))
        .split(sep)
        .join("/");
      // One pattern does not reach into another: what two patterns share lives in src/patterns/shared/.
      const own = /^src\/patterns\/([^/]+)\//.exec(file)?.[1];
      const other = /^src\/patterns\/([^/]+)\//.exec(target)?.[1];
      if (own && other && other !== own && other !== "shared")
        problems.push(
          `${file}:${line} imports ${spec}: one pattern may not depend on another (use src/patterns/shared/)`,
        );
      for (const rule of IMPORT_RULES) {
        if (!file.startsWith(rule.from)) continue;
        const bad = rule.mayNotImport.find((d) => target.startsWith(d));
        if (bad) problems.push(`${file}:${line} imports ${spec}: ${rule.from} may not depend on ${bad}`);
      }
    }
  }

  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) {
      const path = accessPath(node);
      if (isLibrary(file) && path && /^(globalThis\.)?(console\.\w+|process\.stdout|process\.stderr)$/.test(path)) {
        problems.push(`${where(node)} uses ${path} (only src/cli prints)`);
      }
      // Not even src/cli: commands throw, main() returns the exit code, bin/redis-patterns.js exits with it.
      if (path && /^(globalThis\.)?process\.(exit|reallyExit|abort)$/.test(path)) {
        problems.push(`${where(node)} uses ${path} (only bin/redis-patterns.js exits)`);
      }
    }
    // Command names as string values: "FLUSHDB", 'keys', `flushall` (not a type like Pick<T, "keys">, nor a property
    // name).
    if (
      (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) &&
      FORBIDDEN_COMMANDS.includes(node.text.trim().toLowerCase()) &&
      !isTypeOrPropertyName(node)
    ) {
      problems.push(`${where(node)} names the command ${node.text}`);
    }
    // Lua inside any string or template part: redis.call('KEYS', …), redis.pcall("flushdb").
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
      const lua = /redis\.p?call\(\s*["'](flushdb|flushall|keys)["']/i.exec(node.text);
      if (lua) problems.push(`${where(node)} runs ${lua[1]} from Lua`);
    }
    // ioredis methods: redis.flushdb(), redis.flushall(), redis.keys("pattern").
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const name = node.expression.name.text.toLowerCase();
      const firstArg = node.arguments[0];
      if (
        name === "flushdb" ||
        name === "flushall" ||
        (name === "keys" && firstArg && (ts.isStringLiteralLike(firstArg) || ts.isTemplateExpression(firstArg)))
      ) {
        problems.push(`${where(node)} calls .${node.expression.name.text}()`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return problems;
}

const FILES = [...sourceFiles("src", SOURCES), ...sourceFiles("scenarios", SOURCES)];

describe("the layering rule", () => {
  it("finds the source files", () => {
    expect(FILES.filter((f) => f.startsWith("src/patterns/")).length).toBeGreaterThan(0);
    expect(FILES.filter((f) => f.startsWith("src/runner/")).length).toBeGreaterThan(0);
    expect(FILES.filter((f) => f.startsWith("scenarios/")).length).toBeGreaterThan(0);
    expect(FILES.filter((f) => f.startsWith("src/cli/")).length).toBeGreaterThan(0);
  });

  it("holds for every file under src/ and scenarios/", () => {
    const problems = FILES.flatMap((file) => check(file, readFileSync(join(ROOT, file), "utf8")));
    expect(problems).toEqual([]);
  });

  it("src/cli is where terminal UI lives (so the rule is not vacuous)", () => {
    const cliImports = FILES.filter((f) => f.startsWith("src/cli/")).flatMap((f) =>
      specifiers(ts.createSourceFile(f, readFileSync(join(ROOT, f), "utf8"), ts.ScriptTarget.Latest, true)).map(
        (s) => s.spec,
      ),
    );
    expect(cliImports).toEqual(expect.arrayContaining(["commander", "chalk"]));
  });

  it("catches each kind of violation (control)", () => {
    const bad = `
      import chalk from "chalk";
      import type { Command } from "commander";
      import { select } from "@inquirer/prompts";
      import { runSession } from "../../cli/session.js";
      import { runScenario } from "../../runner/runner.js";
      const ora = await import("ora");
      // comments mentioning console.log, process.exit and KEYS do not count
      console.log("x");
      globalThis.console.error("x");
      process.stdout.write("x");
      process.exit(1);
      await redis.call("FLUSHDB");
      await redis.flushall();
      await redis.keys("user:*");
      const lua = \`local all = redis.call('KEYS', ARGV[1])\`;
      const fine = ["never KEYS", Object.keys({}), new Map().keys(), { "keys": 1 }["keys"]];
      type AlsoFine = Pick<Map<string, string>, "keys">;
    `;
    const problems = check("src/patterns/example/bad.ts", bad);
    expect(problems.join("\n")).toMatchInlineSnapshot(`
      "src/patterns/example/bad.ts:2 imports chalk (terminal UI belongs in src/cli)
      src/patterns/example/bad.ts:3 imports commander (terminal UI belongs in src/cli)
      src/patterns/example/bad.ts:4 imports @inquirer/prompts (terminal UI belongs in src/cli)
      src/patterns/example/bad.ts:5 imports ../../cli/session.js: src/patterns/ may not depend on src/cli/
      src/patterns/example/bad.ts:6 imports ../../runner/runner.js: src/patterns/ may not depend on src/runner/
      src/patterns/example/bad.ts:7 imports ora (terminal UI belongs in src/cli)
      src/patterns/example/bad.ts:9 uses console.log (only src/cli prints)
      src/patterns/example/bad.ts:10 uses globalThis.console.error (only src/cli prints)
      src/patterns/example/bad.ts:11 uses process.stdout (only src/cli prints)
      src/patterns/example/bad.ts:12 uses process.exit (only bin/redis-patterns.js exits)
      src/patterns/example/bad.ts:13 names the command FLUSHDB
      src/patterns/example/bad.ts:14 calls .flushall()
      src/patterns/example/bad.ts:15 calls .keys()
      src/patterns/example/bad.ts:16 runs KEYS from Lua"
    `);
    expect(check("src/runner/bad.ts", `import { x } from "../cli/program.js";`)).toHaveLength(1);
    expect(check("src/redis/bad.ts", `import { x } from "../patterns/ratelimit/index.js";`)).toHaveLength(1);
    expect(check("src/patterns/hll/bad.ts", `import { x } from "../analytics/random.js";`)).toHaveLength(1);
    expect(check("src/patterns/hll/ok.ts", `import { x } from "../shared/random.js";`)).toEqual([]);
    expect(check("scenarios/x/bad.ts", `import { x } from "../../src/cli/program.js"; console.log(x);`)).toHaveLength(
      2,
    );
    // The CLI may print and import UI packages, but it may not flush or exit either.
    expect(check("src/cli/ok.ts", `import chalk from "chalk"; console.log(chalk.red("x"));`)).toEqual([]);
    expect(check("src/cli/bad.ts", `process.exit(130);`)).toEqual([
      "src/cli/bad.ts:1 uses process.exit (only bin/redis-patterns.js exits)",
    ]);
    expect(check("src/cli/bad.ts", `await redis.call("flushall");`)).toHaveLength(1);
  });
});

describe("--help and --version load no Redis client and no terminal UI", () => {
  const server = useRedisServer();
  const HOOK = join(ROOT, "test", "architecture", "fixtures", "log-resolve.mjs");
  const HEAVY = ["ioredis", "ora", "chalk"];
  const dir = mkdtempSync(join(tmpdir(), "redis-patterns-resolve-"));
  let n = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The packages (under node_modules) whose code each bundle file holds, from esbuild's metafile. */
  function chunkPackages(): Map<string, Set<string>> {
    const meta = JSON.parse(readFileSync(join(ROOT, "dist", "bundle-meta.json"), "utf8")) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const chunks = new Map<string, Set<string>>();
    for (const [output, { inputs }] of Object.entries(meta.outputs)) {
      const packages = new Set<string>();
      for (const input of Object.keys(inputs)) {
        const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
        if (m) packages.add(m[1]!);
      }
      chunks.set(resolve(ROOT, output), packages);
    }
    return chunks;
  }

  /** Run the built CLI with the resolve hook; return the packages it loaded (resolved, or in a loaded bundle chunk). */
  async function loaded(
    args: string[],
  ): Promise<{ code: number | null; packages: Set<string>; lines: string[]; stderr: string }> {
    assertBuilt();
    const log = join(dir, `resolve-${++n}.log`);
    const result = await runCli(args, { nodeArgs: ["--import", HOOK], env: { RESOLVE_LOG: log } });
    let lines: string[] = [];
    try {
      lines = readFileSync(log, "utf8").trim().split("\n");
    } catch {
      // no log at all: the assertions below report it
    }
    const packages = new Set<string>();
    const chunks = chunkPackages();
    for (const line of lines) {
      const url = line.split("\t")[1] ?? "";
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
      if (m) packages.add(m[1]!);
      if (url.startsWith("file:")) for (const p of chunks.get(fileURLToPath(url)) ?? []) packages.add(p);
    }
    return { code: result.code, packages, lines, stderr: result.stderr };
  }

  it.each([
    ["--help"],
    ["-h"],
    ["--version"],
    ["-V"],
    ["ratelimit", "--help"],
    ["cleanup", "--help"],
    ["help", "ratelimit"],
  ])("%s", async (...args) => {
    const run = await loaded(args);
    expect(run.code, run.stderr).toBe(0);
    // The hook did see this run: the bundle's entry (what bin/ runs) and commander, which --help needs.
    expect(run.lines.some((l) => l.includes("/dist/bundle/cli.js"))).toBe(true);
    expect(run.packages.has("commander")).toBe(true);
    for (const pkg of HEAVY) expect(run.packages.has(pkg), `${args.join(" ")} loaded ${pkg}`).toBe(false);
    // Nor node:crypto (about 8 ms of start-up): a run's prefix and scripts need it, help does not.
    expect(run.lines.filter((l) => l.includes("node:crypto"))).toEqual([]);
  });

  it("no arguments at all (help on stderr, exit 2)", async () => {
    const run = await loaded([]);
    expect(run.code).toBe(2);
    expect(run.packages.has("commander")).toBe(true);
    for (const pkg of HEAVY) expect(run.packages.has(pkg), `loaded ${pkg}`).toBe(false);
  });

  it("control: a real ratelimit run does load ioredis and chalk, seen by the same hook", async () => {
    const run = await loaded(["ratelimit", "--algo", "fixed-window", "--url", server().url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.packages.has("ioredis")).toBe(true);
    expect(run.packages.has("chalk")).toBe(true);
    // fast-check shrinks the failures of the user's own limiter (--script): a run of the built-in ones never loads it.
    // (The ratelimit command imports its --script half only when asked for it.)
    expect(run.packages.has("fast-check")).toBe(false);
  });
});
