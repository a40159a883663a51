import { catalog } from "../../../scenarios/index.js";
import { InterruptedError, UsageError } from "../../errors.js";
import { cleanupRun } from "../../runner/runner.js";
import { watchInterrupts } from "../interrupt.js";
import { writeNotice } from "../notice.js";
import type { TourCliOptions } from "../options/tour.js";
import { HumanRenderer } from "../render/human.js";
import { openRun } from "../session.js";
import { TourContext, isPromptCancel, type TourIo } from "./context.js";
import { tourMenu, type TourStart } from "./menu.js";
import { sandboxPrompt } from "./sandbox-prompt.js";
import { Stepper } from "./stepper.js";
import { Walkthrough } from "./walkthrough.js";

export type { TourIo } from "./context.js";

const defaultIo = (): TourIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

/** Which scenarios `tour [pattern]` starts with; throws a usage error (before connecting) for an unknown name. */
export async function selectStart(pattern: string | undefined): Promise<TourStart> {
  const loaded = await Promise.all(catalog.map(async (entry) => ({ entry, scenarios: await entry.load() })));
  if (pattern === undefined) return { patterns: loaded };
  const byName = loaded.find((p) => p.entry.name === pattern);
  if (byName) return { patterns: [byName] };
  for (const p of loaded) {
    const def = p.scenarios.find((s) => s.id === pattern);
    if (def) return { patterns: [p], first: def };
  }
  throw new UsageError(
    `unknown pattern "${pattern}": choose one of ${loaded.map((p) => p.entry.name).join(", ")}, or a scenario ` +
      `id such as lock/no-lock`,
  );
}

/**
 * The guided tour: a menu of every scenario (menu.ts), walkthroughs that narrate each step (walkthrough.ts), show
 * each command before it is sent and run it on Enter (stepper.ts), parameters to change (params.ts), and a sandbox
 * for the user's own commands (sandbox-prompt.ts, sandbox.ts). Prompts render on stderr, steps and traces on stdout.
 * The run's keys are deleted when the tour is left, also after Ctrl-C; a second Ctrl-C stops waiting for that and
 * returns at once (the entry point exits 130).
 */
export async function runTour(opts: TourCliOptions, io: TourIo = defaultIo()): Promise<void> {
  const start = await selectStart(opts.pattern);
  const renderer = await HumanRenderer.create(opts, io);
  const run = await openRun(opts, { notice: (message) => renderer.notice(message) });
  const ctx = new TourContext(opts, io, renderer, run);
  const interrupts = watchInterrupts(() => {
    io.stderr.write("\n");
    writeNotice("interrupted: cleaning up the run's keys (Ctrl-C again to quit at once)", io.stderr);
    run.controller.abort();
  });
  try {
    await Promise.race([tour(ctx, opts, start), interrupts.forced]);
  } finally {
    interrupts.dispose();
  }
}

async function tour(ctx: TourContext, opts: TourCliOptions, start: TourStart): Promise<void> {
  const { run, renderer } = ctx;
  const stepper = new Stepper(ctx);
  const sandbox = (owner: string) => sandboxPrompt(ctx, owner);
  const walkthrough = new Walkthrough(ctx, stepper, sandbox);
  renderer.header(run.connection.target, run.prefix, opts.keep === true);
  let fatal: unknown;
  try {
    await tourMenu(ctx, start, (def) => walkthrough.run(def), sandbox);
  } catch (err) {
    fatal = err;
  }
  run.recorder.setGate(undefined);
  const cleanup = await cleanupRun(run.env, opts.keep === true);
  await run.connection.close();
  finish(ctx, cleanup);
  if (isPromptCancel(fatal) || run.controller.signal.aborted) throw new InterruptedError();
  if (fatal !== undefined) throw fatal;
  if (cleanup.error) throw new Error(`cleanup failed: ${cleanup.error}`);
}

function finish(ctx: TourContext, cleanup: { kept: boolean; keys: number; deleted: number; error?: string }): void {
  const { c, run } = ctx;
  ctx.out();
  if (cleanup.kept) {
    ctx.out(
      `${c.bold("Kept")} ${cleanup.keys} key name${cleanup.keys === 1 ? "" : "s"} under ${run.prefix}; remove ` +
        `them with: redis-patterns cleanup --prefix ${run.prefix}`,
    );
  } else {
    ctx.out(
      `${c.bold("Cleanup")}  deleted ${cleanup.deleted} key${cleanup.deleted === 1 ? "" : "s"} ` +
        `under ${run.prefix}${cleanup.error ? c.red(` — failed: ${cleanup.error}`) : ""}`,
    );
  }
}
