import { Separator, expand, input, select } from "@inquirer/prompts";
import { Chalk, type ChalkInstance } from "chalk";
import type { Redis } from "ioredis";
import { catalog, type AnyScenario, type PatternEntry } from "../../../scenarios/index.js";
import { ExitCode, InterruptedError, UsageError } from "../../errors.js";
import { deleteKeys } from "../../redis/cleanup.js";
import { argToString } from "../../redis/recorder.js";
import { cleanupRun, planRun, runScenario, type RunEvent, type StepAction } from "../../runner/runner.js";
import type { ScenarioResult } from "../../runner/types.js";
import type { TourCliOptions } from "../options/tour.js";
import { displayArgv, formatReply } from "../format.js";
import { HumanRenderer } from "../render/human.js";
import { colorEnabled, type Streams } from "../render/index.js";
import { wrapText } from "../render/text.js";
import { traceLines } from "../render/trace.js";
import { openRun, type OpenRun } from "../session.js";
import { askParameter, paramSpecs, type PromptContext } from "./params.js";
import { PITFALLS, isPitfall } from "./pitfalls.js";
import { planSandboxCommand, tokenize } from "./sandbox.js";
import { FULL_SUPPORT } from "../../runner/support.js";

export interface TourIo extends Streams {
  stdin: NodeJS.ReadStream;
}

const defaultIo = (): TourIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

type Params = Record<string, unknown>;

/** What a walkthrough does after the scenario run it stopped. */
type Next =
  { kind: "restart"; replayTo: number; autoRun: number; params: Params } | { kind: "menu" } | { kind: "pitfalls" };

/** A Ctrl-C inside a prompt (inquirer's ExitPromptError) or a prompt cancelled by our abort signal. */
function isPromptCancel(err: unknown): boolean {
  return err instanceof Error && (err.name === "ExitPromptError" || err.name === "AbortPromptError");
}

/** Which scenarios `tour [pattern]` starts with; throws a usage error (before connecting) for an unknown name. */
export async function selectStart(
  pattern: string | undefined,
): Promise<{ patterns: { entry: PatternEntry; scenarios: AnyScenario[] }[]; first?: AnyScenario }> {
  const loaded = await Promise.all(catalog.map(async (entry) => ({ entry, scenarios: await entry.load() })));
  if (pattern === undefined) return { patterns: loaded };
  const byName = loaded.find((p) => p.entry.name === pattern);
  if (byName) return { patterns: [byName] };
  for (const p of loaded) {
    const def = p.scenarios.find((s) => s.id === pattern);
    if (def) return { patterns: [p], first: def };
  }
  throw new UsageError(
    `unknown pattern "${pattern}": choose one of ${loaded.map((p) => p.entry.name).join(", ")}, or a scenario id such as lock/no-lock`,
  );
}

/**
 * The guided tour: a menu of every scenario, walkthroughs that narrate each step, show each command before it is
 * sent and run it on Enter, parameters to change, and a sandbox for the user's own commands. Prompts render on
 * stderr, steps and traces on stdout. The run's keys are deleted when the tour is left, also after Ctrl-C.
 */
export async function runTour(opts: TourCliOptions, io: TourIo = defaultIo()): Promise<void> {
  const start = await selectStart(opts.pattern);
  const renderer = await HumanRenderer.create(opts, io);
  const run = await openRun(opts, { notice: (message) => renderer.notice(message) });
  const tour = new Tour(opts, io, renderer, run);
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(ExitCode.interrupted);
    io.stderr.write("\nredis-patterns: interrupted: cleaning up the run's keys (Ctrl-C again to quit at once)\n");
    run.controller.abort();
  };
  // SIGHUP too: a closed terminal window must not leave the run's keys behind.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  renderer.header(run.connection.target, run.prefix, opts.keep === true);
  let fatal: unknown;
  try {
    await tour.main(start);
  } catch (err) {
    fatal = err;
  }
  run.recorder.setGate(undefined);
  const cleanup = await cleanupRun(run.env, opts.keep === true);
  await run.connection.close();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(signal, onSignal);
  tour.finish(cleanup);
  if (isPromptCancel(fatal) || run.controller.signal.aborted) throw new InterruptedError();
  if (fatal !== undefined) throw fatal;
  if (cleanup.error) throw new Error(`cleanup failed: ${cleanup.error}`);
}

