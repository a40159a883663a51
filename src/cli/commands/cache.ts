import {
  invalidationScenarios,
  stampedeScenarios,
  staleSetRace,
  strategyScenarios,
  topologyScenarios,
  type OriginParams,
} from "../../../scenarios/cache/index.js";
import { UsageError } from "../../errors.js";
import { parseOriginSpec, strategies, type Strategy } from "../../patterns/cache/index.js";
import { planRun, type ScenarioRun } from "../../runner/runner.js";
import type { ScenarioDef, ScenarioResult, TableData } from "../../runner/types.js";
import { STAMPEDE_PROTECTIONS, type CacheCliOptions } from "../options/cache.js";
import { runSession } from "../session.js";
import { checksCell } from "../format.js";

type Mode = "workload" | "invalidate" | "stampede" | "race" | "topology";

/** Which family of scenarios the options ask for; more than one is a usage error. */
export function cacheMode(opts: CacheCliOptions): Mode {
  const asked: Mode[] = [];
  if (opts.strategy || opts.compare || opts.crashBeforeFlush) asked.push("workload");
  if (opts.invalidate) asked.push("invalidate");
  if (opts.stampede || opts.protect) asked.push("stampede");
  if (opts.race) asked.push("race");
  if (opts.topology) asked.push("topology");
  // --compare also means "all protections" with --stampede.
  if (asked.includes("stampede") && asked.includes("workload") && !opts.strategy && !opts.crashBeforeFlush)
    asked.splice(asked.indexOf("workload"), 1);
  if (asked.length > 1) {
    throw new UsageError(
      `choose one of --strategy/--compare, --invalidate, --stampede, --race and --topology per run ` +
        `(got ${asked.map((m) => `--${m === "workload" ? "strategy" : m}`).join(" and ")})`,
    );
  }
  const mode = asked[0] ?? "workload";
  // Options that only one family uses: given with another, they would be silently ignored, so they are refused.
  const applies: [flag: string, applies: boolean, where: string][] = [
    ["--reads", mode === "workload" || mode === "topology", "the strategies (--strategy/--compare) and --topology"],
    ["--writes", mode === "workload", "the strategies (--strategy/--compare)"],
    ["--batch", mode === "workload", "the strategies (--strategy/--compare)"],
    ["--flush-interval", mode === "workload", "the strategies (--strategy/--compare)"],
    [
      "--keys",
      mode === "workload" || mode === "invalidate" || mode === "topology",
      "the strategies, --invalidate and --topology",
    ],
    ["--seed", mode === "workload" || mode === "stampede", "the strategies and --stampede"],
    ["--instances", opts.invalidate === "event" || mode === "topology", "--invalidate event and --topology"],
    ["--remote-latency", mode === "topology" && opts.topology !== "sidecar", "--topology remote (or both)"],
    ["--server-binary", mode === "topology" && opts.topology !== "remote", "--topology sidecar (or both)"],
    ["--concurrency", mode === "stampede", "--stampede"],
  ];
  for (const [flag, ok, where] of applies) {
    const field = flag.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) as keyof CacheCliOptions;
    if (opts[field] !== undefined && !ok) throw new UsageError(`${flag} applies to ${where} only`);
  }
  if (opts.crashBeforeFlush && opts.strategy && opts.strategy !== "write-behind") {
    throw new UsageError(
      `--crash-before-flush applies to --strategy write-behind (the only strategy with a flushing worker), ` +
        `not ${opts.strategy}`,
    );
  }
  if (mode === "topology" && opts.instances !== undefined && opts.instances < 2)
    throw new UsageError("--topology needs 2 or more --instances: a cache shared by one instance shows nothing");
  return mode;
}

/**
 * The database parameter as scenarios get it: a password in a PostgreSQL URL moves to PGPASSWORD (which pg reads),
 * so the report's params, titles and notes never contain it.
 */
export function originParams(
  opts: CacheCliOptions,
  defaults: OriginParams,
  env: NodeJS.ProcessEnv = process.env,
): OriginParams {
  const spec = parseOriginSpec(opts.db);
  let db = opts.db;
  if (spec.kind === "postgres") {
    const url = new URL(spec.url);
    if (url.password) {
      env.PGPASSWORD ??= decodeURIComponent(url.password);
      url.password = "";
      db = url.toString();
    }
  }
  const dbLatencyMs =
    opts.dbLatency ?? (spec.kind === "postgres" && defaults.dbLatencyMs <= 1 ? 0 : defaults.dbLatencyMs);
  return { db, dbLatencyMs };
}

/** Options over a scenario's defaults: only what the user gave. */
function paramsFor<P extends OriginParams>(
  def: ScenarioDef<P, unknown>,
  opts: CacheCliOptions,
  overrides: Partial<P>,
): P {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<P>;
  return { ...def.defaults, ...originParams(opts, def.defaults), ...given };
}

