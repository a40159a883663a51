import type { ReplyValue } from "../redis/recorder.js";
import type { ScenarioResult } from "../runner/types.js";

/** Arguments longer than this are shortened in human output, with a visible marker; --json always has them whole. */
export const MAX_ARG_CHARS = 64;

function quoted(text: string): string {
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return `"${escaped}"`;
}

/** Quote an argument the way redis-cli would need it typed: bare when safe, else double-quoted with escapes. */
export function quoteArg(arg: string): string {
  return /^[\x21-\x7e]+$/.test(arg) && !/["'\\]/.test(arg) ? arg : quoted(arg);
}

/** `quoteArg` (or always quoted, for bulk replies), shortened past `max` characters to `"first part…"(+N bytes)`. */
export function displayArg(arg: string, max = MAX_ARG_CHARS, alwaysQuote = false): string {
  const quote = alwaysQuote ? quoted : quoteArg;
  if (arg.length <= max) return quote(arg);
  const head = arg.slice(0, max - 16);
  return `${quoted(head.replace(/\s+/g, " ") + "…")}(+${Buffer.byteLength(arg) - Buffer.byteLength(head)} bytes)`;
}

/**
 * Commands with more arguments than this (a bulk ZADD of 1,000 members) are shortened in human output; --json has them
 * all.
 */
export const MAX_ARGS = 24;

export function displayArgv(argv: readonly string[], max = MAX_ARG_CHARS, maxArgs = MAX_ARGS): string {
  const shown = argv.length > maxArgs ? argv.slice(0, maxArgs) : argv;
  return joinArgs(
    shown.map((a) => displayArg(a, max)),
    argv.length - shown.length,
  );
}

/** Arguments as shown, then how many more the command had: `ZADD k 1 a …(+1998 more arguments)`. */
export function joinArgs(shown: readonly string[], more: number): string {
  return shown.join(" ") + (more > 0 ? ` …(+${more} more arguments)` : "");
}

/** Status replies redis-cli prints bare (RESP2 does not tell them apart from bulk strings once decoded). */
const STATUS_REPLIES = new Set(["OK", "QUEUED", "PONG"]);

/**
 * Replies longer than this on one line (COMMAND INFO's nested tables) are cut in human output; --json has them whole.
 */
export const MAX_REPLY_CHARS = 600;

/** A reply on one line, as redis-cli would show it: `(integer) 1`, `"abc"`, `(nil)`, `1) "a" 2) "b"`, `(error) …`. */
export function formatReply(
  reply: ReplyValue | undefined,
  error?: string,
  max = MAX_ARG_CHARS,
  maxChars = MAX_REPLY_CHARS,
): string {
  if (error !== undefined) return `(error) ${error}`;
  if (reply === undefined) return "(no reply)";
  const text = formatValue(reply, max);
  if (text.length <= maxChars) return text;
  const cut = text.lastIndexOf(" ", maxChars);
  const head = text.slice(0, cut > maxChars / 2 ? cut : maxChars);
  return `${head} …(+${text.length - head.length} more characters of reply)`;
}

function formatValue(value: ReplyValue, max: number): string {
  if (value === null) return "(nil)";
  if (typeof value === "number") return `(integer) ${value}`;
  if (typeof value === "string") return STATUS_REPLIES.has(value) ? value : displayArg(value, max, true);
  if (Array.isArray(value)) {
    if (value.length === 0) return "(empty array)";
    return value.map((v, i) => `${i + 1}) ${formatValue(v, max)}`).join(" ");
  }
  return `(error) ${value.error}`;
}

export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export { formatBytes } from "../redis/memory.js";

export function formatValueCell(value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** A comparison table's "checks" cell for one scenario: `3/4 ✗`, passed of all, and whether it leaves the run ok. */
export function checksCell(r: Pick<ScenarioResult, "checks" | "ok">): string {
  return `${r.checks.filter((c) => c.ok).length}/${r.checks.length}${r.ok ? " ✓" : " ✗"}`;
}
