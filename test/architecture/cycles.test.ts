/**
 * No import cycles in src/ and scenarios/: a module and what it imports form a tree a reader can follow down, never a
 * loop back. Read from the TypeScript syntax tree (static imports and re-exports, `import type`, `import("…")`), so
 * a type-only loop counts too: it still means two files that cannot be understood one without the other.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";
import { sourceFiles } from "../helpers/source-files.js";

/** The files this test reads. */
const SOURCES = /(?<!\.d)\.ts$/;

/** The files (relative to the root, with "/") a file imports from this repository. */
function localImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const specs: string[] = [];
  const add = (lit: ts.Node | undefined) => {
    if (lit && ts.isStringLiteralLike(lit) && lit.text.startsWith(".")) specs.push(lit.text);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs.flatMap((spec) => {
    const abs = resolve(ROOT, dirname(file), spec).replace(/\.js$/, ".ts");
    const candidates = [abs, `${abs}.ts`, join(abs, "index.ts")];
    const found = candidates.find((c) => existsSync(c) && c.endsWith(".ts"));
    return found ? [relative(ROOT, found).split(sep).join("/")] : [];
  });
}

/** The import cycles of a graph: each strongly connected component with more than one file (or a self-import). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return cycles;
}

const FILES = [...sourceFiles("src", SOURCES), ...sourceFiles("scenarios", SOURCES)];

describe("import cycles", () => {
  it("there are none among src/ and scenarios/", () => {
    const graph = new Map(FILES.map((f) => [f, localImports(f, readFileSync(join(ROOT, f), "utf8"))]));
    expect([...graph.values()].flat().length).toBeGreaterThan(FILES.length);
    expect(importCycles(graph)).toEqual([]);
  });

  it("finds a loop, also one made of type imports and a lazy import (control)", () => {
    const files: Record<string, string> = {
      "src/cli/render/index.ts": `import type { X } from "./human.js"; export const load = () => import("./json.js");`,
      "src/cli/render/human.ts": `import type { Streams } from "./index.js";`,
      "src/cli/render/json.ts": `export const json = 1;`,
      "src/a.ts": `import { b } from "./b.js";`,
      "src/b.ts": `export { a } from "./a.js";`,
    };
    const graph = new Map(
      Object.entries(files).map(([f, text]) => [
        f,
        [...text.matchAll(/from "(\.[^"]+)"|import\("(\.[^"]+)"\)/g)].map((m) =>
          join(dirname(f), (m[1] ?? m[2])!).replace(/\.js$/, ".ts"),
        ),
      ]),
    );
    expect(importCycles(graph)).toEqual([
      ["src/a.ts", "src/b.ts"],
      ["src/cli/render/human.ts", "src/cli/render/index.ts"],
    ]);
  });
});
