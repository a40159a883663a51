import { input, select } from "@inquirer/prompts";
import { CommanderError, type Option } from "commander";
import { UsageError } from "../../errors.js";
import { round } from "../../stats.js";
import { parseDuration } from "../options/duration.js";
import { TRAFFIC_SHAPES } from "../options/ratelimit.js";
import { oneOf, parseInteger } from "../options/common.js";

/** A scenario parameter the tour can change, with the parser the command-line options use for its kind. */
export interface ParamSpec {
  /** The scenario's own name for it (`windowMs`): the key in its parameters. */
  param: string;
  /** What the user sees: the command's flag (`--window`), or the name in kebab case when no flag sets it. */
  name: string;
  kind: "integer" | "duration" | "rate" | "number" | "boolean" | "choice" | "text";
  /** The current value as the user would type it, rounded (`60000` → `1m`, `0.1666…` per second → `10/m`). */
  shown: string;
  choices?: readonly string[];
  /** What the prompt adds after the name when the kind does not say it (the unit of a bare number). */
  hint?: string;
  /** Parse typed text; throws UsageError (or commander's InvalidArgumentError) with the command line's message. */
  parse(text: string): unknown;
}

/** String parameters with a fixed set of values, as the commands declare them (when no option of the command does). */
const CHOICES: Record<string, readonly string[]> = {
  traffic: TRAFFIC_SHAPES,
  clock: ["scenario", "real"],
};

/**
 * Unit suffixes of scenario parameter names, and what a value in that unit is in the option's own unit (durations
 * parse to milliseconds, rates to per second): `windowMs` is set by `--window`, `ttlSeconds` by `--ttl`.
 */
const SUFFIXES: { suffix: string; kind?: ParamSpec["kind"]; fromOption: number }[] = [
  { suffix: "Ms", kind: "duration", fromOption: 1 },
  { suffix: "Seconds", kind: "duration", fromOption: 1000 },
  { suffix: "PerSec", kind: "rate", fromOption: 1 },
  { suffix: "PerClient", fromOption: 1 },
  { suffix: "Size", fromOption: 1 },
];

/** `60000` → `1m`, `1500` → `1500ms`: the shortest exact form parseDuration reads back. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Per second → `5/s`, `10/m` (exact where it can be), else rounded to two decimals per second (`0.17/s`). */
export function formatRate(perSec: number): string {
  for (const [unit, seconds] of [
    ["s", 1],
    ["m", 60],
    ["h", 3600],
  ] as const) {
    const n = perSec * seconds;
    if (Math.abs(n - Math.round(n)) < 1e-9 && Math.round(n) >= 1) return `${Math.round(n)}/${unit}`;
  }
  return `${round(perSec, 2)}/s`;
}

/** `bytesPerIdentifier` → `bytes-per-identifier`. */
function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

function parsePositiveNumber(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text.trim());
    if (text.trim() === "" || !Number.isFinite(n) || n <= 0)
      throw new UsageError(`${name} must be a positive number, not "${text}"`);
    return n;
  };
}

/** The option of the command that sets parameter `param` (`windowMs` → `--window`), and the unit between them. */
function optionFor(
  param: string,
  options: readonly Option[],
): { option: Option; base: string; fromOption: number; kind?: ParamSpec["kind"] } | undefined {
  const bySuffix = SUFFIXES.find((s) => param.endsWith(s.suffix) && param.length > s.suffix.length);
  const candidates = [
    { base: param, fromOption: 1, kind: undefined },
    ...(bySuffix ? [{ base: param.slice(0, -bySuffix.suffix.length), ...bySuffix }] : []),
  ];
  for (const c of candidates) {
    // A value-taking option, or the positive form of a flag (`--crash`, not `--no-crash`).
    const option = options.find((o) => o.attributeName() === c.base && !o.negate && o.long !== undefined);
    const negated = options.find((o) => o.attributeName() === c.base && o.negate);
    const found = option ?? negated;
    if (found) return { option: found, base: c.base, fromOption: c.fromOption, kind: c.kind };
  }
  return undefined;
}

/**
 * The parameters of a scenario the tour offers to change, read from its current values and named by the flags of
 * the command that sets them (`options`: the command's declared options): each is parsed by its option's own parser
 * (same bounds, same messages), durations and rates shown in the form the flag takes (`--window 1m`, `--rate
 * 10/m`), other fractions rounded. A parameter no flag sets keeps a kebab-case name and a parser for its kind: whole
 * numbers at least 1 (or 0 when the value is 0), `…Ms` values as durations, fractions as positive numbers, known
 * strings against their choices. Lists and objects are left as they are. Enter on the shown value keeps the exact one.
 */
