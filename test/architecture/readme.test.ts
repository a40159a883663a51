/**
 * The README stays a front page (issue 15): at most 15 KB, with what a first-time reader needs (the two set-up
 * commands, ten examples, the global options, data safety, exit codes, links), and the rest under docs/: a page per
 * pattern of the catalog. Every relative link in README.md and docs/*.md must lead to a file that exists, and a
 * `#fragment` to one of that file's headings.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { catalog } from "../../scenarios/index.js";
import { ROOT } from "../helpers/cli.js";

const README_MAX_BYTES = 15 * 1024;

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const DOCS = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `docs/${f}`);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

/** The relative links of a Markdown text (outside code blocks), as written. */
function relativeLinks(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z][a-z+.-]*:/i.test(l));
}

/** What is wrong with `link` written in `file` ("" when it resolves). */
function brokenLink(file: string, link: string): string {
  const [path, fragment] = link.split("#");
  const target = path ? normalize(join(dirname(file), path)) : file;
  if (!existsSync(join(ROOT, target))) return `${file}: ${link} (no ${target})`;
  if (fragment === undefined || statSync(join(ROOT, target)).isDirectory()) return "";
  const headings = [...read(target).matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1]!));
  return headings.includes(fragment) ? "" : `${file}: ${link} (no heading #${fragment} in ${target})`;
}

describe("README.md and docs/", () => {
  const readme = read("README.md");

  it(`README.md is at most ${README_MAX_BYTES / 1024} KB`, () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it("README.md has no line over 120 characters, table rows aside (a Markdown row cannot be wrapped)", () => {
    const long = readme
      .split("\n")
      .map((line, i) => ({ line, n: i + 1, length: [...line].length }))
      .filter(({ line, length }) => length > 120 && !line.startsWith("|"))
      .map(({ n, length }) => `README.md:${n} (${length} characters)`);
    expect(long).toEqual([]);
  });

  it("README.md has the set-up commands, ten examples, the global options, data safety, exit codes and links", () => {
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(
      expect.arrayContaining([
        "On a fresh machine",
        "Examples",
        "Options for every command",
        "Your data is safe",
        "Exit codes",
        "Documentation",
      ]),
    );
    expect(readme).toContain("npm ci && npm run build");
    expect(readme).toMatch(/^npm test\b/m);
    const examples = readme.split("## Examples")[1]!.split("## ")[0]!;
    expect(examples.match(/^redis-patterns \S+/gm)?.length ?? 0).toBeGreaterThanOrEqual(10);
    for (const code of [0, 1, 2, 3, 4, 130]) expect(readme).toMatch(new RegExp(`^\\| ${code} \\|`, "m"));
  });

  it("every pattern of the catalog has its page under docs/, linked from README.md", () => {
    for (const { name } of catalog) {
      expect(DOCS, name).toContain(`docs/${name}.md`);
      expect(readme, name).toContain(`](docs/${name}.md)`);
    }
    for (const page of ["tour", "ci", "cluster", "bench", "json", "architecture"])
      expect(readme, page).toContain(`](docs/${page}.md)`);
  });

  it("every file docs/architecture.md names exists (the example pattern's: as the hll files it says to copy)", () => {
    const named = read("docs/architecture.md").match(
      /\b(?:src|scenarios|test|bin|scripts|docs)\/[\w./-]+\.(?:ts|js|md)\b/g,
    );
    expect(named?.length ?? 0).toBeGreaterThan(10);
    const missing = [...new Set(named)]
      .map((path) => path.replace(/\bcounter\b/g, "hll"))
      .filter((path) => !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });

  it("every relative link in README.md and docs/*.md resolves, #fragments to a heading", () => {
    const broken = ["README.md", ...DOCS].flatMap((file) =>
      relativeLinks(read(file))
        .map((link) => brokenLink(file, link))
        .filter(Boolean),
    );
    expect(broken).toEqual([]);
  });
});
