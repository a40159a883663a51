import { Option, type Command, type Help } from "commander";
import { displayWidth, wrapText } from "./render/text.js";

/**
 * Help for every command, applied once to the whole program (so options added to any command get it for free):
 * choices listed for every option that has them, no `(default: [])` or `(default: false)` noise, a "Global
 * Options" section in each subcommand's help, one name for the variant option (`--variant`, the command's own name
 * kept as an alias), and every line within the help width (80 columns, less on a narrower terminal).
 *
 * Kept free of ioredis, chalk and the renderers: `--help` stays fast.
 */

/** Columns help text fits in: the terminal's (or --width's, $COLUMNS'), at most 80. */
export function helpWidth(
  stream: Pick<NodeJS.WriteStream, "isTTY" | "columns"> = process.stdout,
  env = process.env,
  argv = process.argv,
): number {
  const flag = argv.findIndex((a) => a === "--width" || a.startsWith("--width="));
  const fromFlag = flag < 0 ? NaN : Number(argv[flag]!.includes("=") ? argv[flag]!.split("=")[1] : argv[flag + 1]);
  const columns =
    Number.isInteger(fromFlag) && fromFlag >= 40
      ? fromFlag
      : stream.isTTY === true && stream.columns > 0
        ? stream.columns
        : Number.isInteger(Number(env.COLUMNS)) && Number(env.COLUMNS) >= 20
          ? Number(env.COLUMNS)
          : 80;
  return Math.min(80, columns);
}

/**
 * Wrap help text to `width`: a line that is too long breaks on word boundaries, continuation lines indented under
 * it; an example line (`  $ redis-patterns …   what it shows`) puts its explanation on the next line.
 */
export function fitHelpText(text: string, width: number): string {
  return text
    .split("\n")
    .flatMap((line) => {
      if (displayWidth(line) <= width) return [line];
      const indent = /^\s*/.exec(line)![0];
      const example = /^(\s*\$ .*?\S)\s{2,}(\S.*)$/.exec(line);
      if (example) {
        const cmd = example[1]!;
        const head = displayWidth(cmd) <= width ? [cmd] : hang(cmd, indent, `${indent}    `, width);
        return [...head, ...hang(example[2]!, `${indent}    `, `${indent}    `, width)];
      }
      // A term and its description (commander's own lists are already wrapped; this is for added text).
      return hang(line.trim(), indent, `${indent}  `, width);
    })
    .join("\n");
}

function hang(text: string, first: string, rest: string, width: number): string[] {
  const lines = wrapText(text, width - rest.length);
  return lines.map((l, i) => (i === 0 ? first : rest) + l);
}

/** The names different commands gave their variant option; `--variant` is the one shown, these stay as aliases. */
const VARIANT_ALIASES = ["--algo", "--strategy", "--kind"];
const ALIAS_OF = Symbol("variant alias");
type AliasedOption = Option & { [ALIAS_OF]?: string };

/** The choices a parser made by `oneOf` carries (see options/common.ts). */
function parserChoices(option: Option): readonly string[] | undefined {
  const parse = (option as unknown as { parseArg?: { choices?: readonly string[] } }).parseArg;
  return parse?.choices;
}

function allCommands(program: Command): Command[] {
  return [program, ...program.commands.flatMap((c) => allCommands(c))];
}

/** Help settings for the root, before commands are declared (they inherit them). */
export function configureHelp(program: Command): void {
  program.configureHelp({
    showGlobalOptions: true,
    optionTerm(option: Option): string {
      const alias = (option as AliasedOption)[ALIAS_OF];
      if (alias) return option.flags.replace(alias, "--variant");
      return option.flags;
    },
    optionDescription(option: Option): string {
      const extra: string[] = [];
      const alias = (option as AliasedOption)[ALIAS_OF];
      if (option.argChoices) extra.push(`choices: ${option.argChoices.join(", ")}`);
      const value = option.defaultValue as unknown;
      const empty = value === undefined || value === false || (Array.isArray(value) && value.length === 0);
      if (!empty && (option.required || option.optional || option.defaultValueDescription))
        extra.push(`default: ${option.defaultValueDescription ?? JSON.stringify(value)}`);
      if (alias) extra.push(`also ${alias}`);
      const text = option.description ?? "";
      return extra.length > 0 ? `${text} (${extra.join("; ")})`.trim() : text;
    },
  } as Partial<Help>);
}

/**
 * After every command is declared: choices made visible for options parsed by `oneOf`, and `--variant` accepted
 * (and shown) wherever a command named its variant option otherwise.
 */
export function decorateCommands(program: Command): void {
  for (const cmd of allCommands(program)) {
    for (const option of cmd.options as Option[]) {
      const choices = parserChoices(option);
      if (!option.argChoices && choices) option.argChoices = [...choices];
    }
    if (cmd === program || cmd.name() === "bench") continue;
    const own = (cmd.options as Option[]).find((o) => o.long && VARIANT_ALIASES.includes(o.long));
    if (!own || (cmd.options as Option[]).some((o) => o.long === "--variant")) continue;
    (own as AliasedOption)[ALIAS_OF] = own.long!;
    const variant = new Option(own.flags.replace(own.long!, "--variant"), own.description).hideHelp();
    const parse = (own as unknown as { parseArg?: (value: string, previous: unknown) => unknown }).parseArg;
    if (parse) variant.argParser(parse);
    cmd.addOption(variant);
    const target = own.attributeName();
    cmd.hook("preAction", (_this, action) => {
      const value = action.getOptionValue("variant") as unknown;
      if (value !== undefined && action === cmd) {
        action.setOptionValue(target, value);
        action.setOptionValue("variant", undefined);
      }
    });
  }
}