export function paramSpecs(params: Record<string, unknown>, options: readonly Option[] = []): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (const [param, value] of Object.entries(params)) {
    const found = optionFor(param, options);
    const suffix = SUFFIXES.find((s) => param.endsWith(s.suffix) && param.length > s.suffix.length);
    const base = found?.base ?? (suffix?.kind ? param.slice(0, -suffix.suffix.length) : param);
    const name = found && !found.option.negate ? `--${kebab(base)}` : kebab(base);
    const scale = found?.fromOption ?? suffix?.fromOption ?? 1;
    const viaOption = found?.option.parseArg
      ? (text: string) => found.option.parseArg!(text, undefined) as unknown
      : undefined;
    const spec = (
      kind: ParamSpec["kind"],
      shown: string,
      parse: (text: string) => unknown,
      choices?: readonly string[],
      hint?: string,
    ) =>
      specs.push({
        param,
        name,
        kind,
        shown,
        ...(choices ? { choices } : {}),
        ...(hint ? { hint } : {}),
        // The shown value is rounded: typed back unchanged, it means the value as it was.
        parse: (text) => (text === shown ? value : parse(text)),
      });
    if (typeof value === "number") {
      const numeric = (fallback: (text: string) => number) => (text: string) => {
        const parsed = viaOption?.(text);
        return (typeof parsed === "number" ? parsed : fallback(text)) / scale;
      };
      // The first form the option's parser reads back as this value: `1m` for --window, a bare `1` for
      // --db-latency (whole milliseconds).
      const readsBack = (parse: (text: string) => number, forms: string[]) =>
        forms.find((form) => {
          try {
            return Math.abs(parse(form) - value) <= Math.abs(value) * 1e-9;
          } catch {
            return false;
          }
        });
      const integer = numeric((t) => parseInteger(t, name, value === 0 ? 0 : 1));
      const whole = Number.isInteger(value * scale) ? [`${value * scale}`] : [];
      if (suffix?.kind === "duration" && Number.isInteger(value * scale)) {
        const duration = numeric(parseDuration);
        const form = readsBack(duration, [formatDuration(value * scale), `${value * scale}ms`]);
        if (form) spec("duration", form, duration);
        else spec("integer", readsBack(integer, whole) ?? String(value), integer, undefined, " (milliseconds)");
      } else if (suffix?.kind === "rate" && value > 0) {
        const rate = numeric((t) => parsePositiveNumber(name)(t.replace(/\/s$/, "")));
        spec("rate", formatRate(value), rate);
      } else if (Number.isInteger(value)) {
        spec("integer", String(value), integer);
      } else {
        spec("number", String(round(value, 2)), numeric(parsePositiveNumber(name)));
      }
    } else if (typeof value === "boolean") {
      spec("boolean", String(value), (t) => oneOf(["true", "false"], name)(t) === "true", ["true", "false"]);
    } else if (typeof value === "string") {
      const choices =
        found?.option.argChoices ??
        (found?.option.parseArg as { choices?: readonly string[] } | undefined)?.choices ??
        CHOICES[param];
      if (choices) {
        spec("choice", value, viaOption ?? oneOf(choices, name), choices);
      } else {
        spec("text", value, (text) => {
          if (text.trim() === "") throw new UsageError(`${name} must not be empty`);
          const parsed = viaOption?.(text.trim());
          return typeof parsed === "string" ? parsed : text.trim();
        });
      }
    }
  }
  return specs;
}

/** Check typed text for a parameter: true, or the command line's error message (what inquirer's `validate` wants). */
export function validateParam(spec: ParamSpec, text: string): true | string {
  try {
    spec.parse(text);
    return true;
  } catch (err) {
    if (err instanceof UsageError || err instanceof CommanderError) return err.message;
    throw err;
  }
}

/** The parameters as the command line would set them: `--limit 10 --window 1m --rate 10/m`. */
export function paramsLine(specs: readonly ParamSpec[]): string {
  return specs.map((s) => `${s.name} ${s.shown}`).join("  ");
}

/** What inquirer's prompts take as their second argument: the streams (stderr in the tour) and a cancel signal. */
export interface PromptContext {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  signal?: AbortSignal;
  clearPromptOnDone?: boolean;
}

const HINTS: Partial<Record<ParamSpec["kind"], string>> = {
  duration: " (e.g. 500ms, 2s, 1m)",
  rate: " (e.g. 10/s, 100/m)",
};

/**
 * Ask for one parameter's new value, the current one as the default: a list for fixed choices, else typed text
 * validated as the command line would (the error shown under the prompt until the value is valid). Returns it parsed.
 */
export async function askParameter(spec: ParamSpec, context?: PromptContext): Promise<unknown> {
  const text = spec.choices
    ? await select<string>(
        { message: spec.name, default: spec.shown, choices: spec.choices.map((v) => ({ name: v, value: v })) },
        context,
      )
    : await input(
        {
          message: `${spec.name}${spec.hint ?? HINTS[spec.kind] ?? ""}`,
          default: spec.shown,
          validate: (t: string) => validateParam(spec, t),
        },
        context,
      );
  return spec.parse(text);
}
