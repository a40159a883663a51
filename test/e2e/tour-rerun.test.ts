/**
 * The tour runs a walkthrough again exactly as the first time: every scenario, in a real pseudo-terminal (tmux),
 * is walked through ("Run the whole step" at every step), then "Run it again"; each step must send commands in the
 * second run whenever it did in the first (a rerun once showed "What Redis holds now" with 0 commands and an empty
 * table), and the second run must judge the same checks.
 */
import { describe, expect, it } from "vitest";
import { catalog } from "../../scenarios/index.js";
import { useRedisServer } from "../helpers/redis.js";
import { TmuxCli, hasTmux } from "../helpers/tmux.js";

const server = useRedisServer();

const ids = (await Promise.all(catalog.map((p) => p.load()))).flat().map((s) => s.id as string);

/** `   3 ▸ What Redis holds now …  4 commands, 0.85 ms` → [title, 4] for each step of one run's output. */
function steps(text: string): [string, number][] {
  return [...text.matchAll(/^ {3}\d+ ▸ (.+?) {2}(\d+) commands?, /gm)].map((m) => [m[1]!, Number(m[2])]);
}

function checks(text: string): string[] {
  // The check's name, without the evidence a failed one carries (" — expected …").
  return [...text.matchAll(/^ {3}([✓✗]) (.+)$/gm)].map((m) => `${m[1]} ${m[2]!.split(" — ")[0]!.slice(0, 50)}`);
}

async function poll<T>(what: string, t: TmuxCli, test: (screen: string) => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const screen = t.screen();
    const found = test(screen);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the terminal shows:\n${screen}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Walk through one run: "Run the whole step" at every step prompt, until the walkthrough is over. */
async function walk(t: TmuxCli, run: number, promptsBefore: number): Promise<void> {
  let prompts = promptsBefore;
  for (;;) {
    const next = await poll("the next step prompt or the end", t, (s) => {
      if (s.split("The walkthrough is over").length - 1 >= run) return "over";
      if (s.split("Run the whole step").length - 1 > prompts) return "step";
      return undefined;
    });
    if (next === "over") return;
    prompts = t.count("Run the whole step");
    t.send("Down", "Enter");
  }
}

/** Scenarios whose set of checks depends on how the timing went: each lock scenario judges its workload window and
 * pitfall by measured timing (scenarios/lock/algorithm-run.ts), the cache ones their expiry and waves. */
const TIMING_DECIDES_CHECKS = /^(cache\/(invalidate-ttl|invalidate-versioned|stampede-.*)|lock\/.*)$/;

describe.skipIf(!hasTmux())("the tour, each scenario twice", () => {
  // One walkthrough at a time: several scenarios start throwaway servers, and parallel walkthroughs on a busy runner
  // made one of them wait past the poll deadline.
  it.each(ids)(
    "%s: the second run shows what the first did",
    async (id) => {
      const t = TmuxCli.start(["--url", server().url, "--width", "200", "tour", id], {}, { columns: 200, rows: 50 });
      try {
        await walk(t, 1, 0);
        const first = t.screen();
        const prompts = t.count("Run the whole step");
        t.send("Down", "Enter"); // Run it again
        await walk(t, 2, prompts);
        const all = t.screen();
        const second = all.slice(first.trimEnd().length);
        const a = steps(first);
        const b = steps(second);
        expect(a.length).toBeGreaterThan(0);
        expect(b.map(([title]) => title)).toEqual(a.map(([title]) => title));
        for (let i = 0; i < a.length; i++) {
          if (a[i]![1] > 0) expect(b[i]![1], `step "${a[i]![0]}" sent nothing the second time`).toBeGreaterThan(0);
        }
        // The same checks are judged again (whether a timing-sensitive one passes may differ under load). Where the
        // scenario itself chooses its checks from measured timing (an inconclusive verdict, a stampede wave that came
        // late, an early refresh that may not happen), the second run must judge checks too, not the same ones.
        if (TIMING_DECIDES_CHECKS.test(id)) expect(checks(second).length).toBeGreaterThan(0);
        else expect(checks(second).map((c) => c.slice(2))).toEqual(checks(first).map((c) => c.slice(2)));
        t.send("C-c");
        await t.exitCode();
      } finally {
        t.kill();
      }
    },
    180_000,
  );
});
