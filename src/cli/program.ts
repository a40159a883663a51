import { Command, Option } from "commander";
import { declareCleanup, type CleanupCliOptions } from "./options/cleanup.js";
import { declareDoctor, type DoctorCliOptions } from "./options/doctor.js";
import { declareAnalytics, type AnalyticsCliOptions } from "./options/analytics.js";
import { declareCache, type CacheCliOptions } from "./options/cache.js";
import { declareHll, type HllCliOptions } from "./options/hll.js";
import { declareLeaderboard, type LeaderboardCliOptions } from "./options/leaderboard.js";
import { declareLock, type LockCliOptions } from "./options/lock.js";
import { declarePrimary, type PrimaryCliOptions } from "./options/primary.js";
import { declareQueue, type QueueCliOptions } from "./options/queue.js";
import { declareRatelimit, type RateLimitCliOptions } from "./options/ratelimit.js";
import { declareSession, type SessionCliOptions } from "./options/session.js";
import { declareSmoke, type SmokeCliOptions } from "./options/smoke.js";
import { declareTour, type TourCliOptions } from "./options/tour.js";
import { declareBench, type BenchCliOptions } from "./options/bench.js";
import { declareCompletion, declareList, type CompletionCliOptions, type ListCliOptions } from "./options/list.js";
import { configureHelp, decorateCommands, fitHelpText, helpWidth } from "./help.js";
import { collectUrl, option, parseInteger, parsePrefix, parseTimeout } from "./options/common.js";
import { prefixed } from "./notice.js";
import { DURATION_BOUNDS, checkProducts, durationAtMost } from "./options/bounds.js";
import { packageVersion } from "./version.js";

export type { CleanupCliOptions, RateLimitCliOptions, SmokeCliOptions, SessionCliOptions };
export type { DoctorCliOptions };
export type { CacheCliOptions };

/**
 * What each command does with its parsed options: `lazyHandlers` (src/cli/handlers.ts) in the product, fakes (any
 * subset) in tests, none where only the declared options are read (the tour's flags, shell completion).
 */
export interface Handlers {
  ratelimit(opts: RateLimitCliOptions): Promise<void>;
  cache(opts: CacheCliOptions): Promise<void>;
  session(opts: SessionCliOptions): Promise<void>;
  cleanup(opts: CleanupCliOptions): Promise<void>;
  doctor(opts: DoctorCliOptions): Promise<void>;
  hll(opts: HllCliOptions): Promise<void>;
  leaderboard(opts: LeaderboardCliOptions): Promise<void>;
  analytics(opts: AnalyticsCliOptions): Promise<void>;
  lock(opts: LockCliOptions): Promise<void>;
  queue(opts: QueueCliOptions): Promise<void>;
  primary(opts: PrimaryCliOptions): Promise<void>;
  smoke(opts: SmokeCliOptions): Promise<void>;
  tour(opts: TourCliOptions): Promise<void>;
  bench(opts: BenchCliOptions): Promise<void>;
  list(opts: ListCliOptions): Promise<void>;
  completion(opts: CompletionCliOptions): Promise<void>;
}

const EXAMPLES = `
Examples:
  $ redis-patterns ratelimit                          the four rate limiters side by side, on a boundary burst
  $ redis-patterns ratelimit --algo token-bucket      one algorithm, every command it sends
  $ redis-patterns ratelimit --algo sliding-log --limit 100 --window 1m --traffic steady
  $ redis-patterns ratelimit --url redis://:secret@cache.internal:6379/2 --json
  $ redis-patterns cache --strategy write-behind --crash-before-flush   a real database behind the cache: writes \
lost, counted
  $ redis-patterns session --variant lost-update      two requests rewrite one session: a change vanishes
  $ redis-patterns leaderboard --players 1000000      the chapter's million players: ~100 MB and fast ranks, measured
  $ redis-patterns hll --trials 30                    unique counts in 12 KB: the 0.81% standard error, measured
  $ redis-patterns analytics --kind trending          trending with decay, and the view a client-side decay loses
  $ redis-patterns lock --workers 5                   three locks under contention: a lock that expires mid-work, \
renewal, fencing
  $ redis-patterns queue                              consumers crash: the list loses messages, the reliable list and \
the stream do not
  $ redis-patterns primary                            Redis as the only copy: SIGKILL under each persistence setting, \
writes lost
  $ redis-patterns cleanup --prefix rp:1a2b3c4d       remove what a --keep run left behind
  $ redis-patterns doctor --url $REDIS_URL            which patterns this server can carry (exit 1 if any is at risk)
  $ redis-patterns smoke --url $REDIS_URL --junit report.xml   CI: every scenario as a test
  $ redis-patterns bench ratelimit --vs-redis-benchmark   a hot operation's ops/s and latency, against redis-benchmark
  $ redis-patterns list                               every scenario id, with a line on what it shows
  $ redis-patterns completion bash                    shell completion (see: redis-patterns completion --help)
  $ redis-patterns tour                               a guided walkthrough of every pattern (also: redis-patterns \
alone, on a terminal)

Target: --url, else $REDIS_URL, else redis://127.0.0.1:6379; when nothing answers there (or with --embedded) a
throwaway redis-server from PATH is started for the run.
Exit codes: 0 ok · 1 a check failed · 2 usage · 3 connection or timeout · 4 auth, permission, or refused for the \
data's sake (eviction risk) · 130 interrupted`;

