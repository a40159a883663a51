import { exists, getKeyIndexes } from "@ioredis/commands";

/**
 * The tour's sandbox: the user types Redis commands against the run's keys. Every key argument (found with ioredis's
 * command table, the same key positions Redis Cluster routing uses) is placed under the run's prefix, and commands
 * that could read or change anything else are refused with the reason.
 */
export type SandboxPlan = { ok: true; argv: string[]; keys: string[] } | { ok: false; reason: string };

const REFUSED: Record<string, string> = {
  flushall: "deletes every key in every database, not only the run's",
  flushdb: "deletes every key in the database, not only the run's",
  keys:
    "walks the whole keyspace (it blocks the server and lists other applications' keys); use SCAN 0 MATCH " +
    "<pattern>, placed under the prefix",
  randomkey: "returns a key from anywhere in the database",
  shutdown: "stops the server",
  debug: "can crash, pause or reload the server",
  swapdb: "swaps whole databases",
  move: "moves a key to another database, out of the run's reach",
  migrate: "moves keys to another server",
  copy: "can copy into another database (DB option); use the run's keys with SET/GET instead",
  select: "switches this connection to another database",
  replicaof: "turns the server into a replica and drops its data",
  slaveof: "turns the server into a replica and drops its data",
  failover: "hands the server's role to a replica",
  cluster: "changes or inspects the cluster as a whole",
  save: "writes the whole dataset to disk and blocks the server",
  bgsave: "writes the whole dataset to disk",
  bgrewriteaof: "rewrites the whole append-only file",
  monitor: "streams every client's commands and never returns to the prompt",
  sync: "starts a replication stream",
  psync: "starts a replication stream",
  subscribe: "turns the connection into a subscriber; the run's connection must keep answering",
  psubscribe: "turns the connection into a subscriber; the run's connection must keep answering",
  ssubscribe: "turns the connection into a subscriber; the run's connection must keep answering",
  publish: "reaches every subscriber of the channel, other applications' too",
  spublish: "reaches every subscriber of the channel, other applications' too",
  eval: "a Lua script can touch any key by name, whatever KEYS says",
  eval_ro: "a Lua script can read any key by name, whatever KEYS says",
  evalsha: "a Lua script can touch any key by name, whatever KEYS says",
  evalsha_ro: "a Lua script can read any key by name, whatever KEYS says",
  fcall: "a Redis function can touch any key by name",
  fcall_ro: "a Redis function can read any key by name",
  multi: "type one command at a time (a transaction would hold the run's connection)",
  exec: "type one command at a time",
  watch: "type one command at a time",
  quit: "would close the run's connection; leave the sandbox with an empty line or .exit",
  reset: "would reset the run's connection",
  hello: "would renegotiate the run's connection",
  auth: "would change who the run's connection is",
  wait: "blocks on replication of other clients' writes",
  waitaof: "blocks on persistence of other clients' writes",
};

/** Subcommands refused, by command; others of the same command are allowed (CONFIG GET, CLIENT LIST…). */
const REFUSED_SUBCOMMANDS: Record<string, Record<string, string>> = {
  config: {
    set: "changes the server's configuration for every client",
    resetstat: "resets the server's statistics for every client",
    rewrite: "rewrites the server's configuration file",
  },
  script: {
    flush: "removes every client's cached Lua scripts",
    kill: "kills another client's script",
    load: "loads a script that could touch any key",
  },
  function: {
    flush: "removes every library of Redis functions",
    delete: "removes a library of Redis functions",
    load: "loads functions that could touch any key",
    restore: "replaces the server's functions",
  },
  client: {
    kill: "disconnects other clients",
    pause: "stops every client",
    unpause: "resumes clients someone else paused",
    "no-evict": "changes how the server treats this connection",
    "no-touch": "changes how the server treats this connection",
    reply: "would silence the run's connection",
    tracking: "changes how the server treats this connection",
    unblock: "unblocks another client",
  },
  acl: {
    setuser: "creates or changes users",
    deluser: "deletes users",
    load: "reloads every user from disk",
    save: "writes every user to disk",
  },
  memory: { purge: "asks the allocator to release memory for the whole server" },
  latency: { reset: "resets the server's latency statistics" },
  slowlog: { reset: "clears the server's slow log" },
  module: {
    load: "loads code into the server",
    unload: "unloads code from the server",
    loadex: "loads code into the server",
  },
};

