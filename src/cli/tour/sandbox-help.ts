/**
 * `HELP <command>` in the tour's sandbox: the server's own documentation (COMMAND DOCS, Redis 7.0 and later) as a
 * syntax line and a few facts, or one clear line where the server has none (Redis 6, or a command it lacks).
 */
import { commandRefusal } from "../../redis/classify-error.js";

/** A RESP2 map (a flat array of name, value, name, value…) as an object; RESP3 maps arrive as objects already. */
function asMap(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < value.length; i += 2) out[String(value[i])] = value[i + 1];
    return out;
  }
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

/** One argument of COMMAND DOCS as the documentation writes it: `[EX seconds | PX milliseconds]`, `key [key ...]`. */
function argumentText(raw: unknown): string {
  const arg = asMap(raw);
  const flags = Array.isArray(arg.flags) ? arg.flags.map(String) : [];
  const nested = Array.isArray(arg.arguments) ? arg.arguments.map(argumentText) : [];
  const token = arg.token === undefined ? undefined : String(arg.token);
  let text: string;
  if (arg.type === "oneof") text = nested.join(" | ");
  else if (arg.type === "block") text = nested.join(" ");
  else if (arg.type === "pure-token") text = token ?? String(arg.name);
  else text = token ? `${token} ${String(arg.name)}` : String(arg.name);
  if (flags.includes("multiple")) text = `${text} [${text} ...]`;
  if (flags.includes("optional")) return `[${text}]`;
  return arg.type === "oneof" ? `<${text}>` : text;
}

/**
 * The lines HELP prints for `names` (`["set"]`, `["config", "get"]`) from the reply of `COMMAND DOCS name` (or
 * `name|sub`): the syntax, the summary, since which version, the complexity, the group. Undefined when the reply
 * has no entry (the server does not know the command).
 */
export function helpLines(names: readonly string[], reply: unknown): string[] | undefined {
  const entries = asMap(reply);
  const wanted = names.join("|").toLowerCase();
  const found = Object.entries(entries).find(([name]) => name.toLowerCase() === wanted);
  if (!found) return undefined;
  const doc = asMap(found[1]);
  const args = Array.isArray(doc.arguments) ? doc.arguments.map(argumentText) : [];
  const lines = [[...names.map((n) => n.toUpperCase()), ...args].join(" ")];
  if (doc.summary !== undefined) lines.push(`  ${String(doc.summary)}`);
  const facts = [
    doc.since === undefined ? undefined : `since ${String(doc.since)}`,
    doc.complexity === undefined ? undefined : `complexity ${String(doc.complexity)}`,
    doc.group === undefined ? undefined : `group ${String(doc.group)}`,
  ].filter((f) => f !== undefined);
  if (facts.length > 0) lines.push(`  ${facts.join(" · ")}`);
  const subcommands = Object.keys(asMap(doc.subcommands));
  if (subcommands.length > 0) {
    lines.push(`  subcommands: ${subcommands.map((s) => s.split("|").slice(1).join(" ").toUpperCase()).join(", ")}`);
  }
  return lines;
}

/** The page for a command, online: where HELP points when the server has no COMMAND DOCS. */
export function docsUrl(names: readonly string[]): string {
  return `https://redis.io/docs/latest/commands/${names.join("-").toLowerCase()}/`;
}

/**
 * What `HELP <names>` prints: the documentation lines, or one line saying why there are none (the server has no
 * COMMAND DOCS, as Redis 6 has not, with the command's page online; or it does not know the command).
 * `call` sends one command to the server; `server` names it (`Redis 6.2.14`).
 */
export async function commandHelp(
  names: readonly string[],
  call: (...argv: string[]) => Promise<unknown>,
  server: string,
): Promise<{ ok: true; lines: string[] } | { ok: false; line: string }> {
  const wanted = names.slice(0, 2);
  let reply: unknown;
  try {
    reply = await call("COMMAND", "DOCS", wanted.join("|"));
  } catch (err) {
    // Before 7.0: "ERR unknown subcommand 'DOCS'" (6.2), "ERR Unknown subcommand or wrong number of arguments" (6.0).
    const refusal = commandRefusal(err);
    if (refusal !== "unknown-subcommand" && refusal !== "unknown-command" && refusal !== "wrong-arity") throw err;
    return {
      ok: false,
      line:
        `HELP needs COMMAND DOCS (Redis 7.0 and later), which this server (${server}) does not have; the ` +
        `command's page: ${docsUrl(wanted.slice(0, 1))}`,
    };
  }
  let lines = helpLines(wanted, reply);
  // HELP SET key: the second word is not a subcommand.
  if (!lines && wanted.length > 1) lines = helpLines(wanted.slice(0, 1), await call("COMMAND", "DOCS", wanted[0]!));
  if (!lines)
    return { ok: false, line: `this server (${server}) has no documentation for ${wanted.join(" ").toUpperCase()}` };
  return { ok: true, lines };
}
