import { list as commandNames } from "@ioredis/commands";
import { createInterface, type Interface } from "node:readline/promises";
import { InterruptedError } from "../../errors.js";
import { quoteArg } from "../format.js";
import { wrapText } from "../render/text.js";
import { traceLines } from "../render/trace.js";
import type { TourContext } from "./context.js";
import { commandHelp } from "./sandbox-help.js";
import { planSandboxCommand, tokenize } from "./sandbox.js";

/** A reply longer than this (one line, as the trace shows it) is shown whole below the trace, paged. */
const LONG_REPLY = 60;

/**
 * The user's own commands, on the run's connection (recorded), every key placed under the run's prefix. A readline
 * prompt: ↑/↓ walk this tour's sandbox history, Tab completes command names and the keys of this session, HELP
 * <command> prints the server's documentation, long replies are shown whole through a pager (--More--).
 */
export async function sandboxPrompt(ctx: TourContext, owner: string): Promise<void> {
  const c = ctx.c;
  const { prefix, env } = ctx.run;
  ctx.out();
  ctx.out(
    c.bold("Sandbox") +
      `  your commands go to the server as typed, except that every key name is placed under ${c.bold(prefix + ":")}`,
  );
  for (const line of [
    `(SET greeting hi sends SET ${prefix}:greeting hi; the run deletes them at the end). Commands that could touch`,
    "other data (FLUSHALL, KEYS, CONFIG SET, scripts…) are refused. ↑/↓: history · Tab: complete a command or key ·",
    "HELP <command>: its syntax · long replies page (Enter: next page, q: stop). An empty line or .exit goes back.",
  ])
    ctx.out(c.dim(`   ${line}`));
  const previousOwner = env.keys.owner;
  env.keys.owner = owner;
  const prompt = new SandboxReadline(ctx);
  try {
    for (;;) {
      const typed = await prompt.question(`${prefix}> `);
      const line = typed?.trim() ?? "";
      if (line === "" || line === ".exit" || line === "exit") return;
      let argv: string[];
      try {
        argv = tokenize(line);
      } catch (err) {
        ctx.out(`   ${c.red("✗")} ${(err as Error).message}`);
        continue;
      }
      if (argv[0]!.toLowerCase() === "help") await help(ctx, prompt, argv.slice(1));
      else await send(ctx, prompt, argv);
    }
  } finally {
    prompt.close();
    env.keys.owner = previousOwner;
  }
}

/** node:readline with history (kept for the next visit), completion, and Ctrl-C/Ctrl-D handled as the tour's. */
class SandboxReadline {
  private readonly rl: Interface;
  private readonly ended = new AbortController();
  private interrupted = false;

  constructor(private readonly ctx: TourContext) {
    this.rl = createInterface({
      input: ctx.io.stdin,
      output: ctx.io.stderr,
      terminal: ctx.io.stdin.isTTY === true,
      history: [...ctx.sandboxHistory],
      historySize: 500,
      removeHistoryDuplicates: true,
      completer: (line: string) => complete(ctx, line),
    });
    this.rl.on("history", (history: string[]) => ctx.sandboxHistory.splice(0, Infinity, ...history));
    // Ctrl-C at the prompt: the tour's interrupt (keys cleaned up, exit 130). Ctrl-D: leave the sandbox.
    this.rl.on("SIGINT", () => {
      this.interrupted = true;
      this.ended.abort();
    });
    this.rl.on("close", () => this.ended.abort());
  }

  /** The typed line, or undefined once the input is closed (Ctrl-D). Throws InterruptedError on Ctrl-C. */
  async question(query: string, remember = true): Promise<string | undefined> {
    if (this.ended.signal.aborted && !this.interrupted) return undefined;
    const signal = AbortSignal.any([this.ended.signal, this.ctx.run.controller.signal]);
    let answer: string;
    try {
      answer = await this.rl.question(query, { signal });
    } catch (err) {
      if (this.interrupted || this.ctx.run.controller.signal.aborted) throw this.ctx.interrupt();
      if (this.ended.signal.aborted) return undefined;
      throw err;
    }
    // The pager's answers (q, a) are not commands to recall with ↑.
    if (!remember) {
      const history = (this.rl as unknown as { history?: string[] }).history;
      if (history?.[0] === answer) history.shift();
      if (this.ctx.sandboxHistory[0] === answer) this.ctx.sandboxHistory.shift();
    }
    return answer;
  }

  close(): void {
    this.rl.close();
  }
}

/** Tab: command names as the first word (and after HELP), else the keys this session named, without the prefix. */
function complete(ctx: TourContext, line: string): [string[], string] {
  const words = line.split(/\s+/);
  const last = words[words.length - 1] ?? "";
  if (words.length === 1 || (words.length === 2 && words[0]!.toLowerCase() === "help")) {
    const upper = last === "" || last !== last.toLowerCase();
    const names = [...(words.length === 1 ? ["help"] : []), ...commandNames].sort();
    const hits = names.filter((n) => n.startsWith(last.toLowerCase())).map((n) => (upper ? n.toUpperCase() : n));
    return [hits, last];
  }
  const { prefix, env } = ctx.run;
  const keys = env.keys
    .created()
    .filter((k) => k.startsWith(`${prefix}:`) && k !== `${prefix}:rp-run`)
    .map((k) => quoteArg(k.slice(prefix.length + 1)));
  return [[...new Set(keys)].filter((k) => k.startsWith(last)).sort(), last];
}

