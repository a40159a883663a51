/**
 * Layering for words: the patterns know no CLI flags. An error a pattern throws names the facts (which file, which
 * value, what is wrong) and the CLI phrases it with its flag (src/cli/commands/user-file-flags.ts, the `--db` parser).
 * Read from the syntax tree: every string or template text inside `new …Error(…)` under src/patterns/ and scenarios/
 * is checked against every long option the CLI declares.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli/program.js";
import { roleNames, UserFileError } from "../../src/patterns/shared/user-file.js";

const ROOT = join(import.meta.dirname, "..", "..");

/**
 * Scenario errors that still name a flag, and why: a scenario's error becomes the run's skip reason as written, and
 * the CLI has no hook to re-word it yet.
 */
const ALLOWED: Record<string, string[]> = {
  "scenarios/primary/server.ts": ["--server-binary"],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

function longFlags(command: Command): string[] {
  const own = command.options.map((o) => o.long).filter((f): f is string => f !== undefined);
  return [...own, ...command.commands.flatMap(longFlags)];
}

/** Each text (string literal or template piece) inside the arguments of `new SomethingError(…)`, with its line. */
function errorTexts(path: string): { line: number; text: string }[] {
  const sf = ts.createSourceFile(path, readFileSync(join(ROOT, path), "utf8"), ts.ScriptTarget.Latest, true);
  const out: { line: number; text: string }[] = [];
  const collect = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node))
      out.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text: node.text });
    node.forEachChild(collect);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && /Error$/.test(node.expression.getText(sf))) node.arguments?.forEach(collect);
    node.forEachChild(visit);
  };
  visit(sf);
  return out;
}

describe("no CLI flag names in pattern and scenario errors", () => {
  const flags = [...new Set(longFlags(createProgram()))].filter((f) => f !== "--help" && f !== "--version");

  it("finds the CLI's flags (the control)", () => {
    expect(flags).toEqual(expect.arrayContaining(["--script", "--adapter", "--acquire-script", "--db", "--prefix"]));
  });

  it("src/patterns/ and scenarios/ throw errors that name no flag", () => {
    const found: string[] = [];
    for (const path of [...sourceFiles("src/patterns"), ...sourceFiles("scenarios")]) {
      for (const { line, text } of errorTexts(path)) {
        for (const flag of flags) {
          if (new RegExp(`${flag}(?![\\w-])`).test(text) && !ALLOWED[path]?.includes(flag))
            found.push(`${path}:${line} ${flag}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it("a UserFileError words the same facts with the pattern's names or with the CLI's flags", () => {
    const err = new UserFileError("adapter", "a.json", (name) => `${name("adapter")} a.json needs ${name("script")}`);
    expect(err.message).toBe(`${roleNames("adapter")} a.json needs ${roleNames("script")}`);
    expect(err.message).not.toMatch(/--/);
    expect(err.phrase((role) => `--${role}`)).toBe("--adapter a.json needs --script");
  });
});
