import type { ChalkInstance } from "chalk";
import type { RecordedCommand } from "../../redis/recorder.js";
import { scriptBySha } from "../../redis/script.js";
import { formatMs, formatReply, quoteArg } from "../format.js";
import type { TraceMode } from "../options/common.js";
import { displayWidth, elideMiddle, groupDigits, hardWrap, truncateEnd, truncateMiddle } from "./text.js";

export interface TraceStyle {
  /** Print each Lua script's source after the first EVALSHA of it (`--show-lua`). */
  showLua: boolean;
  /** SHAs already shown, shared across the calls of one run. */
  shownScripts: Set<string>;
  /** Left margin. */
  indent?: string;
  /** Columns the lines must fit in (the margin included); unlimited when absent. */
  width?: number;
  /** The run's key prefix, written `…` in the summary of repeated commands. */
  prefix?: string;
}

/** Steps with more commands than this are summarised (in `summary` mode). */
export const SUMMARY_THRESHOLD = 10;
const HEAD = 3;
const TAIL = 2;
/** At most this many kinds of repeated command are listed for one step. */
const MAX_GROUPS = 6;

/**
 * The lines of a command trace, as every command prints it.
 * - `full`: every command with every byte of its arguments and reply, one line each, whatever the width (the
 *   terminal wraps it): copy a line, or grep a log, and you have exactly what went over the wire.
 * - `summary` (the default): a step of up to 10 commands in full; a longer one as its first 3 commands, the middle
 *   grouped by kind (`×2,200 GET rp:…:session:{*} · p50 0.12 ms · p99 0.41 ms`) and its last 2. Each line fits the
 *   width: long arguments lose their middle (`…(+1,204 bytes)…`), long replies their end.
 * - `off`: nothing.
 * Pipelines and MULTI/EXEC blocks are drawn with ┌ │ └, other connections labelled.
 */
export function traceLines(
  commands: readonly RecordedCommand[],
  mode: TraceMode,
  c: ChalkInstance,
  style: TraceStyle,
): string[] {
  if (mode === "off" || commands.length === 0) return [];
  // The summary shows what the scenario sent; the run's TTL guard (EXPIRE … NX after writes) only in full.
  if (mode === "summary") commands = withoutGuard(commands);
  if (commands.length === 0) return [];
  const indent = style.indent ?? "     ";
  const out: string[] = [];
  const line = (i: number) => commandLines(commands[i]!, commands[i - 1], commands[i + 1], c, style, indent, mode);
  if (mode === "full" || commands.length <= SUMMARY_THRESHOLD) {
    commands.forEach((_, i) => out.push(...line(i)));
    return out;
  }
  for (let i = 0; i < HEAD; i++) out.push(...line(i));
  const middle = commands.slice(HEAD, commands.length - TAIL);
  const groups = groupCommands(middle, style.prefix);
  const width = style.width ?? Number.POSITIVE_INFINITY;
  const more = `… ${middle.length} more commands (--trace full shows them all)`;
  const batches = batchesOf(middle);
  // The batches on the same line when it fits, else on their own.
  if (displayWidth(indent) + more.length + batches.length + 1 <= width)
    out.push(`${indent}${c.dim(`${more}${batches}:`)}`);
  else {
    out.push(`${indent}${c.dim(`${more}:`)}`);
    if (batches) out.push(`${indent}  ${c.dim(truncateEnd(batches.slice(2), width - displayWidth(indent) - 2))}`);
  }
  for (const g of groups.slice(0, MAX_GROUPS)) {
    const errors = g.errors ? ` · ${g.errors} errors` : "";
    const stats = ` ${c.dim(`p50 ${formatMs(g.p50)} · p99 ${formatMs(g.p99)}${errors}`)}`;
    const count = `×${groupDigits(g.count)} `;
    const room = width - displayWidth(indent) - 2 - count.length - displayWidth(stats);
    out.push(`${indent}  ${c.dim(count)}${c.cyan(truncateMiddle(g.shape, Math.max(12, room)))}${stats}`);
  }
  if (groups.length > MAX_GROUPS) {
    const rest = groups.slice(MAX_GROUPS).reduce((n, g) => n + g.count, 0);
    out.push(`${indent}  ${c.dim(`×${groupDigits(rest)} of ${groups.length - MAX_GROUPS} other kinds`)}`);
  }
  for (let i = commands.length - TAIL; i < commands.length; i++) out.push(...line(i));
  return out;
}

