import { sessionScenarios, variants, type SessionParams } from "../../../scenarios/session/index.js";
import { planRun } from "../../runner/runner.js";
import type { ScenarioResult, TableData } from "../../runner/types.js";
import type { SessionCliOptions } from "../options/session.js";
import { runSession } from "../session.js";
import { checksCell } from "../format.js";

/** Command-line options → scenario parameters. */
export function sessionParams(opts: SessionCliOptions): SessionParams {
  return { ttlSeconds: opts.ttl / 1000, servers: opts.servers, sessions: opts.sessions, reads: opts.reads };
}

export async function sessionCommand(opts: SessionCliOptions): Promise<void> {
  const params = sessionParams(opts);
  const chosen = opts.variant ? [opts.variant] : [...variants];
  await runSession(opts, {
    command: "session",
    runs: chosen.map((variant) => planRun(sessionScenarios[variant], params)),
    summarize: chosen.length > 1 ? summaryTable : undefined,
  });
}

const fixed = (v: unknown): string => (typeof v === "number" ? v.toFixed(3) : "?");

/** One line per variant: what it showed, in its own numbers. */
export function summaryTable(results: ScenarioResult[]): TableData {
  const headline = (r: ScenarioResult): string => {
    const m = r.metrics;
    switch (r.id) {
      case "session/string":
        return (
          `${String(m.requests ?? "?")} requests ` +
          `with ${String(m.slidingRead ?? "?")}, ${String(m.redirects ?? "?")} redirected to login (logout, ` +
          `expiry)`
        );
      case "session/hash":
        return (
          `${String(m.requests ?? "?")} requests over ${String(m.servers ?? "?")} ` +
          `servers, ${String(m.sessions ?? "?")} sessions, each seen alike by all`
        );
      case "session/lost-update":
        return (
          `lost: ${String(m.lostUpdatesWholeObject ?? "?")} ` +
          `whole-object, ${String(m.lostUpdatesFieldLevel ?? "?")} ` +
          `field-level, ${String(m.lostUpdatesWatch ?? "?")} with WATCH`
        );
      case "session/read-latency":
        return `p50 ${fixed(m.readP50Ms)} ms, p99 ${fixed(m.readP99Ms)} ms over ${String(m.reads ?? "?")} reads`;
      default:
        return "";
    }
  };
  return {
    title: "Sessions, side by side",
    columns: ["variant", "what it showed", "checks"],
    rows: results.map((r) => [r.id.replace("session/", ""), headline(r), checksCell(r)]),
  };
}
