import { Separator, select } from "@inquirer/prompts";
import type { AnyScenario, PatternEntry } from "../../../scenarios/index.js";
import { FULL_SUPPORT } from "../../runner/support.js";
import type { TourContext } from "./context.js";
import { PITFALLS, isPitfall } from "./pitfalls.js";
import type { AfterWalkthrough } from "./walkthrough.js";

/** The scenarios the tour offers, by pattern, and the one to open first (`tour lock/no-lock`). */
export interface TourStart {
  patterns: { entry: PatternEntry; scenarios: AnyScenario[] }[];
  first?: AnyScenario;
}

/**
 * The tour's menu: every scenario by pattern (pitfalls marked ⚠), the pitfall demonstrations, the sandbox, and the
 * way out. Returns when the user leaves the tour.
 */
export async function tourMenu(
  ctx: TourContext,
  start: TourStart,
  walkthrough: (def: AnyScenario) => Promise<AfterWalkthrough>,
  sandbox: (owner: string) => Promise<void>,
): Promise<void> {
  const c = ctx.c;
  const all = start.patterns.flatMap((p) => p.scenarios);
  ctx.out();
  ctx.out(
    c.bold("The guided tour.") + " Pick a pattern; each step is explained, each command shown before it is sent.",
  );
  ctx.out(c.dim("Prompts: arrows and Enter. Ctrl-C at any point deletes the run's keys and quits."));
  let next: AfterWalkthrough = "menu";
  if (start.first) next = await walkthrough(start.first);
  for (;;) {
    if (next === "pitfalls") {
      const def = await choosePitfall(ctx, all);
      next = def ? await walkthrough(def) : "menu";
      continue;
    }
    const choice = await ctx.ask(select<string>, {
      message: "Choose a walkthrough",
      pageSize: 16,
      choices: [
        ...start.patterns.flatMap((p) => [
          new Separator(c.dim(`── ${p.entry.name} · ${p.entry.chapter}`)),
          ...p.scenarios.map((s) => ({
            name: `${s.id}${isPitfall(s.id) ? " ⚠" : ""}  ${c.dim(truncate(titleOf(s), 70))}`,
            value: s.id,
            description: s.explain,
          })),
        ]),
        new Separator(" "),
        {
          name: "⚠ The pitfall demonstrations",
          value: "@pitfalls",
          description:
            "The scenarios that show what goes wrong: lost updates, expired locks, lost messages, stale caches",
        },
        { name: "Sandbox: your own commands on the run's keys", value: "@sandbox" },
        { name: "Leave the tour (deletes the run's keys)", value: "@leave" },
      ],
    });
    if (choice === "@leave") return;
    if (choice === "@sandbox") await sandbox("sandbox");
    else if (choice === "@pitfalls") next = "pitfalls";
    else next = await walkthrough(all.find((s) => s.id === choice)!);
  }
}

async function choosePitfall(ctx: TourContext, all: AnyScenario[]): Promise<AnyScenario | undefined> {
  const pitfalls = all.filter((s) => isPitfall(s.id));
  if (pitfalls.length === 0) {
    ctx.out(ctx.c.dim("   (no pitfall demonstration among these scenarios)"));
    return undefined;
  }
  const id = await ctx.ask(select<string>, {
    message: "Which pitfall?",
    choices: [
      ...pitfalls.map((s) => ({ name: `${s.id}  ${ctx.c.dim(PITFALLS[s.id]!)}`, value: s.id, description: s.explain })),
      { name: "Back to the menu", value: "@menu" },
    ],
  });
  return pitfalls.find((s) => s.id === id);
}

function titleOf(def: AnyScenario): string {
  return typeof def.title === "function" ? def.title(def.defaults, FULL_SUPPORT) : def.title;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