/**
 * The router: it declares the global options, lets each command declare its own (src/cli/options/, commander
 * only), and hands parsed options to a handler. Handlers are imported lazily, so `--help` and `--version` never
 * load ioredis, chalk, ora or the prompts.
 */
export function createProgram(wired: Partial<Handlers> = {}, argv?: readonly string[]): Command {
  const handlers = new Proxy(wired, {
    get: (target, name: keyof Handlers) =>
      target[name] ??
      (() => Promise.reject(new Error(`no handler for "${name}": main() wires them with createProgram(lazyHandlers)`))),
  }) as Handlers;
  const program = new Command();
  configureHelp(program);
  program
    .name("redis-patterns")
    .description(
      "Run the classic Redis system-design patterns against a real Redis and see every command, reply and latency.",
    )
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .showSuggestionAfterError(true)
    // One line on stderr for every error, in the same form as the runtime errors main.ts prints.
    .configureOutput({
      outputError: (message, write) => write(`${oneLine(message)} (see --help)\n`),
      // Help fits the terminal, at most 80 columns; text added to it (examples) is wrapped the same way.
      getOutHelpWidth: () => helpWidth(),
      writeOut: (text) => process.stdout.write(fitHelpText(text, helpWidth())),
    })
    .option(
      "--url <url>",
      "Redis to use: redis://[user:password@]host[:port][/db], rediss://…, unix:///path (default: $REDIS_URL, " +
        "else redis://127.0.0.1:6379); repeat it to give several cluster seed nodes",
      collectUrl,
    )
    .option(
      "--cluster",
      "use the Redis Cluster client (automatic when the server reports cluster mode, or with several --url)",
    )
    .option("--json", "print one JSON document on stdout instead of tables and traces")
    .option("--no-color", "no colours (also off when not a terminal, with NO_COLOR or TERM=dumb)")
    .option("--prefix <prefix>", "key prefix for this run (default: a fresh rp:<random>)", option(parsePrefix))
    .option("--keep", "keep the run's keys instead of deleting them at the end")
    .option(
      "--force",
      "run even when the server could evict keys to make room for the run's (maxmemory with an allkeys-* or " +
        "volatile-* policy)",
    )
    .addOption(
      new Option("--timeout <duration>", "connect and command timeout (e.g. 5s, 500ms; a bare number is seconds)")
        .argParser(
          option(durationAtMost(parseTimeout, DURATION_BOUNDS.wait.ms, "--timeout", DURATION_BOUNDS.wait.shown)),
        )
        .default(5_000, "5s"),
    )
    .option("--embedded", "start a throwaway redis-server from PATH for this run, whatever answers elsewhere")
    .option("--tls-ca <file>", "CA certificate (PEM) to verify a rediss:// server")
    .option("--insecure", "rediss:// without verifying the server's certificate")
    .option(
      "--ask-pass",
      "ask for the password on the terminal (hidden); or set REDIS_PASSWORD (or REDISCLI_AUTH), so it is not in argv",
    )
    .option("--show-lua", "print each Lua script's source the first time the trace uses it")
    .addOption(
      new Option(
        "--trace <mode>",
        "the command trace: summary (a long step as its first and last commands, the rest grouped by kind with " +
          "p50/p99), full (every command, every byte, one line each whatever the width) or off",
      )
        .choices(["full", "summary", "off"])
        .default("summary"),
    )
    .option("-q, --quiet", "print only the verdict: the closing summary of checks, metrics and the chapter's figures")
    .option(
      "--width <columns>",
      "fit human output to this many columns (default: the terminal's, else $COLUMNS, else 80)",
      option((t) => parseInteger(t, "--width", 40, 1_000)),
    )
    .option("--ascii", "plain ASCII tables and plots (also with TERM=dumb)")
    .addHelpText("after", EXAMPLES)
    .hook("preAction", (root, action) => {
      // Whether --trace was typed or is the default (doctor prints its probes only when asked).
      if (action.getOptionValueSourceWithGlobals("trace") === "cli") root.setOptionValue("traceExplicit", true);
    });

  // Sizes that multiply (hll --trials × --count, …): each product within its bound, before anything connects.
  program.hook("preAction", (_root, action) => {
    checkProducts(action.name(), (flag) => {
      const declared = action.options.find((o) => o.long === flag);
      return declared ? action.getOptionValue(declared.attributeName()) : undefined;
    });
  });

  // --ask-pass: prompt before the command connects (after the options parsed, so --help never prompts).
  program.hook("preAction", async (_root, action) => {
    if (action.optsWithGlobals<{ askPass?: boolean }>().askPass) await (await import("./secrets.js")).askPassword();
  });

  const commands: [name: keyof Handlers, declare: () => void][] = [
    ["ratelimit", () => declareRatelimit(program, (opts) => handlers.ratelimit(opts))],
    ["cache", () => declareCache(program, (opts) => handlers.cache(opts))],
    ["session", () => declareSession(program, (opts) => handlers.session(opts))],
    ["hll", () => declareHll(program, (opts) => handlers.hll(opts))],
    ["leaderboard", () => declareLeaderboard(program, (opts) => handlers.leaderboard(opts))],
    ["analytics", () => declareAnalytics(program, (opts) => handlers.analytics(opts))],
    ["lock", () => declareLock(program, (opts) => handlers.lock(opts))],
    ["queue", () => declareQueue(program, (opts) => handlers.queue(opts))],
    ["primary", () => declarePrimary(program, (opts) => handlers.primary(opts))],
    ["cleanup", () => declareCleanup(program, (opts) => handlers.cleanup(opts))],
    ["doctor", () => declareDoctor(program, (opts) => handlers.doctor(opts))],
    ["smoke", () => declareSmoke(program, (opts) => handlers.smoke(opts))],
    ["tour", () => declareTour(program, (opts) => handlers.tour(opts))],
    ["bench", () => declareBench(program, (opts) => handlers.bench(opts))],
    ["list", () => declareList(program, (opts) => handlers.list(opts))],
    ["completion", () => declareCompletion(program, (opts) => handlers.completion(opts))],
  ];
  // Given the command line, only the command it names is declared (start-up: declaring all sixteen with their
  // options is most of what parsing costs). Anything else (no command, `help`, a typo that needs the suggestions)
  // declares them all.
  const named = argv ? commandNamed(program, argv) : undefined;
  const only = commands.find(([name]) => name === named);
  for (const [name, declare] of only ? [only] : commands) {
    declare();
    if (program.commands.at(-1)?.name() !== name) throw new Error(`internal error: declared ${name} as another name`);
  }
  decorateCommands(program);
  return program;
}

/**
 * The first argument that is neither a global option nor a global option's value: the command's name, if any.
 * (After `--`, none.)
 */
export function commandNamed(program: Command, argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return undefined;
    if (!arg.startsWith("-")) return arg;
    const option = program.options.find((o) => o.long === arg || o.short === arg);
    if (option && (option.required || option.optional)) i++;
  }
  return undefined;
}

/**
 * commander's "error: unknown command 'x'\n(Did you mean y?)" as "redis-patterns: unknown command 'x' (did you mean
 * y?)".
 */
export function oneLine(message: string): string {
  return prefixed(
    message
      .replace(/^error: /, "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .join(" ")
      .replace("(Did you mean", "(did you mean"),
  );
}