export function cachePlan(opts: CacheCliOptions): {
  runs: ScenarioRun[];
  summarize?: (results: ScenarioResult[]) => TableData | undefined;
} {
  const mode = cacheMode(opts);
  if (mode === "invalidate") {
    const common = { keys: opts.keys, ttlMs: opts.ttl };
    if (opts.invalidate === "event") {
      const def = invalidationScenarios.event;
      return { runs: [planRun(def, paramsFor(def, opts, { ...common, instances: opts.instances }))] };
    }
    const { ttl, versioned } = invalidationScenarios;
    if (opts.invalidate === "ttl") return { runs: [planRun(ttl, paramsFor(ttl, opts, common))] };
    return { runs: [planRun(versioned, paramsFor(versioned, opts, common))] };
  }
  if (mode === "stampede") {
    const chosen = opts.protect && !opts.compare ? [opts.protect] : [...STAMPEDE_PROTECTIONS];
    const runs = chosen.map((protect) => {
      const def = stampedeScenarios[protect];
      return planRun(def, paramsFor(def, opts, { concurrency: opts.concurrency, ttlMs: opts.ttl, seed: opts.seed }));
    });
    return { runs, summarize: chosen.length > 1 ? stampedeTable : undefined };
  }
  if (mode === "topology") {
    const chosen = opts.topology === "both" ? (["sidecar", "remote"] as const) : [opts.topology!];
    const runs = chosen.map((t) => {
      const def = topologyScenarios[t];
      return planRun(
        def,
        paramsFor(def, opts, {
          instances: opts.instances,
          keys: opts.keys,
          reads: opts.reads,
          ttlMs: opts.ttl,
          remoteLatencyMs: opts.remoteLatency,
          serverBinary: opts.serverBinary,
        }),
      );
    });
    return { runs, summarize: chosen.length > 1 ? topologyTable : undefined };
  }
  if (mode === "race") {
    return { runs: [planRun(staleSetRace, paramsFor(staleSetRace, opts, { ttlMs: opts.ttl }))] };
  }
  const chosen: Strategy[] = opts.compare
    ? [...strategies]
    : opts.strategy
      ? [opts.strategy]
      : opts.crashBeforeFlush
        ? ["write-behind"]
        : [...strategies];
  const runs = chosen.map((strategy) => {
    const def = strategyScenarios[strategy];
    return planRun(
      def,
      paramsFor(def, opts, {
        reads: opts.reads,
        writes: opts.writes,
        keys: opts.keys,
        ttlMs: opts.ttl,
        seed: opts.seed,
        batchSize: opts.batch,
        flushIntervalMs: opts.flushInterval,
        crashBeforeFlush: opts.crashBeforeFlush,
      }),
    );
  });
  return { runs, summarize: chosen.length > 1 ? strategyTable : undefined };
}

export async function cacheCommand(opts: CacheCliOptions): Promise<void> {
  const plan = cachePlan(opts);
  await runSession(opts, { command: "cache", ...plan });
}

const pair = (a: unknown, b: unknown) => `${a ?? "–"} / ${b ?? "–"}`;

/** One row per strategy: hits and stale reads next to the latency of a hit, a miss and a write. */
export function strategyTable(results: ScenarioResult[]): TableData {
  const m = results[0]?.metrics;
  return {
    title:
      `The four strategies on the same workload (${String(m?.reads)} reads, ${String(m?.writes)} writes, ` +
      `database latency ${String(m?.dbLatencyMs)} ms)`,
    columns: [
      "strategy",
      "hits",
      "misses",
      "hit ratio",
      "cache read p50/p99 ms",
      "db read p50/p99 ms",
      "write p50 ms",
      "db reads",
      "db writes",
      "stale reads",
      "lost writes",
      "checks",
    ],
    rows: results.map((r) => [
      r.id.replace("cache/", ""),
      r.metrics.hits ?? null,
      r.metrics.misses ?? null,
      r.metrics.hitRatio ?? null,
      pair(r.metrics.readHitP50Ms, r.metrics.readHitP99Ms),
      pair(r.metrics.readMissP50Ms, r.metrics.readMissP99Ms),
      r.metrics.writeP50Ms ?? null,
      r.metrics.dbReads ?? null,
      r.metrics.dbWrites ?? null,
      r.metrics.staleReads ?? null,
      r.metrics.lostWrites ?? "–",
      checksCell(r),
    ]),
  };
}

/** One row per protection: database loads and waiters next to the latency they cost. */
export function stampedeTable(results: ScenarioResult[]): TableData {
  const m = results[0]?.metrics;
  return {
    title:
      `Stampede protections on the same timeline (${String(m?.requests)} requests, ${String(m?.concurrency)} at ` +
      `a time, recompute ${String(m?.recomputeMs)} ms)`,
    columns: [
      "protection",
      "db loads",
      "found it missing",
      "waited",
      "early refreshes",
      "p50 ms",
      "p99 ms",
      "max ms",
      "commands/request",
      "checks",
    ],
    rows: results.map((r) => [
      r.id.replace("cache/stampede-", ""),
      r.metrics.dbLoads ?? null,
      r.metrics.misses ?? null,
      r.metrics.waiters ?? null,
      r.metrics.earlyRefreshes ?? null,
      r.metrics.latencyP50Ms ?? null,
      r.metrics.latencyP99Ms ?? null,
      r.metrics.latencyMaxMs ?? null,
      r.metrics.commandsPerRequest ?? null,
      checksCell(r),
    ]),
  };
}

/** Sidecars against one shared Redis: what a read costs, and who sees a write. */
export function topologyTable(results: ScenarioResult[]): TableData {
  const m = (r: ScenarioResult, name: string) => r.metrics[name] ?? null;
  return {
    title: "Local (sidecar) or remote Redis: latency against consistency",
    columns: [
      "topology",
      "read p50 ms",
      "read p99 ms",
      "added round trip ms",
      "stale reads after a write",
      "with pub/sub",
      "while one was away",
      "database reads to warm",
      "checks",
    ],
    rows: results.map((r) => [
      String(m(r, "topology")),
      m(r, "readP50Ms"),
      m(r, "readP99Ms"),
      m(r, "remoteLatencyMs") ?? "–",
      m(r, "staleReadsAfterWrite"),
      m(r, "staleReadsWithPubSub") ?? "–",
      m(r, "staleReadsWhileDisconnected") ?? "–",
      m(r, "dbReadsToWarm"),
      checksCell(r),
    ]),
  };
}
