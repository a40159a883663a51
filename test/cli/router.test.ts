/**
 * The router maps argv to a handler call with parsed options, without Redis: a table of command lines, each with the
 * handler it must reach and the options that handler must receive; and a table of bad command lines, each with the
 * usage error commander must raise (exit code non-zero, a message that says what to do).
 */
import { CommanderError, type Command } from "commander";
import { describe, expect, it } from "vitest";
import { lazyHandlers } from "../../src/cli/handlers.js";
import {
  commandNamed,
  createProgram,
  type CacheCliOptions,
  type CleanupCliOptions,
  type DoctorCliOptions,
  type Handlers,
  type RateLimitCliOptions,
} from "../../src/cli/program.js";

type Call =
  | { handler: "ratelimit"; opts: RateLimitCliOptions }
  | { handler: "cleanup"; opts: CleanupCliOptions }
  | { handler: "doctor"; opts: DoctorCliOptions }
  | { handler: "cache"; opts: CacheCliOptions };

interface Parsed {
  calls: Call[];
  error?: CommanderError;
  stdout: string;
  stderr: string;
}

/**
 * Capture commander's output on the program and on every subcommand (each took its own copy of the settings when it
 * was created). Only the writers are replaced: the program's own error formatting (outputError) stays as it is.
 */
function captureOutput(cmd: Command, out: { stdout: string; stderr: string }): void {
  cmd.configureOutput({
    writeOut: (s) => (out.stdout += s),
    writeErr: (s) => (out.stderr += s),
    getOutHelpWidth: () => 120,
    getErrHelpWidth: () => 120,
  });
  for (const sub of cmd.commands) captureOutput(sub, out);
}

/**
 * Parse with every command declared (what completion and the tour read) and as main() does, declaring only the
 * command the line names (start-up); both must reach the same handler with the same options, or fail alike.
 */
async function parse(argv: string[]): Promise<Parsed> {
  const full = await parseWith(argv, false);
  const narrowed = await parseWith(argv, true);
  expect(narrowed).toEqual(full);
  return full;
}

async function parseWith(argv: string[], narrow: boolean): Promise<Parsed> {
  const calls: Call[] = [];
  const handlers: Partial<Handlers> = {
    ratelimit: async (opts) => void calls.push({ handler: "ratelimit", opts }),
    cleanup: async (opts) => void calls.push({ handler: "cleanup", opts }),
    doctor: async (opts) => void calls.push({ handler: "doctor", opts }),
    cache: async (opts) => void calls.push({ handler: "cache", opts }),
  };
  const program = createProgram(handlers, narrow ? ["node", "redis-patterns", ...argv] : undefined);
  const out = { stdout: "", stderr: "" };
  captureOutput(program, out);
  try {
    await program.parseAsync(argv, { from: "user" });
    return { calls, ...out };
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    return { calls, error: err, ...out };
  }
}

const GLOBAL_DEFAULTS = {
  json: false,
  color: true,
  keep: false,
  timeout: 5_000,
  embedded: false,
  insecure: false,
  showLua: false,
  trace: "summary",
};

const RATELIMIT_DEFAULTS = {
  ...GLOBAL_DEFAULTS,
  compare: false,
  limit: 10,
  window: 60_000,
  cost: 1,
  clients: 1,
  traffic: "boundary",
  clock: "scenario",
};

interface Case {
  argv: string;
  handler: Call["handler"];
  /** The options the handler must get (a subset; numbers compared to 4 decimals; false also matches absent). */
  opts: Record<string, unknown>;
  /** Options that must be absent (undefined). */
  absent?: string[];
}