/** Without the run's TTL guard's commands (src/redis/ttl-guard.ts): `--trace full` and `--json` show them. */
function withoutGuard(commands: readonly RecordedCommand[]): readonly RecordedCommand[] {
  return commands.some((cmd) => cmd.phase === "ttl-guard")
    ? commands.filter((cmd) => cmd.phase !== "ttl-guard")
    : commands;
}

/** How the summarised commands went out, when some were batched: `, in 98 pipelines and 2 single commands`. */
function batchesOf(commands: readonly RecordedCommand[]): string {
  const ids = new Map<number, "pipeline" | "multi">();
  let single = 0;
  for (const cmd of commands) {
    if (cmd.batch) ids.set(cmd.batch.id, cmd.batch.kind);
    else single += 1;
  }
  if (ids.size === 0) return "";
  const multi = [...ids.values()].filter((k) => k === "multi").length;
  const parts: string[] = [];
  const count = (n: number, one: string, many: string) => `${groupDigits(n)} ${n === 1 ? one : many}`;
  if (ids.size - multi > 0) parts.push(count(ids.size - multi, "pipeline", "pipelines"));
  if (multi > 0) parts.push(count(multi, "MULTI/EXEC block", "MULTI/EXEC blocks"));
  if (single > 0) parts.push(count(single, "single command", "single commands"));
  return `, in ${parts.join(" and ")}`;
}

/**
 * A step's commands on one line, by kind, most frequent first: `×12 LPUSH rp:…:queue:{*} (p50 0.23 ms) · ×1 PING`
 * (the default for runs of several scenarios). Cut to `width` columns, saying how many kinds it left out.
 */
export function briefTraceLine(
  commands: readonly RecordedCommand[],
  c: ChalkInstance,
  style: Pick<TraceStyle, "indent" | "width" | "prefix">,
): string | undefined {
  commands = withoutGuard(commands);
  if (commands.length === 0) return undefined;
  const indent = style.indent ?? "     ";
  const width = style.width ?? Number.POSITIVE_INFINITY;
  const groups = groupCommands(commands, style.prefix).sort((a, b) => b.count - a.count);
  const room = width - displayWidth(indent);
  const parts: string[] = [];
  let used = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    const more = groups.length - i - 1;
    const errors = g.errors ? `, ${g.errors} error${g.errors === 1 ? "" : "s"}` : "";
    const detail = g.count > 1 ? ` (p50 ${formatMs(g.p50)}${errors})` : errors ? ` (${errors.slice(2)})` : "";
    let text = `×${groupDigits(g.count)} ${g.shape}${detail}`;
    const sep = parts.length > 0 ? " · " : "";
    const tail = more > 0 ? ` · +${more} kind${more === 1 ? "" : "s"}` : "";
    if (used + sep.length + displayWidth(text) + tail.length > room) {
      if (parts.length === 0) text = truncateMiddle(text, Math.max(12, room - tail.length));
      else {
        parts.push(c.dim(`+${groups.length - i} kind${groups.length - i === 1 ? "" : "s"}`));
        break;
      }
    }
    parts.push(g.errors ? c.red(text) : c.cyan(text));
    used += sep.length + displayWidth(text);
  }
  return `${indent}${parts.join(c.dim(" · "))}`;
}

/** Commands that take a subcommand: `MEMORY USAGE`, `SCRIPT LOAD`, `CLIENT SETNAME`. */
const CONTAINERS = new Set([
  "MEMORY",
  "SCRIPT",
  "CLIENT",
  "CONFIG",
  "OBJECT",
  "XINFO",
  "XGROUP",
  "COMMAND",
  "CLUSTER",
  "ACL",
  "FUNCTION",
  "DEBUG",
]);