class Tour {
  private readonly c: ChalkInstance;
  private readonly shownScripts = new Set<string>();
  /** Step-through mode for the running step: each command waits for the user. */
  private stepping = false;
  /** "a": the rest of the step runs without stopping. */
  private sendRest = false;
  private gateQueue: Promise<void> = Promise.resolve();
  private stopReplies: (() => void) | undefined;
  private readonly pendingReplies: string[] = [];
  private stepIndex = 0;
  private replayTo = 0;

  constructor(
    opts: TourCliOptions,
    private readonly io: TourIo,
    private readonly renderer: HumanRenderer,
    private readonly run: OpenRun,
  ) {
    this.c = new Chalk({ level: colorEnabled(opts, io.stdout, io.env) ? 1 : 0 });
    this.gateBatches(run.env.redis, "main");
    const newClient = run.env.newClient;
    run.env.newClient = async (label, options) => {
      const client = await newClient(label, options);
      this.gateBatches(client, label);
      return client;
    };
  }

  private out(line = ""): void {
    this.io.stdout.write(line + "\n");
  }

  /** A prompt on stderr, cancelled by Ctrl-C (in the prompt, or by the signal): then the run is interrupted. */
  private async ask<V, C>(
    prompt: (config: C, context?: PromptContext) => Promise<V>,
    config: C,
    clear = false,
  ): Promise<V> {
    try {
      return await prompt(config, {
        input: this.io.stdin,
        output: this.io.stderr,
        signal: this.run.controller.signal,
        clearPromptOnDone: clear,
      });
    } catch (err) {
      if (isPromptCancel(err)) {
        this.run.recorder.setGate(undefined);
        this.run.controller.abort();
        throw new InterruptedError();
      }
      throw err;
    }
  }