/** HELP alone: the sandbox's keys. HELP SET, HELP CONFIG GET: the server's COMMAND DOCS, or why there are none. */
async function help(ctx: TourContext, prompt: SandboxReadline, names: string[]): Promise<void> {
  const c = ctx.c;
  if (names.length === 0) {
    for (const line of [
      "Type a Redis command (its keys are placed under the run's prefix), or:",
      "  HELP <command> [subcommand]   the command's syntax and summary, from the server's COMMAND DOCS",
      "  ↑ / ↓                         earlier commands of this tour",
      "  Tab                           complete a command name, or a key this session has named",
      "  an empty line, .exit, Ctrl-D  back to the tour (Ctrl-C quits the tour and deletes the run's keys)",
    ])
      ctx.out(`   ${line}`);
    return;
  }
  const { target } = ctx.run.connection;
  const { redis } = ctx.run.env;
  const call = (...argv: string[]) => redis.call(argv[0]!, ...argv.slice(1));
  const found = await commandHelp(names, call, `${target.server} ${target.version}`.trim());
  if (!found.ok) {
    for (const [i, l] of wrapText(found.line, ctx.renderer.width - 5).entries())
      ctx.out(`   ${i === 0 ? c.yellow("–") : " "} ${l}`);
    return;
  }
  const lines = found.lines;
  // The syntax wraps on word boundaries under its command name; the facts are short.
  const width = ctx.renderer.width - 3;
  const [syntax, ...facts] = lines;
  const wrapped = wrapText(syntax!, width).map((l, i) => (i === 0 ? c.bold(l) : `    ${l}`));
  await page(ctx, prompt, [...wrapped, ...facts.flatMap((f) => wrapText(f, width).map((l) => `  ${l}`))]);
}

/** A typed command: refused with the reason, or sent, its trace shown, and a long reply shown whole, paged. */
async function send(ctx: TourContext, prompt: SandboxReadline, argv: string[]): Promise<void> {
  const c = ctx.c;
  const { prefix, env, recorder } = ctx.run;
  const plan = planSandboxCommand(argv, prefix);
  if (!plan.ok) {
    ctx.out(`   ${c.red("✗")} ${plan.reason}`);
    return;
  }
  for (const key of plan.keys) registerKey(ctx, key);
  const mark = recorder.mark();
  let reply: unknown;
  try {
    reply = await env.redis.call(plan.argv[0]!, ...plan.argv.slice(1));
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    // An error reply: the trace shows it.
  }
  const style = { showLua: false, shownScripts: ctx.shownScripts, indent: "   ", width: ctx.renderer.width };
  for (const l of traceLines(recorder.since(mark), "summary", c, style)) ctx.out(l);
  const lines = replyLines(reply);
  if (lines.length > 1 || (lines[0]?.length ?? 0) > LONG_REPLY) {
    await page(ctx, prompt, [
      c.dim(`   the whole reply (${lines.length} line${lines.length === 1 ? "" : "s"}):`),
      ...lines,
    ]);
  }
}

/** A reply as redis-cli prints it, one element a line (`1) "a"`), a text with line breaks (INFO) as its lines. */
export function replyLines(value: unknown): string[] {
  if (value === undefined) return [];
  if (value === null) return ["(nil)"];
  if (typeof value === "number") return [`(integer) ${value}`];
  if (typeof value === "string")
    return value.includes("\n") ? value.replace(/\r?\n$/, "").split(/\r?\n/) : [quoteArg(value)];
  if (Buffer.isBuffer(value)) return replyLines(value.toString("utf8"));
  if (value instanceof Error) return [`(error) ${value.message}`];
  if (Array.isArray(value)) {
    if (value.length === 0) return ["(empty array)"];
    const width = String(value.length).length;
    return value.flatMap((element, i) => {
      const label = `${String(i + 1).padStart(width)}) `;
      const [first = "", ...rest] = replyLines(element);
      return [label + first, ...rest.map((l) => " ".repeat(label.length) + l)];
    });
  }
  return [JSON.stringify(value)];
}

/**
 * Lines on stdout, a screenful at a time when they are more than the terminal holds: `--More--` waits for Enter (the
 * next page), a (all the rest) or q (stop, saying how many lines were left). Lines wider than the output are cut
 * into pieces, never truncated.
 */
async function page(ctx: TourContext, prompt: SandboxReadline, lines: string[]): Promise<void> {
  const width = ctx.renderer.width;
  const pieces = lines.flatMap((line) => {
    if (line.length <= width) return [line];
    const out: string[] = [];
    for (let i = 0; i < line.length; i += width) out.push(line.slice(i, i + width));
    return out;
  });
  const rows = (ctx.io.stdout as { rows?: number }).rows ?? 24;
  const pageSize = Math.max(5, rows - 3);
  let shown = 0;
  let all = false;
  while (shown < pieces.length) {
    const next = all ? pieces.length : Math.min(pieces.length, shown + pageSize);
    for (const line of pieces.slice(shown, next)) ctx.out(line);
    shown = next;
    if (shown >= pieces.length) return;
    const answer = await prompt.question(
      ctx.c.inverse(`--More-- (${shown} of ${pieces.length} lines) Enter: next page · a: all · q: stop`) + " ",
      false,
    );
    const key = answer?.trim().toLowerCase();
    if (answer === undefined || key === "q") {
      ctx.out(ctx.c.dim(`   (stopped: ${pieces.length - shown} more lines not shown)`));
      return;
    }
    if (key === "a") all = true;
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
