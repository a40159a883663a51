/**
 * No line over 120 characters in src/, scenarios/ and test/. Prettier (printWidth 120) wraps code but never a
 * comment, a string or a template literal, so this test holds those to the same width: a long message is split by
 * concatenation (or its parts named), a long comment is reflowed, help text inside a template continues with a
 * backslash-newline; a test's name is worded to fit (Prettier keeps `it("…", async () => {` on one line).
 * Characters are counted as Unicode code points, as an editor's column does for this code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";
import { sourceFiles } from "../helpers/source-files.js";

/** The files this test reads. */
const SOURCES = /\.(ts|lua)$/;

const MAX_LINE = 120;

/** "file:line (n characters)" for each line of `text` longer than MAX_LINE. */
function longLines(file: string, text: string): string[] {
  return text.split("\n").flatMap((line, i) => {
    const length = [...line].length;
    return length > MAX_LINE ? [`${file}:${i + 1} (${length} characters)`] : [];
  });
}

describe(`no line over ${MAX_LINE} characters`, () => {
  it("counts code points, and flags only what is longer than the limit", () => {
    const fits = "é".repeat(MAX_LINE);
    expect(longLines("x.ts", `${fits}\n${"a".repeat(MAX_LINE + 1)}\n${fits}`)).toEqual([
      `x.ts:2 (${MAX_LINE + 1} characters)`,
    ]);
  });

  it.each(["src", "scenarios", "test"])("%s/", (dir) => {
    const files = sourceFiles(dir, SOURCES);
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((f) => longLines(f, readFileSync(join(ROOT, f), "utf8")))).toEqual([]);
  });
});
