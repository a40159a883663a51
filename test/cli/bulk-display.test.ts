import { describe, expect, it } from "vitest";
import { MAX_ARGS, displayArgv } from "../../src/cli/format.js";
import { progressBar } from "../../src/cli/render/human.js";
import { progressEnabled } from "../../src/cli/render/renderer.js";

/** How a bulk load looks at a terminal: long commands shortened with a count, a progress bar on the spinner line. */
describe("displayArgv with many arguments", () => {
  it("shows the first MAX_ARGS arguments and counts the rest; shorter commands are untouched", () => {
    const argv = ["ZADD", "board", ...Array.from({ length: 1_000 }, (_, i) => [String(i), `player:${i}`]).flat()];
    const shown = displayArgv(argv);
    expect(shown.startsWith("ZADD board 0 player:0 1 player:1 ")).toBe(true);
    expect(shown.endsWith(` …(+${argv.length - MAX_ARGS} more arguments)`)).toBe(true);
    expect(shown.split(" ").length).toBe(MAX_ARGS + 3);
    const exact = argv.slice(0, MAX_ARGS);
    expect(displayArgv(exact)).toBe(exact.join(" "));
  });
});

describe("progressBar", () => {
  it.each([
    [0, 1_000_000, "[░░░░░░░░░░░░░░░░░░░░]   0% 0/1,000,000"],
    [300_000, 1_000_000, "[██████░░░░░░░░░░░░░░]  30% 300,000/1,000,000"],
    [1_000, 1_000, "[████████████████████] 100% 1,000/1,000"],
  ])("%d of %d", (done, total, text) => {
    expect(progressBar(done, total)).toBe(text);
  });
});

describe("progressEnabled", () => {
  const tty = (columns: number) => ({ isTTY: true, columns }) as unknown as NodeJS.WriteStream;
  it("on a sized terminal only: a pseudo-terminal with 0 columns would send ora into an endless loop", () => {
    expect(progressEnabled({ json: false }, tty(120), {})).toBe(true);
    expect(progressEnabled({ json: false }, tty(0), {})).toBe(false);
    expect(progressEnabled({ json: true }, tty(120), {})).toBe(false);
    expect(progressEnabled({ json: false }, tty(120), { CI: "1" })).toBe(false);
  });
});
