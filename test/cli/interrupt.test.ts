import { describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import { watchInterrupts } from "../../src/cli/interrupt.js";

describe("watchInterrupts: the first signal aborts, the second stops waiting (no process.exit)", () => {
  it("calls onFirst once, then rejects `forced` with InterruptedError", async () => {
    let first = 0;
    const watch = watchInterrupts(() => (first += 1));
    try {
      process.emit("SIGINT");
      expect(first).toBe(1);
      const work = new Promise<string>(() => undefined); // a run that never ends by itself
      const raced = Promise.race([work, watch.forced]);
      process.emit("SIGHUP");
      await expect(raced).rejects.toBeInstanceOf(InterruptedError);
      expect(first).toBe(1);
    } finally {
      watch.dispose();
    }
    expect(process.listenerCount("SIGINT")).toBe(0);
  });
});
