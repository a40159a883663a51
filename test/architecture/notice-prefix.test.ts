/**
 * One writer for the tool's own stderr lines: the `redis-patterns: ` prefix is written by src/cli/notice.ts
 * (prefixed, writeNotice) and nowhere else, so every notice, warning and error looks the same and a change of its
 * shape is one edit. Read from the syntax tree: every string literal and template text under src/, scenarios/ and
 * bin/ (comments do not count).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "../helpers/source-files.js";

/** The files this test reads. */
const SOURCES = /\.(ts|mts|js|mjs)$/;

const ROOT = join(import.meta.dirname, "..", "..");
const PREFIX = "redis-patterns: ";

/** Where the prefix may be written by hand, and why. */
const ALLOWED: Record<string, string> = {
  "src/cli/notice.ts": "the one writer",
  "bin/redis-patterns.js": "its line for a checkout not built yet: there is no compiled notice.ts to import",
};

/** The lines of `source` where a string literal or a piece of template text contains the prefix. */
function prefixWrites(path: string, source: string): number[] {
  const sf = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true);
  const lines: number[] = [];
  const visit = (node: ts.Node): void => {
    const isText =
      ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node);
    if (isText && node.text.includes(PREFIX)) lines.push(sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1);
    node.forEachChild(visit);
  };
  visit(sf);
  return lines;
}

describe("the 'redis-patterns: ' stderr prefix", () => {
  it("finds the prefix in strings and templates, not in comments (the control)", () => {
    const source = [
      "// redis-patterns: a comment",
      'process.stderr.write("redis-patterns: by hand\\n");',
      "const line = `redis-patterns: ${message}`;",
      "const other = `${a}redis-patterns: ${b}`;",
    ].join("\n");
    expect(prefixWrites("x.ts", source)).toEqual([2, 3, 4]);
    expect(prefixWrites("src/cli/notice.ts", readFileSync(join(ROOT, "src/cli/notice.ts"), "utf8"))).not.toEqual([]);
  });

  it("is written only by src/cli/notice.ts (and bin/'s not-built line)", () => {
    const files = [
      ...sourceFiles("src", SOURCES),
      ...sourceFiles("scenarios", SOURCES),
      ...sourceFiles("bin", SOURCES),
    ];
    expect(files.length).toBeGreaterThan(100);
    const offenders = files
      .filter((path) => ALLOWED[path] === undefined)
      .flatMap((path) => prefixWrites(path, readFileSync(join(ROOT, path), "utf8")).map((line) => `${path}:${line}`));
    expect(offenders, "write it through prefixed() or writeNotice() of src/cli/notice.ts").toEqual([]);
  });
});
