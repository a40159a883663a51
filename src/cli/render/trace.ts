import type { ChalkInstance } from "chalk";
import type { RecordedCommand } from "../../redis/recorder.js";
import { scriptBySha } from "../../redis/script.js";
import { displayArgv, formatMs, formatReply } from "../format.js";
import type { TraceMode } from "../options/common.js";

export interface TraceStyle {
  /** Print each Lua script's source after the first EVALSHA of it (`--show-lua`). */
  showLua: boolean;
  /** SHAs already shown, shared across the calls of one run. */
  shownScripts: Set<string>;
  /** Left margin. */
  indent?: string;
}

/**
 * The lines of a command trace, as every command prints it: `full` shows all commands, `summary` the first five and
 * the last two, `off` none. Pipelines and MULTI/EXEC blocks are drawn with ┌ │ └, other connections labelled.
 */
export function traceLines(
  commands: readonly RecordedCommand[],
  mode: TraceMode,
  c: ChalkInstance,
  style: TraceStyle,
): string[] {
  if (mode === "off" || commands.length === 0) return [];
  const indent = style.indent ?? "     ";
  const out: string[] = [];
  const head = mode === "summary" && commands.length > 8 ? 5 : commands.length;
  const tail = mode === "summary" && commands.length > 8 ? 2 : 0;
  commands
    .slice(0, head)
    .forEach((cmd, i) => out.push(...commandLines(cmd, commands[i - 1], commands[i + 1], c, style, indent)));
  if (head + tail < commands.length) {
    out.push(`${indent}${c.dim(`… ${commands.length - head - tail} more commands (--trace full shows them all)`)}`);
  }
  if (tail > 0) {
    const start = commands.length - tail;
    commands
      .slice(start)
      .forEach((cmd, i) =>
        out.push(...commandLines(cmd, commands[start + i - 1], commands[start + i + 1], c, style, indent)),
      );
  }
  return out;
}

function commandLines(
  cmd: RecordedCommand,
  prev: RecordedCommand | undefined,
  next: RecordedCommand | undefined,
  c: ChalkInstance,
  style: TraceStyle,
  indent: string,
): string[] {
  const out: string[] = [];
  const inBatch = cmd.batch !== undefined;
  const first = inBatch && prev?.batch?.id !== cmd.batch!.id;
  const last = inBatch && next?.batch?.id !== cmd.batch!.id;
  if (first)
    out.push(
      `${indent}${c.dim(`┌ ${cmd.batch!.kind === "multi" ? "MULTI/EXEC transaction" : "pipeline"}: one round trip`)}`,
    );
  const bar = inBatch ? c.dim(last ? "└ " : "│ ") : "";
  // On a Redis Cluster: the node that served the command.
  const where = cmd.node ? c.blue(`@${cmd.node} `) : "";
  const who =
    (cmd.client === "main" ? "" : c.magenta(`[${cmd.client}] `)) +
    where +
    (cmd.source === "db" ? c.yellow("[db] ") : "");
  const reply = formatReply(cmd.reply, cmd.error);
  const replyText = cmd.error !== undefined ? c.red(reply) : c.green(reply);
  // A database statement is one SQL string plus parameters: show it as text, not as Redis argv.
  const sent =
    cmd.source === "db"
      ? [cmd.argv[0] ?? "", ...cmd.argv.slice(1).map((a) => displayArgv([a]))].join("  ")
      : displayArgv(cmd.argv);
  out.push(`${indent}${bar}${who}${c.cyan(sent)}  ${c.dim("→")} ${replyText}  ${c.dim(formatMs(cmd.ms))}`);
  const redirect = /^(MOVED|ASK) \d+ (\S+)/.exec(cmd.error ?? "");
  if (redirect)
    out.push(
      `${indent}${bar}  ${c.dim(`↪ ${redirect[1]}: slot owned by ${redirect[2]}, the command is sent there again`)}`,
    );
  const name = cmd.argv[0]?.toUpperCase();
  if (style.showLua && name === "EVALSHA" && !style.shownScripts.has(cmd.argv[1] ?? "")) {
    const script = scriptBySha(cmd.argv[1] ?? "");
    if (script) {
      style.shownScripts.add(script.sha);
      out.push(`${indent}  ${c.dim(`-- script "${script.name}" (SHA ${script.sha}):`)}`);
      for (const line of script.lua.trimEnd().split("\n")) out.push(`${indent}  ${c.dim(line)}`);
    }
  }
  return out;
}
