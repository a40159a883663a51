/**
 * Reading an ACL user's rules (the reply of ACL GETUSER) the way the server applies them, for servers where ACL DRYRUN
 * is missing (Redis 6) or refused while GETUSER is allowed. Pure: the command categories come from COMMAND INFO.
 *
 * Covered: command rules applied in order (+@all / allcommands, -@all / nocommands, ±@category, ±command,
 * ±command|subcommand, ±command|first-arg), key patterns (~pattern, %R~ / %W~ / %RW~, allkeys) and channel patterns
 * (&pattern, allchannels). Selectors (Redis 7) can grant what the root rules deny: a denial is then "unknown".
 */
import type { Permission } from "./facts.js";

export interface AclUser {
  commands: string;
  /** Key patterns with the access they grant. */
  keys: { pattern: string; read: boolean; write: boolean }[];
  /** Channel patterns; null when the server has no channel permissions (Redis 6.0: every channel allowed). */
  channels: string[] | null;
  /** Selectors beyond the root permissions (Redis 7). */
  selectors: number;
  enabled: boolean;
}

/** ACL GETUSER's flat reply (fields as in Redis 6.0 – 7.x) as an AclUser. */
export function parseGetUser(reply: unknown): AclUser {
  // As an object, so the fields read as properties (f.keys), never as a string that looks like a command name.
  const f: { flags?: unknown; commands?: unknown; keys?: unknown; channels?: unknown; selectors?: unknown } = {};
  if (Array.isArray(reply))
    for (let i = 0; i + 1 < reply.length; i += 2) Object.assign(f, { [String(reply[i])]: reply[i + 1] });
  const flags = Array.isArray(f.flags) ? f.flags.map(String) : [];
  let commands = String(f.commands ?? "");
  if (flags.includes("allcommands") && !/^\+@all\b/.test(commands)) commands = `+@all ${commands}`.trim();

  const keys: AclUser["keys"] = [];
  if (flags.includes("allkeys")) keys.push({ pattern: "*", read: true, write: true });
  const rawKeys = f.keys;
  const keyTokens = Array.isArray(rawKeys)
    ? rawKeys.map((k) => `~${String(k)}`)
    : String(rawKeys ?? "")
        .split(/\s+/)
        .filter(Boolean);
  for (const token of keyTokens) {
    const m = /^(?:%(R|W|RW|WR))?~(.*)$/.exec(token);
    if (m) keys.push({ pattern: m[2]!, read: !m[1] || m[1].includes("R"), write: !m[1] || m[1].includes("W") });
    else if (token === "allkeys") keys.push({ pattern: "*", read: true, write: true });
  }

  let channels: string[] | null = null;
  if (f.channels !== undefined || flags.includes("allchannels")) {
    channels = flags.includes("allchannels") ? ["*"] : [];
    const raw = f.channels;
    const tokens = Array.isArray(raw)
      ? raw.map((c) => `&${String(c)}`)
      : String(raw ?? "")
          .split(/\s+/)
          .filter(Boolean);
    for (const token of tokens) {
      if (token.startsWith("&")) channels.push(token.slice(1));
      else if (token === "allchannels") channels.push("*");
    }
  }
  const selectors = Array.isArray(f.selectors) ? f.selectors.length : 0;
  return { commands, keys, channels, selectors, enabled: flags.includes("on") };
}

/**
 * What one command needs checked: its name, first argument (subcommand), categories, and the keys and channels it
 * names.
 */
export interface AclQuery {
  argv: readonly string[];
  /** "@read", "@write", … from COMMAND INFO; null when unknown (category rules then cannot be applied). */
  categories: readonly string[] | null;
  keys: readonly string[];
  channels: readonly string[];
}

/** Whether `user` may run `query`, with the reason when not. */
export function checkAcl(user: AclUser, query: AclQuery): { permission: Permission; detail?: string } {
  if (!user.enabled) return { permission: "denied", detail: "the user is disabled (off)" };
  const name = (query.argv[0] ?? "").toLowerCase();
  const first = (query.argv[1] ?? "").toLowerCase();
  const label = `${name}${first ? `|${first}` : ""}`;
  let allowed = false;
  let decidedBy = "no rule grants it";
  let uncertain = false;
  for (const token of user.commands.split(/\s+/).filter(Boolean)) {
    const sign = token[0];
    if (token === "allcommands" || token === "nocommands") {
      allowed = token === "allcommands";
      decidedBy = token;
      continue;
    }
    if (sign !== "+" && sign !== "-") continue;
    const rule = token.slice(1).toLowerCase();
    let applies: boolean;
    if (rule.startsWith("@")) {
      if (rule === "@all") applies = true;
      else if (query.categories === null) {
        applies = false;
        uncertain = true;
      } else applies = query.categories.map((c) => c.toLowerCase()).includes(rule);
    } else if (rule.includes("|")) {
      applies = rule === label;
    } else {
      applies = rule === name;
    }
    if (applies) {
      allowed = sign === "+";
      decidedBy = token;
    }
  }
  const denied = (detail: string): { permission: Permission; detail: string } =>
    user.selectors > 0 || uncertain
      ? { permission: "unknown", detail: `${detail}, unless a selector or category rule allows it` }
      : { permission: "denied", detail };
  const shown = decidedBy.includes("|") ? label : name;
  if (!allowed)
    return denied(
      decidedBy === "no rule grants it" ? `no rule allows '${name}'` : `the rule '${decidedBy}' denies '${shown}'`,
    );
  for (const key of query.keys) {
    const read = user.keys.some((k) => k.read && globMatch(k.pattern, key));
    const write = user.keys.some((k) => k.write && globMatch(k.pattern, key));
    if (!read || !write) return denied(`no key pattern grants read and write on '${key}'`);
  }
  if (user.channels !== null) {
    for (const channel of query.channels) {
      if (!user.channels.some((p) => globMatch(p, channel))) return denied(`no channel pattern allows '${channel}'`);
    }
  }
  return uncertain
    ? { permission: "unknown", detail: "a category rule could not be checked (COMMAND INFO refused)" }
    : { permission: "allowed" };
}

/** Redis glob matching (stringmatchlen): `*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`. */
export function globMatch(pattern: string, text: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*") re += "[\\s\\S]*";
    else if (ch === "?") re += "[\\s\\S]";
    else if (ch === "\\" && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith("^");
      if (negate) body = body.slice(1);
      re += `[${negate ? "^" : ""}${body.replace(/[\]\\]/g, "\\$&")}]`;
      i = end;
    } else re += escapeRe(ch);
  }
  return new RegExp(`${re}$`).test(text);
}

function escapeRe(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}
