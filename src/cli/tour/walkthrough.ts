import { select } from "@inquirer/prompts";
import type { AnyScenario } from "../../../scenarios/index.js";
import { deleteKeys } from "../../redis/cleanup.js";
import { planRun, runScenario, type RunEvent, type StepAction } from "../../runner/runner.js";
import { FULL_SUPPORT } from "../../runner/support.js";
import { wrapText } from "../render/text.js";
import type { TourContext } from "./context.js";
import type { Option } from "commander";
import { createProgram } from "../program.js";
import { askParameter, paramSpecs, paramsLine } from "./params.js";
import { PITFALLS, isPitfall } from "./pitfalls.js";
import type { Stepper } from "./stepper.js";

type Params = Record<string, unknown>;

/** Where the tour goes when a walkthrough is left. */
export type AfterWalkthrough = "menu" | "pitfalls";

/** What a walkthrough does after the scenario run it stopped. */
type Next =
  { kind: "restart"; replayTo: number; autoRun: number; params: Params } | { kind: "menu" } | { kind: "pitfalls" };

interface StepInfo {
  index: number;
  total: number;
  title: string;
  say?: string;
}

/**
 * One scenario, step by step: each step narrated, then run whole, stepped through, skipped, repeated or gone back to.
 * Going back or repeating starts the scenario over (its keys deleted first) and replays the steps before.
 */
export class Walkthrough {
  private stepIndex = 0;
  private replayTo = 0;
  private commands: Map<string, readonly Option[]> | undefined;

  constructor(
    private readonly ctx: TourContext,
    private readonly stepper: Stepper,
    private readonly sandbox: (owner: string) => Promise<void>,
  ) {}

  /** The options of the command that runs `def` (`ratelimit` for ratelimit/fixed-window): the parameters' flags. */
  private optionsOf(def: AnyScenario): readonly Option[] {
    this.commands ??= new Map(createProgram().commands.map((cmd) => [cmd.name(), cmd.options]));
    return this.commands.get(def.id.split("/")[0]!) ?? [];
  }

  async run(def: AnyScenario): Promise<AfterWalkthrough> {
    let params: Params = structuredClone(def.defaults) as Params;
    let replayTo = 0;
    let autoRun = -1;
    let showHeader = true;
    for (;;) {
      await this.deleteScenarioKeys(def.id);
      if (showHeader) this.header(def, params);
      showHeader = false;
      let next: Next | undefined;
      this.replayTo = replayTo;
      const beforeStep = async (info: StepInfo): Promise<StepAction> => {
        this.stepIndex = info.index;
        if (info.index < replayTo) return "run";
        if (info.index === autoRun) return "run";
        return this.chooseStepAction(info, def, params, (n) => (next = n));
      };
      const result = await runScenario(planRun(def, params), this.ctx.run.env, (event) => this.onEvent(event), {
        beforeStep,
      });
      this.stepper.stop();
      const chosen = next as Next | undefined;
      if (chosen?.kind === "restart") {
        ({ replayTo, autoRun, params } = chosen);
        if (replayTo === 0 && autoRun < 0) showHeader = true;
        continue;
      }
      if (chosen?.kind === "menu" || chosen?.kind === "pitfalls") return chosen.kind;
      this.ctx.renderer.outcome(result);
      const after = await this.afterScenario();
      if (after === "again" || after === "params") {
        if (after === "params") params = await this.changeParams(def, params);
        replayTo = 0;
        autoRun = -1;
        showHeader = true;
      } else {
        return after;
      }
    }
  }

  private header(def: AnyScenario, params: Params): void {
    const { c, renderer, run } = this.ctx;
    const title = typeof def.title === "function" ? def.title(params, run.env.support ?? FULL_SUPPORT) : def.title;
    this.ctx.out();
    this.ctx.out(c.bold.cyan(`━━ ${def.id} · ${title}`));
    if (def.chapter) this.ctx.out(c.dim(`   chapter ${def.chapter}`));
    for (const line of wrapText(def.explain, renderer.width - 3)) this.ctx.out(`   ${line}`);
    if (isPitfall(def.id)) this.ctx.out(`   ${c.yellow("⚠ pitfall:")} ${PITFALLS[def.id]}`);
    const line = paramsLine(paramSpecs(params, this.optionsOf(def)));
    if (line) for (const l of wrapText(`with ${line}`, renderer.width - 3)) this.ctx.out(c.dim(`   ${l}`));
  }

