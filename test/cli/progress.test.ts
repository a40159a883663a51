import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { delayedProgress, delayedSpinner } from "../../src/cli/render/progress.js";

/**
 * The spinner lines on stderr, drawn by ora into a stand-in terminal (a stream that says it is a TTY and keeps what
 * it is sent). No timing is asserted: the tests wait for a line to appear, however long the machine takes.
 */
function fakeTerminal(): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, {
    isTTY: true,
    columns: 100,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    text: () => chunks.join(""),
  }) as unknown as NodeJS.WriteStream & { text: () => string };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe("spinners", () => {
  // ora draws only where it believes it is interactive; CI=… in the test's own environment would stop it.
  beforeEach(() => {
    vi.stubEnv("CI", undefined);
    vi.stubEnv("TERM", "xterm");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("a delayed progress line counts seconds from the start of the work, not from when it appears", async () => {
    const terminal = fakeTerminal();
    // Shown after 1.1 s: by then at least one whole second of the work has passed, so the first line says ≥ 1 s.
    const progress = delayedProgress({ json: false }, "connecting to a throwaway redis-server", 1_100, terminal, {});
    try {
      await until(() => terminal.text().includes("connecting to a throwaway redis-server"));
    } finally {
      progress.stop();
    }
    const first = /connecting to a throwaway redis-server {2}(\d+) s/.exec(terminal.text());
    expect(first, terminal.text()).not.toBeNull();
    expect(Number(first![1])).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("a step's spinner shows nothing for a step that ends at once, and a longer step's latest text", async () => {
    const terminal = fakeTerminal();
    const spinner = delayedSpinner(terminal, 50);
    spinner.start("step 1/2: quick");
    spinner.stop();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(terminal.text()).toBe("");

    spinner.start("step 2/2: slow");
    spinner.update("step 2/2: slow [█░░░]  25%");
    await until(() => terminal.text().includes("step 2/2: slow [█░░░]  25%"));
    spinner.stop();
    expect(terminal.text()).not.toContain("quick");
  }, 60_000);
});
