import { render } from "@inquirer/testing";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli/program.js";
import { askParameter as ask, paramSpecs, type ParamSpec, type PromptContext } from "../../src/cli/tour/params.js";

/** inquirer's test renderer takes a cancelable prompt; the tour's prompt is a plain async function around one. */
const askParameter = (spec: ParamSpec, context?: PromptContext) =>
  Object.assign(ask(spec, context), { cancel: () => {} });

/** Wait until the prompt's screen shows `text` (validation runs asynchronously), failing after a second. */
async function screenShows(getScreen: () => string, text: string | RegExp): Promise<void> {
  const deadline = Date.now() + 1_000;
  const seen = () => (typeof text === "string" ? getScreen().includes(text) : text.test(getScreen()));
  while (!seen() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(getScreen()).toMatch(text);
}

/** The tour's parameter prompt, in-process with inquirer's test renderer: default shown, invalid input refused. */
describe("tour: changing a parameter", () => {
  // Named and parsed by the lock command's flags (traffic by its known choices).
  const lock = createProgram().commands.find((c) => c.name() === "lock")!;
  const specs = paramSpecs({ workers: 3, ttlMs: 150, traffic: "boundary" }, lock.options);

  it("keeps the current value on Enter", async () => {
    const { answer, events, getScreen } = await render(askParameter, specs[0]!);
    expect(getScreen()).toContain("--workers (3)");
    events.keypress("enter");
    await expect(answer).resolves.toBe(3);
  });

  it("shows the option's error for an invalid value and takes a valid one", async () => {
    const { answer, events, getScreen } = await render(askParameter, specs[0]!);
    events.type("0");
    events.keypress("enter");
    await screenShows(getScreen, "--workers must be between 2 and 50, not 0");
    events.keypress("backspace");
    events.type("5");
    events.keypress("enter");
    await expect(answer).resolves.toBe(5);
  });

  it("reads durations as --ttl does", async () => {
    const { answer, events, getScreen } = await render(askParameter, specs[1]!);
    expect(getScreen()).toContain("--ttl (e.g. 500ms, 2s, 1m) (150ms)");
    events.type("2");
    events.keypress("enter");
    await screenShows(getScreen, /missing unit/);
    events.type("s");
    events.keypress("enter");
    await expect(answer).resolves.toBe(2000);
  });

  it("offers a fixed set of values as a list, the current one selected", async () => {
    const { answer, events, getScreen } = await render(askParameter, specs[2]!);
    expect(getScreen()).toMatch(/❯ boundary/);
    events.keypress("up");
    events.keypress("enter");
    await expect(answer).resolves.toBe("burst");
  });
});