const cases: Case[] = [
  {
    argv: "ratelimit",
    handler: "ratelimit",
    opts: RATELIMIT_DEFAULTS,
    absent: ["algo", "rate", "burst", "requests", "url", "prefix", "tlsCa"],
  },
  {
    argv:
      "ratelimit --algo token-bucket --limit 5 --window 10s --rate 100/m --burst 3 --cost 2 --requests 7 --clients 2 " +
      "--traffic steady --clock real --json --prefix rp:x --keep --timeout 2 --trace summary",
    handler: "ratelimit",
    opts: {
      algo: "token-bucket",
      limit: 5,
      window: 10_000,
      rate: 100 / 60,
      burst: 3,
      cost: 2,
      requests: 7,
      clients: 2,
      traffic: "steady",
      clock: "real",
      json: true,
      prefix: "rp:x",
      keep: true,
      timeout: 2_000,
      trace: "summary",
      compare: false,
    },
  },
  // Global options before the subcommand, and after it.
  {
    argv: "--json --url redis://h:1/2 --timeout 500ms --trace off --no-color ratelimit --algo fixed-window",
    handler: "ratelimit",
    opts: { json: true, url: "redis://h:1/2", timeout: 500, trace: "off", color: false, algo: "fixed-window" },
  },
  {
    argv: "ratelimit --algo sliding-log --url redis://h:1 --json --show-lua --embedded --timeout 1.5s",
    handler: "ratelimit",
    opts: { url: "redis://h:1", json: true, showLua: true, embedded: true, timeout: 1_500, algo: "sliding-log" },
  },
  { argv: "--prefix rp:before ratelimit --keep", handler: "ratelimit", opts: { prefix: "rp:before", keep: true } },
  { argv: "ratelimit --prefix rp:trailing:::", handler: "ratelimit", opts: { prefix: "rp:trailing" } },
  {
    argv: "ratelimit --compare --traffic burst",
    handler: "ratelimit",
    opts: { compare: true, traffic: "burst" },
    absent: ["algo"],
  },
  { argv: "ratelimit --window 500ms --rate 10/s", handler: "ratelimit", opts: { window: 500, rate: 10 } },
  { argv: "ratelimit --window 1.5s --rate 5", handler: "ratelimit", opts: { window: 1_500, rate: 5 } },
  { argv: "ratelimit --window 1h --rate 3600/h", handler: "ratelimit", opts: { window: 3_600_000, rate: 1 } },
  { argv: "ratelimit --timeout 0.25", handler: "ratelimit", opts: { timeout: 250 } },
  {
    argv: "ratelimit --url=redis://eq:6379 --limit=3",
    handler: "ratelimit",
    opts: { url: "redis://eq:6379", limit: 3 },
  },
  // Redis Cluster: a repeated --url gives the seed nodes (one URL stays a string), --cluster forces the cluster client.
  {
    argv: "--url redis://a:7000 --url redis://b:7001 ratelimit",
    handler: "ratelimit",
    opts: { url: ["redis://a:7000", "redis://b:7001"] },
  },
  { argv: "doctor --cluster --url redis://a:7000", handler: "doctor", opts: { cluster: true, url: "redis://a:7000" } },
  { argv: "--tls-ca ca.pem --insecure ratelimit", handler: "ratelimit", opts: { tlsCa: "ca.pem", insecure: true } },
  {
    argv: "cleanup --prefix rp:1a2b3c4d",
    handler: "cleanup",
    opts: { ...GLOBAL_DEFAULTS, prefix: "rp:1a2b3c4d", dryRun: false },
  },
  {
    argv: "cleanup --prefix rp:1a2b3c4d --dry-run --json --url redis://x:6380",
    handler: "cleanup",
    opts: { dryRun: true, json: true, url: "redis://x:6380" },
  },
  {
    argv: "--url redis://x:6380 --json cleanup --dry-run --prefix rp:abc",
    handler: "cleanup",
    opts: { dryRun: true, json: true, url: "redis://x:6380", prefix: "rp:abc" },
  },
  {
    argv: "cache",
    handler: "cache",
    opts: { ...GLOBAL_DEFAULTS, db: "sqlite" },
    absent: ["strategy", "dbLatency", "ttl", "invalidate", "protect", "instances"],
  },
  {
    argv:
      "cache --strategy write-behind --crash-before-flush --db postgres://u@h:5432/d --db-latency 0 --reads 50 " +
      "--writes 5 --keys 9 --ttl 500ms --seed 3 --batch 4 --flush-interval 25ms",
    handler: "cache",
    opts: {
      strategy: "write-behind",
      crashBeforeFlush: true,
      db: "postgres://u@h:5432/d",
      dbLatency: 0,
      reads: 50,
      writes: 5,
      keys: 9,
      ttl: 500,
      seed: 3,
      batch: 4,
      flushInterval: 25,
    },
  },
  { argv: "cache --invalidate event --instances 5", handler: "cache", opts: { invalidate: "event", instances: 5 } },
  {
    argv: "cache --stampede --protect early-expiry --concurrency 16",
    handler: "cache",
    opts: { stampede: true, protect: "early-expiry", concurrency: 16 },
  },
  {
    argv: "cache --race --db sqlite:/tmp/origin.db",
    handler: "cache",
    opts: { race: true, db: "sqlite:/tmp/origin.db" },
  },
  { argv: "doctor", handler: "doctor", opts: { ...GLOBAL_DEFAULTS, pings: 100 }, absent: ["only"] },
  {
    argv: "doctor --only lock,ratelimit,lock --pings 5 --json",
    handler: "doctor",
    opts: { only: ["lock", "ratelimit"], pings: 5, json: true },
  },
];