export interface CommandGroup {
  shape: string;
  count: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * Commands of one kind: the client, the name (with its subcommand, or the script an EVALSHA runs) and the key with
 * the run prefix written `…` and numbers and hash tags as `*`: `GET rp:…:session:{*}`, `EVALSHA fixed-window
 * rp:…:ratelimit:{*}:fw:*`. Ordered by first appearance.
 */
export function groupCommands(commands: readonly RecordedCommand[], prefix?: string): CommandGroup[] {
  const groups = new Map<string, { ms: number[]; errors: number }>();
  for (const cmd of commands) {
    const shape = commandShape(cmd, prefix);
    let g = groups.get(shape);
    if (!g) groups.set(shape, (g = { ms: [], errors: 0 }));
    g.ms.push(cmd.ms);
    if (cmd.error !== undefined) g.errors += 1;
  }
  return [...groups.entries()].map(([shape, g]) => {
    const sorted = [...g.ms].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
    return { shape, count: g.ms.length, p50: at(0.5), p99: at(0.99), errors: g.errors };
  });
}

export function commandShape(cmd: RecordedCommand, prefix?: string): string {
  const argv = cmd.argv;
  const name = (argv[0] ?? "").toUpperCase();
  const who = cmd.client === "main" ? "" : `[${cmd.client}] `;
  if (cmd.source === "db") return `${who}[db] ${normalise(argv[0] ?? "", prefix)}`;
  let head = name;
  let keyAt = 1;
  if (CONTAINERS.has(name) && argv[1] !== undefined) {
    head = `${name} ${argv[1].toUpperCase()}`;
    keyAt = 2;
  } else if (name === "EVALSHA" || name === "EVAL") {
    const script = name === "EVALSHA" ? scriptBySha(argv[1] ?? "") : undefined;
    head = `${name} ${script ? script.name : name === "EVAL" ? "<script>" : (argv[1] ?? "").slice(0, 8)}`;
    keyAt = Number(argv[2]) > 0 ? 3 : -1;
  }
  const key = keyAt > 0 && argv[keyAt] !== undefined ? ` ${normalise(argv[keyAt]!, prefix)}` : "";
  return `${who}${head}${key}`;
}

function normalise(key: string, prefix?: string): string {
  let k = prefix && key.startsWith(prefix) ? `${prefix.split(":")[0]}:…${key.slice(prefix.length)}` : key;
  k = k.replace(/\{[^}]*\}/g, "{*}").replace(/\d+/g, "*");
  return k;
}

/** Where the first key sits in argv (EVAL/EVALSHA: after numkeys), or -1. */
function keyIndex(argv: readonly string[]): number {
  const name = (argv[0] ?? "").toUpperCase();
  if (name === "EVALSHA" || name === "EVAL" || name === "FCALL") return Number(argv[2]) > 0 ? 3 : -1;
  if (CONTAINERS.has(name)) return argv.length > 2 ? 2 : -1;
  return argv.length > 1 ? 1 : -1;
}

/**
 * Every argument whole (`--trace full`), or the argv fitted into `room` columns, giving up detail in this order:
 * a script SHA shows its first 8 digits; long arguments lose their middle with the bytes left out said
 * (`…(+1,204 bytes)…`); trailing arguments after the key are counted instead of shown (`…(+996 args)`); long
 * keys lose their middle; last, the line's end.
 */
function argvText(argv: readonly string[], room: number, full: boolean): string {
  const quoted = argv.map(quoteArg);
  if (full || room === Number.POSITIVE_INFINITY) return quoted.join(" ");
  const joined = () => quoted.join(" ");
  const fits = () => displayWidth(joined()) <= room;
  if (fits()) return joined();
  // 1) A script's SHA: its first 8 digits identify it.
  const name = (argv[0] ?? "").toUpperCase();
  if ((name === "EVALSHA" || name === "SCRIPT") && /^[0-9a-f]{40}$/i.test(argv[1] ?? ""))
    quoted[1] = `${argv[1]!.slice(0, 8)}…`;
  if (fits()) return joined();
  // 2) Long arguments lose their middle, the longest first.
  for (let guard = 0; !fits() && guard < 100; guard++) {
    let longest = 1;
    for (let i = 2; i < quoted.length; i++) if (quoted[i]!.length > (quoted[longest]?.length ?? 0)) longest = i;
    const current = quoted[longest];
    if (current === undefined || current.length <= 40 || current.includes("…(+")) break;
    const target = Math.max(26, displayWidth(current) - (displayWidth(joined()) - room));
    quoted[longest] = quoteArg(elideMiddle(argv[longest]!, target));
    if (displayWidth(quoted[longest]!) >= displayWidth(current)) break;
  }
  if (fits()) return joined();
  // 3) Trailing arguments counted instead of shown, keeping the name, what precedes the key, and the key.
  const minKeep = Math.max(2, keyIndex(argv) + 1);
  let keep = quoted.length;
  const build = () =>
    [...quoted.slice(0, keep), ...(keep < quoted.length ? [`…(+${quoted.length - keep} args)`] : [])].join(" ");
  while (keep > minKeep && displayWidth(build()) > room) keep -= 1;
  // 4) Long tokens (the key) lose their middle.
  for (let i = 1; i < keep && displayWidth(build()) > room; i++) {
    const excess = displayWidth(build()) - room;
    if (displayWidth(quoted[i]!) > 16 && !quoted[i]!.includes("…(+"))
      quoted[i] = truncateMiddle(quoted[i]!, Math.max(16, displayWidth(quoted[i]!) - excess));
  }
  return truncateEnd(build(), room);
}

