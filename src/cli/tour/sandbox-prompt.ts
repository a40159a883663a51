import { input } from "@inquirer/prompts";
import { InterruptedError } from "../../errors.js";
import { traceLines } from "../render/trace.js";
import type { TourContext } from "./context.js";
import { planSandboxCommand, tokenize } from "./sandbox.js";

/** The user's own commands, on the run's connection (recorded), every key placed under the run's prefix. */
export async function sandboxPrompt(ctx: TourContext, owner: string): Promise<void> {
  const c = ctx.c;
  const { prefix, env, recorder } = ctx.run;
  ctx.out();
  ctx.out(
    c.bold("Sandbox") +
      `  your commands go to the server as typed, except that every key name is placed under ${c.bold(prefix + ":")}`,
  );
  ctx.out(
    c.dim(
      `   (SET greeting hi sends SET ${prefix}:greeting hi; the run deletes them at the end). Commands that could touch other`,
    ),
  );
  ctx.out(c.dim("   data (FLUSHALL, KEYS, CONFIG SET, scripts…) are refused. An empty line or .exit goes back."));
  const previousOwner = env.keys.owner;
  env.keys.owner = owner;
  try {
    for (;;) {
      const line = (await ctx.ask(input, { message: `${prefix}>` })).trim();
      if (line === "" || line === ".exit" || line === "exit") return;
      let argv: string[];
      try {
        argv = tokenize(line);
      } catch (err) {
        ctx.out(`   ${c.red("✗")} ${(err as Error).message}`);
        continue;
      }
      const plan = planSandboxCommand(argv, prefix);
      if (!plan.ok) {
        ctx.out(`   ${c.red("✗")} ${plan.reason}`);
        continue;
      }
      for (const key of plan.keys) registerKey(ctx, key);
      const mark = recorder.mark();
      try {
        await env.redis.call(plan.argv[0]!, ...plan.argv.slice(1));
      } catch (err) {
        if (err instanceof InterruptedError) throw err;
        // An error reply: the trace shows it.
      }
      for (const l of traceLines(recorder.since(mark), "full", c, {
        showLua: false,
        shownScripts: ctx.shownScripts,
        indent: "   ",
      }))
        ctx.out(l);
    }
  } finally {
    env.keys.owner = previousOwner;
  }
}

function registerKey(ctx: TourContext, key: string): void {
  const { prefix, env } = ctx.run;
  try {
    env.keys.key(key.slice(prefix.length + 1));
  } catch {
    // Already named by a scenario of this run: it is deleted at the end all the same.
  }
}