describe("argv → handler and parsed options", () => {
  it.each(cases)("$argv", async ({ argv, handler, opts, absent = [] }) => {
    const parsed = await parse(argv.split(" "));
    expect(parsed.error?.message, parsed.stderr).toBeUndefined();
    expect(parsed.calls.map((c) => c.handler)).toEqual([handler]);
    const got = parsed.calls[0]!.opts as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(opts)) {
      if (typeof value === "number") expect(got[name], name).toBeCloseTo(value, 4);
      // A flag that was not given may be absent or false (flags carry no default, so help shows no "(default: false)").
      else if (value === false) expect(got[name] ?? false, name).toBe(false);
      else expect(got[name], name).toEqual(value);
    }
    for (const name of absent) expect(got[name], name).toBeUndefined();
    expect(parsed.stderr).toBe("");
  });
});

interface BadCase {
  argv: string;
  /** What the message must say, so the user knows what to change. */
  message: RegExp;
}

const bad: BadCase[] = [
  { argv: "nosuchcommand", message: /unknown command 'nosuchcommand'/ },
  { argv: "ratelimt", message: /unknown command 'ratelimt'[\s\S]*did you mean ratelimit\?/i },
  {
    argv: "ratelimit --algo leaky-bucket",
    message: /unknown algorithm "leaky-bucket": choose one of fixed-window, sliding-log, sliding-counter, token-bucket/,
  },
  { argv: "ratelimit --algo", message: /option '--algo <name>' argument missing/ },
  { argv: "ratelimit --bogus", message: /unknown option '--bogus'/ },
  { argv: "ratelimit --compar", message: /unknown option '--compar'[\s\S]*did you mean --compare\?/i },
  { argv: "ratelimit --limit abc", message: /--limit must be a whole number, not "abc"/ },
  { argv: "ratelimit --limit 0", message: /--limit must be between 1 and 10000, not 0/ },
  { argv: "ratelimit --limit 2.5", message: /--limit must be a whole number/ },
  { argv: "ratelimit --clients 1001", message: /--clients must be between 1 and 1000, not 1001/ },
  { argv: "ratelimit --requests 0", message: /--requests must be between 1 and 30000/ },
  { argv: "ratelimit --window 10", message: /invalid duration "10": missing unit/ },
  { argv: "ratelimit --window 10y", message: /invalid duration "10y": unknown unit "y"/ },
  { argv: "ratelimit --window=-5s", message: /invalid duration "-5s": must not be negative/ },
  { argv: "ratelimit --window 0s", message: /invalid duration "0s": must be more than zero/ },
  { argv: "ratelimit --window 0.5ms", message: /not a whole number of milliseconds/ },
  { argv: "ratelimit --rate 0/s", message: /invalid rate "0\/s": must be more than zero/ },
  { argv: "ratelimit --rate 5/d", message: /invalid rate "5\/d": unknown unit "d"/ },
  { argv: "ratelimit --rate fast", message: /invalid rate "fast"/ },
  {
    argv: "ratelimit --traffic zigzag",
    message: /argument 'zigzag' is invalid\. Allowed choices are steady, burst, boundary/,
  },
  { argv: "ratelimit --clock fake", message: /Allowed choices are scenario, real/ },
  { argv: "--trace verbose ratelimit", message: /Allowed choices are full, summary, off/ },
  { argv: "ratelimit --timeout soon", message: /invalid duration "soon"/ },
  { argv: "ratelimit --prefix ab", message: /--prefix "ab" is too short/ },
  { argv: "ratelimit --prefix rp:*", message: /may not contain glob characters, braces or spaces/ },
  { argv: "cleanup --prefix rp:{x}", message: /may not contain glob characters, braces or spaces/ },
  { argv: "cleanup --dry-run extra", message: /too many arguments for 'cleanup'/ },
  {
    argv: "doctor --only ratelimit,queues",
    message: /unknown pattern "queues" in --only: choose from ratelimit, cache,/,
  },
  {
    argv: "cache --strategy lazy",
    message: /unknown strategy "lazy": choose one of cache-aside, read-through, write-through, write-behind/,
  },
  { argv: "cache --db redis://x", message: /--db "redis:\/\/x": use sqlite/ },
  { argv: "cache --db-latency -1", message: /--db-latency must be between 0 and 10000, not -1/ },
  { argv: "cache --invalidate cdc", message: /unknown invalidation "cdc": choose one of ttl, event, versioned/ },
  { argv: "cache --instances 0", message: /--instances must be between 1 and 50, not 0/ },
  { argv: "doctor --pings 0", message: /--pings must be between 1 and 100000, not 0/ },
];