  private async chooseStepAction(
    info: StepInfo,
    def: AnyScenario,
    params: Params,
    setNext: (next: Next) => void,
  ): Promise<StepAction> {
    const c = this.ctx.c;
    this.ctx.out();
    this.ctx.out(`   ${c.bold(`Step ${info.index + 1}/${info.total} · ${info.title}`)}`);
    if (info.say) for (const line of wrapText(info.say, this.ctx.renderer.width - 5)) this.ctx.out(`     ${line}`);
    for (;;) {
      const choice = await this.ctx.ask(select<string>, {
        message: `Step ${info.index + 1}/${info.total}`,
        choices: [
          {
            name: "Step through it: each command shown before it is sent (Enter sends, a sends the rest)",
            value: "step",
          },
          { name: "Run the whole step", value: "run" },
          { name: "Skip this step", value: "skip" },
          ...(info.index > 0
            ? [
                { name: "Repeat the previous step (starts over, replays the steps before it)", value: "repeat" },
                { name: "Back to the previous step", value: "back" },
              ]
            : []),
          { name: "Change parameters (starts over)", value: "params" },
          { name: "Sandbox: your own commands on the run's keys", value: "sandbox" },
          ...(isPitfall(def.id) ? [] : [{ name: "Skip to the pitfall demonstrations", value: "pitfalls" }]),
          { name: "Back to the menu", value: "menu" },
        ],
      });
      switch (choice) {
        case "step":
          this.stepper.start();
          return "run";
        case "run":
          return "run";
        case "skip":
          this.ctx.out(c.dim(`   (step ${info.index + 1} skipped: later steps may see a different state)`));
          return "skip";
        case "repeat":
          setNext({ kind: "restart", replayTo: info.index - 1, autoRun: info.index - 1, params });
          return "stop";
        case "back":
          setNext({ kind: "restart", replayTo: info.index - 1, autoRun: -1, params });
          return "stop";
        case "params":
          setNext({ kind: "restart", replayTo: 0, autoRun: -1, params: await this.changeParams(def, params) });
          return "stop";
        case "sandbox":
          await this.sandbox(def.id);
          continue;
        case "pitfalls":
          setNext({ kind: "pitfalls" });
          return "stop";
        default:
          setNext({ kind: "menu" });
          return "stop";
      }
    }
  }

  private async afterScenario(): Promise<"again" | "params" | AfterWalkthrough> {
    for (;;) {
      const choice = await this.ctx.ask(select<string>, {
        message: "The walkthrough is over",
        choices: [
          { name: "Back to the menu", value: "menu" },
          { name: "Run it again", value: "again" },
          { name: "Change parameters and run it again", value: "params" },
          { name: "Sandbox: your own commands on the run's keys", value: "sandbox" },
          { name: "The pitfall demonstrations", value: "pitfalls" },
        ],
      });
      if (choice === "sandbox") {
        await this.sandbox(this.ctx.run.env.keys.owner);
        continue;
      }
      return choice as "again" | "params" | AfterWalkthrough;
    }
  }

  /** Each parameter with its current value as the default, validated as the command-line options are. */
  private async changeParams(def: AnyScenario, current: Params): Promise<Params> {
    const params = { ...current };
    for (;;) {
      const specs = paramSpecs(params, this.optionsOf(def));
      const name = await this.ctx.ask(select<string>, {
        message: "Change which parameter?",
        pageSize: 14,
        choices: [
          { name: "Done: run with these", value: "@done" },
          ...specs.map((s) => ({ name: `${s.name} ${s.shown}`, value: s.param })),
        ],
      });
      if (name === "@done") return params;
      const spec = specs.find((s) => s.param === name)!;
      params[spec.param] = await this.ctx.ask(askParameter, spec);
    }
  }

  /** A scenario run again starts clean: its keys from the previous run (and the sandbox's in it) are deleted first. */
  private async deleteScenarioKeys(owner: string): Promise<void> {
    const { env } = this.ctx.run;
    const keys = env.keys.ownedBy(owner);
    if (keys.length === 0) return;
    const deleted = await deleteKeys(env.redis, keys);
    // Deleted, so forgotten: the run names them again, exactly as the first time (steps that list what they
    // created see the same keys on every run).
    env.keys.forget(owner);
    if (deleted > 0)
      this.ctx.out(
        this.ctx.c.dim(
          `   (deleted the ${deleted} key${deleted === 1 ? "" : "s"} of the previous run, so it starts clean)`,
        ),
      );
  }

  private onEvent(event: RunEvent): void {
    if (event.type === "step-start") this.stepIndex = event.index;
    if (event.type !== "step-end") return;
    this.stepper.stop();
    const step = event.step;
    if (step.title !== "Teardown" && this.stepIndex < this.replayTo) {
      const n = step.commands.length;
      this.ctx.out(
        this.ctx.c.dim(`   ↺ ${this.stepIndex + 1} ▸ ${step.title}  (replayed: ${n} command${n === 1 ? "" : "s"})`),
      );
      return;
    }
    this.ctx.renderer.step(step, step.title === "Teardown" ? this.stepIndex + 1 : this.stepIndex);
  }
}
