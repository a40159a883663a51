/**
 * Layering for words: the patterns and scenarios know no CLI flags. An error a pattern throws names the facts (which
 * file, which value, what is wrong) and the CLI phrases it with its flag (src/cli/commands/user-file-flags.ts, the
 * `--db` parser); a scenario names a parameter through `nameParam`, which the CLI words as its flag
 * (src/cli/param-flags.ts). Read from the syntax tree: every string or template text inside `new …Error(…)` under
 * src/patterns/ and scenarios/, and in a scenario's skip reasons (its `unavailable`, and the functions it calls), is
 * checked against every long option the CLI declares. No exceptions.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { PARAM_FLAGS } from "../../src/cli/param-flags.js";
import { createProgram } from "../../src/cli/program.js";
import { roleNames, UserFileError } from "../../src/patterns/shared/user-file.js";
import { sourceFiles } from "../helpers/source-files.js";

const ROOT = join(import.meta.dirname, "..", "..");

function longFlags(command: Command): string[] {
  const own = command.options.map((o) => o.long).filter((f): f is string => f !== undefined);
  return [...own, ...command.commands.flatMap(longFlags)];
}

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(join(ROOT, path), "utf8"), ts.ScriptTarget.Latest, true);
}

/** Each text (string literal or template piece) in `node`, with its line. */
function textsIn(sf: ts.SourceFile, node: ts.Node, out: { line: number; text: string }[]): void {
  if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node))
    out.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text: node.text });
  node.forEachChild((child) => textsIn(sf, child, out));
}

/** Each text inside the arguments of `new SomethingError(…)`, with its line. */
function errorTexts(path: string): { line: number; text: string }[] {
  const sf = parse(path);
  const out: { line: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && /Error$/.test(node.expression.getText(sf)))
      node.arguments?.forEach((arg) => textsIn(sf, arg, out));
    node.forEachChild(visit);
  };
  visit(sf);
  return out;
}

/** A scenario's `unavailable` (property or method): the node and the names in it (the functions it calls or is). */
function unavailableMembers(sf: ts.SourceFile): { node: ts.Node; calls: string[] }[] {
  const out: { node: ts.Node; calls: string[] }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isPropertyAssignment(node) || ts.isMethodDeclaration(node)) && node.name.getText(sf) === "unavailable") {
      const calls: string[] = [];
      const callees = (n: ts.Node): void => {
        // A function it calls or names (`unavailable: noServerBinary`).
        if (ts.isIdentifier(n) && n !== node.name) calls.push(n.text);
        n.forEachChild(callees);
      };
      callees(node);
      out.push({ node, calls });
    }
    node.forEachChild(visit);
  };
  visit(sf);
  return out;
}

/** The texts of every skip reason the scenarios can give: their `unavailable` and the functions it calls. */
function skipReasonTexts(paths: string[]): { path: string; line: number; text: string }[] {
  const files = paths.map((path) => ({ path, sf: parse(path) }));
  const out: { path: string; line: number; text: string }[] = [];
  const called = new Set<string>();
  for (const { path, sf } of files) {
    for (const { node, calls } of unavailableMembers(sf)) {
      const texts: { line: number; text: string }[] = [];
      textsIn(sf, node, texts);
      out.push(...texts.map((t) => ({ path, ...t })));
      calls.forEach((c) => called.add(c));
    }
  }
  for (const { path, sf } of files) {
    sf.forEachChild((node) => {
      if (ts.isFunctionDeclaration(node) && node.name && called.has(node.name.text)) {
        const texts: { line: number; text: string }[] = [];
        textsIn(sf, node, texts);
        out.push(...texts.map((t) => ({ path, ...t })));
      }
    });
  }
  return out;
}

describe("no CLI flag names in pattern and scenario errors", () => {
  const flags = [...new Set(longFlags(createProgram()))].filter((f) => f !== "--help" && f !== "--version");

  it("finds the CLI's flags (the control)", () => {
    expect(flags).toEqual(expect.arrayContaining(["--script", "--adapter", "--acquire-script", "--db", "--prefix"]));
  });

  const naming = (text: string) => flags.filter((flag) => new RegExp(`${flag}(?![\\w-])`).test(text));

  it("src/patterns/ and scenarios/ throw errors that name no flag", () => {
    const found: string[] = [];
    for (const path of [...sourceFiles("src/patterns"), ...sourceFiles("scenarios")]) {
      for (const { line, text } of errorTexts(path)) found.push(...naming(text).map((f) => `${path}:${line} ${f}`));
    }
    expect(found).toEqual([]);
  });

  it("scenarios give skip reasons that name no flag", () => {
    const reasons = skipReasonTexts(sourceFiles("scenarios"));
    // The control: the reasons the server-starting scenarios give (no redis-server binary) are read.
    expect(reasons.some((r) => r.path === "scenarios/primary/server.ts" && /redis-server/.test(r.text))).toBe(true);
    const found = reasons.flatMap(({ path, line, text }) => naming(text).map((f) => `${path}:${line} ${f}`));
    expect(found).toEqual([]);
  });

  it("the CLI words each parameter a scenario names with a flag it declares", () => {
    for (const flag of Object.values(PARAM_FLAGS)) expect(flags).toContain(flag);
  });

  it("a UserFileError words the same facts with the pattern's names or with the CLI's flags", () => {
    const err = new UserFileError("adapter", "a.json", (name) => `${name("adapter")} a.json needs ${name("script")}`);
    expect(err.message).toBe(`${roleNames("adapter")} a.json needs ${roleNames("script")}`);
    expect(err.message).not.toMatch(/--/);
    expect(err.phrase((role) => `--${role}`)).toBe("--adapter a.json needs --script");
  });
});
