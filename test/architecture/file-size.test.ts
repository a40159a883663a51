/**
 * Room to read: no source file under src/, scenarios/ or test/ passes 400 lines (issue 15). A file that grows past it
 * is split by role (params / steps / verdict / workers / pitfalls…; for a test, what it tests), not by line count.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "../helpers/source-files.js";

/** The files this test reads. */
const SOURCES = /\.(ts|mts|cts)$/;

const ROOT = join(import.meta.dirname, "..", "..");
const LIMIT = 400;

function lineCount(path: string): number {
  const text = readFileSync(join(ROOT, path), "utf8");
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** "path: n lines (…)" for each of `files` longer than LIMIT. */
function overLimit(files: string[]): string[] {
  return files
    .map((path) => ({ path, lines: lineCount(path) }))
    .filter((f) => f.lines > LIMIT)
    .map((f) => `${f.path}: ${f.lines} lines (at most ${LIMIT}; split it by role)`);
}

describe("file size", () => {
  it(`keeps every source file in src/ and scenarios/ within ${LIMIT} lines`, () => {
    const files = [...sourceFiles("src", SOURCES), ...sourceFiles("scenarios", SOURCES)];
    expect(files.length).toBeGreaterThan(100);
    expect(overLimit(files)).toEqual([]);
  });

  it(`keeps every test file and test helper in test/ within ${LIMIT} lines`, () => {
    const files = sourceFiles("test", SOURCES);
    expect(files.length).toBeGreaterThan(100);
    expect(overLimit(files)).toEqual([]);
  });
});