  async main(start: Awaited<ReturnType<typeof selectStart>>): Promise<void> {
    const c = this.c;
    this.out();
    this.out(
      c.bold("The guided tour.") + " Pick a pattern; each step is explained, each command shown before it is sent.",
    );
    this.out(c.dim("Prompts: arrows and Enter. Ctrl-C at any point deletes the run's keys and quits."));
    let next: "menu" | "pitfalls" = "menu";
    if (start.first) next = await this.walkthrough(start.first);
    for (;;) {
      if (next === "pitfalls") {
        const def = await this.choosePitfall(start.patterns.flatMap((p) => p.scenarios));
        next = def ? await this.walkthrough(def) : "menu";
        continue;
      }
      const choice = await this.ask(select<string>, {
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
      if (choice === "@sandbox") {
        await this.sandbox("sandbox");
        continue;
      }
      if (choice === "@pitfalls") {
        next = "pitfalls";
        continue;
      }
      const def = start.patterns.flatMap((p) => p.scenarios).find((s) => s.id === choice)!;
      next = await this.walkthrough(def);
    }
  }

  private async choosePitfall(all: AnyScenario[]): Promise<AnyScenario | undefined> {
    const pitfalls = all.filter((s) => isPitfall(s.id));
    if (pitfalls.length === 0) {
      this.out(this.c.dim("   (no pitfall demonstration among these scenarios)"));
      return undefined;
    }
    const id = await this.ask(select<string>, {
      message: "Which pitfall?",
      choices: [
        ...pitfalls.map((s) => ({
          name: `${s.id}  ${this.c.dim(PITFALLS[s.id]!)}`,
          value: s.id,
          description: s.explain,
        })),
        { name: "Back to the menu", value: "@menu" },
      ],
    });
    return pitfalls.find((s) => s.id === id);
  }

  /** One scenario, step by step. Going back or repeating starts the scenario over and replays the steps before. */
  private async walkthrough(def: AnyScenario): Promise<"menu" | "pitfalls"> {
    let params: Params = structuredClone(def.defaults) as Params;
    let replayTo = 0;
    let autoRun = -1;
    let showHeader = true;
    for (;;) {
      await this.deleteScenarioKeys(def.id);
      if (showHeader) this.scenarioHeader(def, params);
      showHeader = false;
      let next: Next | undefined;
      this.replayTo = replayTo;
      const beforeStep = async (info: {
        index: number;
        total: number;
        title: string;
        say?: string;
      }): Promise<StepAction> => {
        this.stepIndex = info.index;
        if (info.index < replayTo) return "run";
        if (info.index === autoRun) return "run";
        return this.chooseStepAction(info, def, params, (n) => (next = n));
      };
      const result: ScenarioResult = await runScenario(
        planRun(def, params),
        this.run.env,
        (event) => this.onEvent(event),
        { beforeStep },
      );
      this.stopStepping();
      const chosen = next as Next | undefined;
      if (chosen?.kind === "restart") {
        ({ replayTo, autoRun, params } = chosen);
        if (replayTo === 0 && autoRun < 0) showHeader = true;
        continue;
      }
      if (chosen?.kind === "menu" || chosen?.kind === "pitfalls") return chosen.kind;
      this.renderer.outcome(result);
      const after = await this.afterScenario();
      if (after === "again") {
        replayTo = 0;
        autoRun = -1;
        showHeader = true;
      } else if (after === "params") {
        params = await this.changeParams(params);
        replayTo = 0;
        autoRun = -1;
        showHeader = true;
      } else {
        return after;
      }
    }
  }

  private scenarioHeader(def: AnyScenario, params: Params): void {
    const c = this.c;
    this.out();
    this.out(
      c.bold.cyan(
        `━━ ${def.id} · ${typeof def.title === "function" ? def.title(params, this.run.env.support ?? FULL_SUPPORT) : def.title}`,
      ),
    );
    if (def.chapter) this.out(c.dim(`   chapter ${def.chapter}`));
    for (const line of wrapText(def.explain, this.renderer.width - 3)) this.out(`   ${line}`);
    if (isPitfall(def.id)) this.out(`   ${c.yellow("⚠ pitfall:")} ${PITFALLS[def.id]}`);
  }

  private async chooseStepAction(
    info: { index: number; total: number; title: string; say?: string },
    def: AnyScenario,
    params: Params,
    setNext: (next: Next) => void,
  ): Promise<StepAction> {
    const c = this.c;
    this.out();
    this.out(`   ${c.bold(`Step ${info.index + 1}/${info.total} · ${info.title}`)}`);
    if (info.say) for (const line of wrapText(info.say, this.renderer.width - 5)) this.out(`     ${line}`);
    for (;;) {
      const choice = await this.ask(select<string>, {
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
          this.startStepping();
          return "run";
        case "run":
          return "run";
        case "skip":
          this.out(c.dim(`   (step ${info.index + 1} skipped: later steps may see a different state)`));
          return "skip";
        case "repeat":
          setNext({ kind: "restart", replayTo: info.index - 1, autoRun: info.index - 1, params });
          return "stop";
        case "back":
          setNext({ kind: "restart", replayTo: info.index - 1, autoRun: -1, params });
          return "stop";
        case "params":
          setNext({ kind: "restart", replayTo: 0, autoRun: -1, params: await this.changeParams(params) });
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

  private async afterScenario(): Promise<"again" | "params" | "menu" | "pitfalls"> {
    for (;;) {
      const choice = await this.ask(select<string>, {
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
        await this.sandbox(this.run.env.keys.owner);
        continue;
      }
      return choice as "again" | "params" | "menu" | "pitfalls";
    }
  }

  /** Each parameter with its current value as the default, validated as the command-line options are. */
  private async changeParams(current: Params): Promise<Params> {
    const params = { ...current };
    for (;;) {
      const specs = paramSpecs(params);
      const name = await this.ask(select<string>, {
        message: "Change which parameter?",
        pageSize: 14,
        choices: [
          { name: "Done: run with these", value: "@done" },
          ...specs.map((s) => ({ name: `${s.name} = ${s.shown}`, value: s.name })),
        ],
      });
      if (name === "@done") return params;
      const spec = specs.find((s) => s.name === name)!;
      params[spec.name] = await this.ask(askParameter, spec);
    }
  }

  /** The user's own commands, on the run's connection (recorded), every key placed under the run's prefix. */
  private async sandbox(owner: string): Promise<void> {
    const c = this.c;
    const { prefix, env, recorder } = this.run;
    this.out();
    this.out(
      c.bold("Sandbox") +
        `  your commands go to the server as typed, except that every key name is placed under ${c.bold(prefix + ":")}`,
    );
    this.out(
      c.dim(
        `   (SET greeting hi sends SET ${prefix}:greeting hi; the run deletes them at the end). Commands that could touch other`,
      ),
    );
    this.out(c.dim("   data (FLUSHALL, KEYS, CONFIG SET, scripts…) are refused. An empty line or .exit goes back."));
    const previousOwner = env.keys.owner;
    env.keys.owner = owner;
    try {
      for (;;) {
        const line = (await this.ask(input, { message: `${prefix}>` })).trim();
        if (line === "" || line === ".exit" || line === "exit") return;
        let argv: string[];
        try {
          argv = tokenize(line);
        } catch (err) {
          this.out(`   ${c.red("✗")} ${(err as Error).message}`);
          continue;
        }
        const plan = planSandboxCommand(argv, prefix);
        if (!plan.ok) {
          this.out(`   ${c.red("✗")} ${plan.reason}`);
          continue;
        }
        for (const key of plan.keys) this.registerKey(key);
        const mark = recorder.mark();
        try {
          await env.redis.call(plan.argv[0]!, ...plan.argv.slice(1));
        } catch (err) {
          if (err instanceof InterruptedError) throw err;
          // An error reply: the trace shows it.
        }
        for (const l of traceLines(recorder.since(mark), "full", c, {
          showLua: false,
          shownScripts: this.shownScripts,
          indent: "   ",
        }))
          this.out(l);
      }
    } finally {
      env.keys.owner = previousOwner;
    }
  }

  private registerKey(key: string): void {
    const { prefix, env } = this.run;
    try {
      env.keys.key(key.slice(prefix.length + 1));
    } catch {
      // Already named by a scenario of this run: it is deleted at the end all the same.
    }
  }

  /** A scenario run again starts clean: its keys from the previous run (and the sandbox's in it) are deleted first. */
  private async deleteScenarioKeys(owner: string): Promise<void> {
    const keys = this.run.env.keys.ownedBy(owner);
    if (keys.length === 0) return;
    const deleted = await deleteKeys(this.run.env.redis, keys);
    // Deleted, so forgotten: the run names them again, exactly as the first time (steps that list what they
    // created see the same keys on every run).
    this.run.env.keys.forget(owner);
    if (deleted > 0)
      this.out(
        this.c.dim(
          `   (deleted the ${deleted} key${deleted === 1 ? "" : "s"} of the previous run, so it starts clean)`,
        ),
      );
  }

  private onEvent(event: RunEvent): void {
    if (event.type === "step-start") this.stepIndex = event.index;
    if (event.type !== "step-end") return;
    this.stopStepping();
    const step = event.step;
    if (step.title !== "Teardown" && this.stepIndex < this.replayTo) {
      this.out(
        this.c.dim(
          `   ↺ ${this.stepIndex + 1} ▸ ${step.title}  (replayed: ${step.commands.length} command${step.commands.length === 1 ? "" : "s"})`,
        ),
      );
      return;
    }
    this.renderer.step(step, step.title === "Teardown" ? this.stepIndex + 1 : this.stepIndex);
  }

  private startStepping(): void {
    this.stepping = true;
    this.sendRest = false;
    this.run.recorder.setGate((argv, client) => this.gate([argv], client));
    // Each reply under the command it answers. Replies arrive while the next prompt may be open (concurrent workers),
    // so they are held and written before the next command is shown (a prompt owns the lines it draws).
    this.stopReplies = this.run.recorder.onCommand((cmd, event) => {
      if (event !== "replied" || this.sendRest || cmd.phase === "handshake" || cmd.batch) return;
      const reply = formatReply(cmd.reply, cmd.error);
      const who = cmd.client === "main" ? "" : `[${cmd.client}] `;
      this.pendingReplies.push(
        `       ${this.c.dim(`${who}→`)} ${cmd.error !== undefined ? this.c.red(reply) : this.c.green(reply)}`,
      );
    });
  }

  private flushReplies(): void {
    for (const line of this.pendingReplies.splice(0)) this.io.stderr.write(line + "\n");
  }

  private stopStepping(): void {
    if (this.stepping) this.flushReplies();
    this.stepping = false;
    this.run.recorder.setGate(undefined);
    this.stopReplies?.();
    this.stopReplies = undefined;
  }

  /** Show the command(s) about to be sent and wait for Enter; "a" lets the rest of the step run. One at a time. */
  private gate(batch: string[][], client: string, kind?: string): Promise<void> {
    const next = this.gateQueue.then(async () => {
      if (!this.stepping || this.sendRest || this.run.controller.signal.aborted) return;
      this.flushReplies();
      const c = this.c;
      const who = client === "main" ? "" : c.magenta(`[${client}] `);
      if (kind) this.io.stderr.write(`     ${c.dim(`next ▸ ${who}${kind}, one round trip:`)}\n`);
      const shown = batch.length > 12 ? [...batch.slice(0, 10), undefined, batch[batch.length - 1]!] : batch;
      for (const argv of shown) {
        this.io.stderr.write(
          argv
            ? `     ${kind ? "  " : c.dim("next ▸ ") + who}${c.cyan(displayArgv(argv))}\n`
            : `       ${c.dim(`… ${batch.length - 11} more`)}\n`,
        );
      }
      const answer = await this.ask(
        expand<string>,
        {
          // The keys spelled out (inquirer's own hint would read "(Sah)").
          message: "Send it? Enter or s: send it · a: send the rest of this step",
          theme: { style: { defaultAnswer: () => "" } },
          default: "s",
          choices: [
            { key: "s", name: "send it", value: "send" },
            { key: "a", name: "send the rest of this step without stopping", value: "all" },
          ],
        },
        true,
      );
      if (answer === "all") this.sendRest = true;
    });
    this.gateQueue = next.catch(() => undefined);
    return next;
  }

  /**
   * Pipelines and MULTI blocks go out in one write, so they cannot wait command by command: in step-through mode the
   * whole batch is shown before `exec` and sent on Enter.
   */
  private gateBatches(redis: Redis, client: string): void {
    for (const method of ["pipeline", "multi"] as const) {
      const target = redis as unknown as Record<string, (...args: unknown[]) => unknown>;
      const original = target[method]!.bind(redis);
      target[method] = (...args: unknown[]) => {
        const batch = original(...args) as {
          exec?: (...a: unknown[]) => Promise<unknown>;
          _queue?: { name: string; args: unknown[] }[];
        };
        if (!batch || typeof batch.exec !== "function") return batch;
        const exec = batch.exec.bind(batch);
        batch.exec = async (...a: unknown[]) => {
          if (this.stepping && !this.sendRest) {
            const queued = (batch._queue ?? []).map((cmd) => [cmd.name.toUpperCase(), ...cmd.args.map(argToString)]);
            if (method === "multi") queued.push(["EXEC"]);
            await this.gate(queued, client, method === "multi" ? "MULTI/EXEC transaction" : "pipeline");
          }
          return exec(...a);
        };
        return batch;
      };
    }
  }

  finish(cleanup: { kept: boolean; keys: number; deleted: number; error?: string }): void {
    const c = this.c;
    this.out();
    if (cleanup.kept) {
      this.out(
        `${c.bold("Kept")} ${cleanup.keys} key name${cleanup.keys === 1 ? "" : "s"} under ${this.run.prefix}; remove them with: redis-patterns cleanup --prefix ${this.run.prefix}`,
      );
    } else {
      this.out(
        `${c.bold("Cleanup")}  deleted ${cleanup.deleted} key${cleanup.deleted === 1 ? "" : "s"} under ${this.run.prefix}${cleanup.error ? c.red(` — failed: ${cleanup.error}`) : ""}`,
      );
    }
  }
}

function titleOf(def: AnyScenario): string {
  return typeof def.title === "function" ? def.title(def.defaults, FULL_SUPPORT) : def.title;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