/** Commands that name keys outside the positions Redis reports (patterns): refused with these arguments. */
function patternArgumentProblem(name: string, args: string[]): string | undefined {
  if (name === "sort" || name === "sort_ro") {
    const upper = args.map((a) => a.toUpperCase());
    if (upper.includes("BY") || upper.includes("GET"))
      return "SORT … BY/GET reads keys named by a pattern, anywhere in the database";
  }
  return undefined;
}

/**
 * Split a line as redis-cli does: spaces separate arguments, "double quotes" (with \n, \", \\ escapes) and 'single
 * quotes' group.
 */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let arg = "";
    while (i < line.length && !/\s/.test(line[i]!)) {
      const ch = line[i]!;
      if (ch === '"' || ch === "'") {
        const quote = ch;
        i++;
        let closed = false;
        while (i < line.length) {
          const c = line[i]!;
          if (c === quote) {
            closed = true;
            i++;
            break;
          }
          if (quote === '"' && c === "\\" && i + 1 < line.length) {
            const next = line[i + 1]!;
            arg += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next;
            i += 2;
            continue;
          }
          arg += c;
          i++;
        }
        if (!closed) throw new Error(`unbalanced ${quote === '"' ? "double" : "single"} quote`);
      } else {
        arg += ch;
        i++;
      }
    }
    out.push(arg);
  }
  return out;
}

/**
 * Decide what to do with a typed command: refuse it (with the reason), or send it with each key argument placed
 * under `prefix` (a key already under the prefix stays as typed). SCAN is allowed only with a MATCH pattern, which is
 * placed under the prefix too.
 */
export function planSandboxCommand(argv: string[], prefix: string): SandboxPlan {
  if (argv.length === 0) return { ok: false, reason: "empty command" };
  const name = argv[0]!.toLowerCase();
  const args = argv.slice(1);
  const display = argv[0]!.toUpperCase();
  if (REFUSED[name] !== undefined)
    return { ok: false, reason: `${display} is refused in the sandbox: it ${REFUSED[name]}` };
  if (!exists(name)) return { ok: false, reason: `unknown command ${display}` };
  const sub = args[0]?.toLowerCase();
  const subs = REFUSED_SUBCOMMANDS[name];
  if (subs && sub !== undefined && subs[sub]) {
    return { ok: false, reason: `${display} ${sub.toUpperCase()} is refused in the sandbox: it ${subs[sub]}` };
  }
  const patternProblem = patternArgumentProblem(name, args);
  if (patternProblem) return { ok: false, reason: `refused in the sandbox: ${patternProblem}` };
  const under = (key: string) => (key.startsWith(`${prefix}:`) ? key : `${prefix}:${key}`);
  if (name === "scan") {
    const at = args.findIndex((a, i) => i > 0 && a.toLowerCase() === "match");
    if (at < 0 || args[at + 1] === undefined) {
      return {
        ok: false,
        reason:
          `SCAN without MATCH would list every key in the database: add MATCH <pattern> (it is placed ` +
          `under ${prefix}:)`,
      };
    }
    const out = [...args];
    out[at + 1] = under(args[at + 1]!);
    return { ok: true, argv: [argv[0]!, ...out], keys: [] };
  }
  let indexes: number[];
  try {
    indexes = getKeyIndexes(name, args);
  } catch (err) {
    return { ok: false, reason: `${display}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const out = [...args];
  const keys: string[] = [];
  for (const i of indexes) {
    if (out[i] === undefined) continue;
    out[i] = under(out[i]!);
    keys.push(out[i]!);
  }
  return { ok: true, argv: [argv[0]!, ...out], keys };
}
