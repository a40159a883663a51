/**
 * Every check a scenario states says what it expected, what the run saw, and the evidence its verdict rests on (the
 * trace's commands, the values judged): a syntax-tree walk of scenarios/ finds each `….check(name, ok, details)` call
 * and requires `details` to be an object literal naming `expected`, `actual` and `evidence`. The types require the
 * same (CheckDetails in src/runner/types.ts); this test names the check that breaks the rule, and keeps a spread or
 * a details object built elsewhere from hiding one.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const REQUIRED = ["expected", "actual", "evidence"] as const;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

interface CheckSite {
  where: string;
  missing: string[];
}

/** Each `x.check(name, ok, …)` call in `text`, with the required details it does not name. */
function checkSites(file: string, text: string): CheckSite[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const sites: CheckSite[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === "check" &&
      node.arguments.length >= 2
    ) {
      const details = node.arguments[2];
      const named =
        details && ts.isObjectLiteralExpression(details)
          ? details.properties.flatMap((p) =>
              (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && ts.isIdentifier(p.name)
                ? [p.name.text]
                : [],
            )
          : [];
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      sites.push({ where: `${file}:${line}`, missing: REQUIRED.filter((k) => !named.includes(k)) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

describe("every scenario check gives expected, actual and evidence", () => {
  it("finds a check without evidence, or whose details are not spelled out, and passes a complete one", () => {
    const text = [
      'ctx.check("a", ok, { expected: 1, actual: n, evidence: () => ({ values: { n } }) });',
      'ctx.check("b", ok, { expected: 1, actual: n });',
      'ctx.check("c", ok, details);',
      'ctx.check("d", ok);',
      'ctx.check("e", ok, { expected, actual, ...rest, evidence });',
    ].join("\n");
    expect(checkSites("x.ts", text)).toEqual([
      { where: "x.ts:1", missing: [] },
      { where: "x.ts:2", missing: ["evidence"] },
      { where: "x.ts:3", missing: ["expected", "actual", "evidence"] },
      { where: "x.ts:4", missing: ["expected", "actual", "evidence"] },
      { where: "x.ts:5", missing: [] },
    ]);
  });

  it("scenarios/", () => {
    const sites = sourceFiles("scenarios").flatMap((f) => checkSites(f, readFileSync(join(ROOT, f), "utf8")));
    // The walk reaches the catalogue's checks (175 when this test was written): a walker that finds none proves
    // nothing.
    expect(sites.length).toBeGreaterThan(150);
    expect(sites.filter((s) => s.missing.length > 0).map((s) => `${s.where}: no ${s.missing.join(", ")}`)).toEqual([]);
  });
});
