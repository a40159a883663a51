import { input, select } from "@inquirer/prompts";
import { UsageError } from "../../errors.js";
import { parseDuration } from "../options/duration.js";
import { TRAFFIC_SHAPES } from "../options/ratelimit.js";
import { oneOf, parseInteger } from "../options/common.js";

/** A scenario parameter the tour can change, with the parser the command-line options use for its kind. */
export interface ParamSpec {
  name: string;
  kind: "integer" | "duration" | "number" | "boolean" | "choice" | "text";
  /** The current value as the user would type it (`60000` → `1m` for durations). */
  shown: string;
  choices?: readonly string[];
  /** Parse typed text; throws UsageError with the command line's message. */
  parse(text: string): unknown;
}

/** String parameters with a fixed set of values, as the commands declare them. */
const CHOICES: Record<string, readonly string[]> = {
  traffic: TRAFFIC_SHAPES,
  clock: ["scenario", "real"],
};

/** `60000` → `1m`, `1500` → `1500ms`: the shortest exact form parseDuration reads back. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function parsePositiveNumber(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text.trim());
    if (text.trim() === "" || !Number.isFinite(n) || n <= 0)
      throw new UsageError(`${name} must be a positive number, not "${text}"`);
    return n;
  };
}

/**
 * The parameters of a scenario the tour offers to change, read from its current values: whole numbers are validated
 * as the options are (at least 1, or at least 0 when the value is 0), `…Ms` values as durations (`500ms`, `2s`),
 * fractions as positive numbers, known strings against their choices. Lists and objects are left as they are.
 */
export function paramSpecs(params: Record<string, unknown>): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === "number" && Number.isInteger(value) && /Ms$/.test(name) && value > 0) {
      specs.push({ name, kind: "duration", shown: formatDuration(value), parse: parseDuration });
    } else if (typeof value === "number" && Number.isInteger(value)) {
      const min = value === 0 ? 0 : 1;
      specs.push({ name, kind: "integer", shown: String(value), parse: (text) => parseInteger(text, name, min) });
    } else if (typeof value === "number") {
      specs.push({ name, kind: "number", shown: String(value), parse: parsePositiveNumber(name) });
    } else if (typeof value === "boolean") {
      specs.push({
        name,
        kind: "boolean",
        shown: String(value),
        choices: ["true", "false"],
        parse: (text) => oneOf(["true", "false"], name)(text) === "true",
      });
    } else if (typeof value === "string" && CHOICES[name]) {
      const choices = CHOICES[name]!;
      specs.push({ name, kind: "choice", shown: value, choices, parse: oneOf(choices, name) });
    } else if (typeof value === "string") {
      specs.push({
        name,
        kind: "text",
        shown: value,
        parse: (text) => {
          if (text.trim() === "") throw new UsageError(`${name} must not be empty`);
          return text.trim();
        },
      });
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
    if (err instanceof UsageError) return err.message;
    throw err;
  }
}

/** What inquirer's prompts take as their second argument: the streams (stderr in the tour) and a cancel signal. */
export interface PromptContext {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  signal?: AbortSignal;
  clearPromptOnDone?: boolean;
}

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
          message: `${spec.name}${spec.kind === "duration" ? " (e.g. 500ms, 2s, 1m)" : ""}`,
          default: spec.shown,
          validate: (t: string) => validateParam(spec, t),
        },
        context,
      );
  return spec.parse(text);
}