describe("bad argv → a usage error that says what to do", () => {
  it.each(bad)("$argv", async ({ argv, message }) => {
    const parsed = await parse(argv.split(" "));
    expect(parsed.calls).toEqual([]);
    expect(parsed.error).toBeInstanceOf(CommanderError);
    expect(parsed.error!.exitCode).not.toBe(0);
    expect(parsed.error!.code).not.toMatch(/helpDisplayed|version/);
    expect(parsed.error!.message).toMatch(message);
    // What the user sees on stderr: the same message, and where to look next.
    expect(parsed.stderr).toMatch(message);
    expect(parsed.stderr).toMatch(/--help/);
    expect(parsed.stdout).toBe("");
  });
});

describe("--help and --version", () => {
  it("--help lists every command and global option, with examples and exit codes", async () => {
    const parsed = await parse(["--help"]);
    expect(parsed.error?.code).toBe("commander.helpDisplayed");
    expect(parsed.error?.exitCode).toBe(0);
    expect(parsed.calls).toEqual([]);
    const program = createProgram();
    for (const cmd of program.commands) expect(parsed.stdout).toMatch(new RegExp(`^\\s+${cmd.name()}\\b`, "m"));
    // Every handler is a command, and every command has an example in the root help.
    expect(program.commands.map((c) => c.name()).sort()).toEqual(Object.keys(lazyHandlers).sort());
    for (const opt of program.options) expect(parsed.stdout).toContain(opt.long!);
    expect(parsed.stdout).toMatch(/Examples:\n(\s+\$ redis-patterns .+\n)+/);
    for (const cmd of program.commands)
      expect(parsed.stdout).toMatch(new RegExp(`\\$ redis-patterns ${cmd.name()}\\b`));
    expect(parsed.stdout).toMatch(/Exit codes:.*0 ok.*1.*2 usage.*3.*4.*130 interrupted/s);
  });

  it.each(["ratelimit", "cleanup"])("%s --help shows its options and an example", async (name) => {
    const parsed = await parse([name, "--help"]);
    expect(parsed.error?.code).toBe("commander.helpDisplayed");
    expect(parsed.calls).toEqual([]);
    const cmd = createProgram().commands.find((c) => c.name() === name)!;
    for (const opt of cmd.options) expect(parsed.stdout).toContain(opt.long!);
    expect(parsed.stdout).toMatch(new RegExp(`Examples?:\\n\\s+\\$ redis-patterns ${name}`));
  });

  it.each([["--version"], ["-V"]])("%s prints the package version", async (flag) => {
    const parsed = await parse([flag]);
    expect(parsed.error?.code).toBe("commander.version");
    expect(parsed.error?.exitCode).toBe(0);
    expect(parsed.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(parsed.calls).toEqual([]);
  });
});

describe("declaring only the command the line names (start-up)", () => {
  it("finds the command after global options and their values, and none where there is none", () => {
    const program = createProgram();
    const named = (line: string) =>
      commandNamed(program, ["node", "redis-patterns", ...line.split(" ").filter(Boolean)]);
    expect(named("ratelimit --algo token-bucket")).toBe("ratelimit");
    expect(named("--url redis://h:1 --timeout 2s --trace off -q --json cache --strategy write-behind")).toBe("cache");
    expect(named("--prefix lock lock --workers 5")).toBe("lock");
    expect(named("--url=redis://h:1 hll")).toBe("hll");
    expect(named("--json --help")).toBeUndefined();
    expect(named("-- ratelimit")).toBeUndefined();
    expect(named("")).toBeUndefined();
    // A narrowed program holds that command only; an unknown name (a typo) keeps them all, for the suggestion.
    const only = createProgram({}, ["node", "redis-patterns", "--url", "redis://h:1", "queue"]);
    expect(only.commands.map((c) => c.name())).toEqual(["queue"]);
    const typo = createProgram({}, ["node", "redis-patterns", "ratelimt"]);
    expect(typo.commands.map((c) => c.name())).toEqual(createProgram().commands.map((c) => c.name()));
  });

  it.each(createProgram().commands.map((c) => [c.name()]))("%s --help is the same text either way", async (name) => {
    // parse() compares the narrowed program's output with the full one's.
    const parsed = await parse([name, "--help"]);
    expect(parsed.error?.code).toBe("commander.helpDisplayed");
    expect(parsed.stdout).toContain(name);
  });
});
