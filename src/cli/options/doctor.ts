import type { Command } from "commander";
import { UsageError } from "../../errors.js";
// requirements.ts is data only (no imports), so --help stays cheap.
import { PATTERNS as DOCTOR_PATTERNS, type PatternName as DoctorPatternName } from "../../doctor/requirements.js";
import { option, parseInteger, type GlobalOptions } from "./common.js";

export interface DoctorCliOptions extends GlobalOptions {
  /** Only these patterns (default: all). */
  only?: DoctorPatternName[];
  /** PINGs the latency figures are taken over. */
  pings: number;
  /** Warnings (at risk: no persistence, an evicting policy) fail the run too. */
  strict?: boolean;
}

/** `ratelimit,lock` → ["ratelimit", "lock"]; an unknown name is a usage error that lists the known ones. */
export function parsePatternList(text: string): DoctorPatternName[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new UsageError(`--only needs pattern names, e.g. --only ratelimit,lock (${DOCTOR_PATTERNS.join(", ")})`);
  for (const name of names) {
    if (!(DOCTOR_PATTERNS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown pattern "${name}" in --only: choose from ${DOCTOR_PATTERNS.join(", ")}`);
    }
  }
  return [...new Set(names)] as DoctorPatternName[];
}

export function declareDoctor(program: Command, run: (opts: DoctorCliOptions) => Promise<void>): void {
  program
    .command("doctor")
    .description(
      "which patterns this server can carry: version, mode, persistence, eviction, Lua, clock, latency, ACL " +
        "(writes nothing)",
    )
    .option(
      "--only <patterns>",
      `judge only these patterns, comma-separated (ratelimit,lock), from: ${DOCTOR_PATTERNS.join(", ")}`,
      option(parsePatternList),
    )
    .option(
      "--pings <n>",
      "PINGs the latency p50/p99 are measured over",
      option((t) => parseInteger(t, "--pings", 1, 100_000)),
      100,
    )
    .option(
      "--strict",
      "exit 1 on a warning too (at risk: no persistence, an evicting policy), not only when unsupported",
    )
    .addHelpText(
      "after",
      `
Exit codes: 0 no pattern unsupported (warnings too with --strict) · 1 a pattern is unsupported, or at risk with
--strict · 3 connection · 4 auth. The probes' trace is shown only with --trace summary or --trace full.
Configuration the server refuses to show (CONFIG GET disabled, NOPERM) is reported as unknown, not as an error.

Examples:
  $ redis-patterns doctor --url redis://cache.internal:6379
  $ redis-patterns doctor --only ratelimit,lock --json
  $ redis-patterns doctor --trace off`,
    )
    .action(async (_opts, cmd: Command) => run(cmd.optsWithGlobals<DoctorCliOptions>()));
}
