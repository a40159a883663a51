/*
 * What every renderer shares: the Renderer interface a run reports to, the streams it writes to, and what the
 * terminal allows (colour, spinners, width, ASCII). createRenderer (index.ts) picks the human or the JSON one.
 */
import type { Target } from "../../redis/connection.js";
import type { RunReport } from "../../runner/report.js";
import type { RunEvent } from "../../runner/runner.js";
import type { GlobalOptions } from "../options/common.js";

/** Everything a command shows goes through one of these; scenarios and patterns never print. */
export interface Renderer {
  /** A one-line notice for stderr (a throwaway server was started, an interrupt was received). */
  notice(message: string): void;
  header(target: Target, prefix: string, keep: boolean): void;
  event(event: RunEvent): void;
  /** Stop any spinner before other output is written. */
  stopProgress(): void;
  finish(report: RunReport): void;
}

export interface Streams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** The process's own streams and environment. */
export const defaultStreams = (): Streams => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** Colours only on a terminal, and never with NO_COLOR, --no-color or TERM=dumb. */
export function colorEnabled(
  opts: Pick<GlobalOptions, "color">,
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv,
): boolean {
  if (!opts.color || (env.NO_COLOR !== undefined && env.NO_COLOR !== "") || env.TERM === "dumb") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

/**
 * Spinners only on a terminal, never in CI, never with --json. A terminal that reports 0 columns (a pseudo-terminal
 * nobody sized, e.g. `script` run without a terminal) gets none either: ora divides by the width and would loop
 * forever.
 */
export function progressEnabled(
  opts: Pick<GlobalOptions, "json">,
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv,
): boolean {
  return !opts.json && stream.isTTY === true && !env.CI && env.TERM !== "dumb" && stream.columns !== 0;
}

/**
 * Columns human output fits in: `--width`, else the terminal's (stdout on a TTY), else $COLUMNS, else 80.
 * A terminal that reports 0 columns (nobody sized it) counts as none.
 */
export function outputWidth(
  opts: Pick<GlobalOptions, "width">,
  stream: Pick<NodeJS.WriteStream, "isTTY" | "columns">,
  env: NodeJS.ProcessEnv,
): number {
  if (opts.width !== undefined) return opts.width;
  if (stream.isTTY === true && stream.columns > 0) return stream.columns;
  const columns = Number(env.COLUMNS);
  if (Number.isInteger(columns) && columns >= 20) return columns;
  return 80;
}

/** Plain ASCII instead of box drawing, blocks and braille: `--ascii` or TERM=dumb. */
export function asciiOnly(opts: Pick<GlobalOptions, "ascii">, env: NodeJS.ProcessEnv): boolean {
  return opts.ascii === true || env.TERM === "dumb";
}

export interface RenderOptions {
  /** One line per scenario (with its failed checks) instead of steps, traces and tables. */
  compact?: boolean;
  /** How many scenarios the run has: with several, the default output shows each step briefly. */
  scenarios?: number;
  /**
   * The run ends with a table comparing its scenarios (`SessionPlan.summarize`): a brief run then names each
   * scenario's own tables in a line, the comparison carrying their figures side by side.
   */
  comparison?: boolean;
}