function commandLines(
  cmd: RecordedCommand,
  prev: RecordedCommand | undefined,
  next: RecordedCommand | undefined,
  c: ChalkInstance,
  style: TraceStyle,
  indent: string,
  mode: TraceMode,
): string[] {
  const full = mode === "full";
  const width = style.width ?? Number.POSITIVE_INFINITY;
  const out: string[] = [];
  const inBatch = cmd.batch !== undefined;
  const first = inBatch && prev?.batch?.id !== cmd.batch!.id;
  const last = inBatch && next?.batch?.id !== cmd.batch!.id;
  if (first)
    out.push(
      `${indent}${c.dim(
        truncateEnd(
          `┌ ${cmd.batch!.kind === "multi" ? "MULTI/EXEC transaction" : "pipeline"}: one round trip`,
          width - indent.length,
        ),
      )}`,
    );
  const barText = inBatch ? (last ? "└ " : "│ ") : "";
  // On a Redis Cluster: the node that served the command.
  const whoText =
    (cmd.client === "main" ? "" : `[${cmd.client}] `) +
    (cmd.node ? `@${cmd.node} ` : "") +
    (cmd.source === "db" ? "[db] " : "");
  const who =
    (cmd.client === "main" ? "" : c.magenta(`[${cmd.client}] `)) +
    (cmd.node ? c.blue(`@${cmd.node} `) : "") +
    (cmd.source === "db" ? c.yellow("[db] ") : "");
  const msText = formatMs(cmd.ms);
  const replyFull = full
    ? formatReply(cmd.reply, cmd.error, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)
    : formatReply(cmd.reply, cmd.error);
  const fixed = displayWidth(indent) + barText.length + displayWidth(whoText) + 2 + 2 + 2 + msText.length + 2;
  const room = width - fixed;
  let sent: string;
  let reply: string;
  if (full || room === Number.POSITIVE_INFINITY) {
    sent = sentText(cmd, Number.POSITIVE_INFINITY, full);
    reply = replyFull;
  } else {
    // The reply gets what the command leaves, but at least a quarter of the room.
    // What the command cannot do without: its name, what precedes the key, the key, a count of the rest.
    const sentNatural = displayWidth(sentText(cmd, Number.POSITIVE_INFINITY, false));
    const k = cmd.source === "db" ? 1 : Math.max(2, keyIndex(cmd.argv) + 1);
    const core = Math.min(sentNatural, displayWidth(cmd.argv.slice(0, k).map(quoteArg).join(" ")) + 12);
    const replyRoom = Math.min(displayWidth(replyFull), Math.max(Math.floor(room / 4), room - core));
    reply = truncateEnd(replyFull, Math.max(4, replyRoom));
    sent = sentText(cmd, Math.max(12, room - displayWidth(reply)), false);
  }
  const bar = c.dim(barText);
  const replyText = cmd.error !== undefined ? c.red(reply) : c.green(reply);
  out.push(`${indent}${bar}${who}${c.cyan(sent)}  ${c.dim("→")} ${replyText}  ${c.dim(msText)}`);
  const redirect = /^(MOVED|ASK) \d+ (\S+)/.exec(cmd.error ?? "");
  if (redirect)
    out.push(
      `${indent}${bar}  ${c.dim(
        truncateEnd(
          `↪ ${redirect[1]}: slot owned by ${redirect[2]}, the command is sent there again`,
          width - indent.length - 4,
        ),
      )}`,
    );
  const name = cmd.argv[0]?.toUpperCase();
  if (style.showLua && name === "EVALSHA" && !style.shownScripts.has(cmd.argv[1] ?? "")) {
    const script = scriptBySha(cmd.argv[1] ?? "");
    if (script) {
      style.shownScripts.add(script.sha);
      const room = Math.max(20, width - indent.length - 2);
      for (const l of hardWrap(`-- script "${script.name}" (SHA ${script.sha}):`, room))
        out.push(`${indent}  ${c.dim(l)}`);
      for (const line of script.lua.trimEnd().split("\n"))
        for (const l of hardWrap(line, room)) out.push(`${indent}  ${c.dim(l)}`);
    }
  }
  return out;
}

/** What was sent: Redis argv, or a database statement as text with its parameters. */
function sentText(cmd: RecordedCommand, room: number, full: boolean): string {
  if (cmd.source === "db") {
    const params = cmd.argv.slice(1).map(quoteArg);
    const text = [cmd.argv[0] ?? "", ...params].join("  ");
    return full || room === Number.POSITIVE_INFINITY ? text : truncateMiddle(text, room);
  }
  if (room === Number.POSITIVE_INFINITY && !full) return argvText(cmd.argv, Number.POSITIVE_INFINITY, false);
  return argvText(cmd.argv, room, full);
}
