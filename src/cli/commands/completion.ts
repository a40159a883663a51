import type { Command, Option } from "commander";
import type { CompletionCliOptions } from "../options/list.js";
import { createProgram } from "../program.js";
import { listScenarios } from "./list.js";

interface OptionSpec {
  names: string[];
  /** Takes a value; its choices when they are known. */
  value: boolean;
  choices: string[];
  description: string;
}

interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** What the first argument completes to. */
  args: string[];
}

interface Spec {
  globals: OptionSpec[];
  commands: CommandSpec[];
  ids: string[];
}

function optionSpec(option: Option, ids: string[]): OptionSpec {
  const names = [option.long, option.short].filter((n): n is string => Boolean(n));
  const long = option.long ?? "";
  const choices = option.argChoices
    ? [...option.argChoices]
    : ["--only", "--skip"].includes(long)
      ? ids
      : long === "--trace"
        ? ["full", "summary", "off"]
        : [];
  return { names, value: option.required || option.optional, choices, description: option.description ?? "" };
}

/** Commands, options, choices and scenario ids, read from the program itself (so every option is in). */
export async function completionSpec(program: Command = createProgram()): Promise<Spec> {
  const listing = await listScenarios();
  const ids = listing.patterns.flatMap((p) => p.scenarios.map((s) => s.id));
  const patterns = listing.patterns.map((p) => p.name);
  const visible = (cmd: Command) => (cmd.options as Option[]).filter((o) => !o.hidden);
  return {
    ids,
    globals: visible(program).map((o) => optionSpec(o, ids)),
    commands: program.commands.map((cmd) => {
      const arg = cmd.registeredArguments[0];
      const args = arg?.argChoices
        ? [...arg.argChoices]
        : cmd.name() === "tour"
          ? [...patterns, ...ids]
          : cmd.name() === "bench"
            ? patterns
            : [];
      const options = visible(cmd).map((o) => optionSpec(o, ids));
      // --variant is shown for the command's own variant option (cli/help.ts): offer both names.
      for (const o of options) {
        if (o.names.some((n) => ["--algo", "--strategy", "--kind"].includes(n)) && cmd.name() !== "bench")
          o.names.push("--variant");
      }
      return { name: cmd.name(), description: cmd.description(), options, args };
    }),
  };
}

const words = (list: string[]) => list.join(" ");
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function bashScript(spec: Spec): string {
  const valueOptions = [...spec.globals, ...spec.commands.flatMap((c) => c.options)]
    .filter((o) => o.value)
    .flatMap((o) => o.names);
  const cases: string[] = [];
  for (const cmd of spec.commands) {
    for (const o of cmd.options.filter((o) => o.value && o.choices.length > 0))
      cases.push(`    ${cmd.name}:${o.names.join(`|${cmd.name}:`)}) values=${quote(words(o.choices))} ;;`);
  }
  for (const o of spec.globals.filter((o) => o.value && o.choices.length > 0))
    cases.push(`    *:${o.names.join("|*:")}) values=${quote(words(o.choices))} ;;`);
  const topLevel = quote(words([...spec.commands.map((c) => c.name), ...spec.globals.flatMap((o) => o.names)]));
  const perCommand = spec.commands.map(
    (c) =>
      `    ${c.name}) ` +
      `opts=${quote(words([...c.options.flatMap((o) => o.names), ...spec.globals.flatMap((o) => o.names)]))}; ` +
      `args=${quote(words(c.args))} ;;`,
  );
  return `# redis-patterns completion for bash (and zsh through bashcompinit).
# Install: source <(redis-patterns completion bash)   (e.g. in ~/.bashrc)
_redis_patterns() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" i=1 w skip=0
  local value_opts=" ${words([...new Set(valueOptions)])} "
  while [ $i -lt $COMP_CWORD ]; do
    w="\${COMP_WORDS[i]}"
    if [ $skip = 1 ]; then skip=0
    elif [[ "$value_opts" == *" $w "* ]]; then skip=1
    elif [[ "$w" != -* ]]; then cmd="$w"; break
    fi
    i=$((i + 1))
  done
  local values="" opts="" args=""
  case "$cmd:$prev" in
${cases.join("\n")}
  esac
  if [ -n "$values" ]; then COMPREPLY=($(compgen -W "$values" -- "$cur")); return; fi
  if [[ "$value_opts" == *" $prev "* ]]; then COMPREPLY=(); return; fi
  case "$cmd" in
    "") COMPREPLY=($(compgen -W ${topLevel} -- "$cur")); return ;;
${perCommand.join("\n")}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); \
else COMPREPLY=($(compgen -W "$args" -- "$cur")); fi
}
complete -F _redis_patterns redis-patterns
`;
}

export function zshScript(spec: Spec): string {
  return `# redis-patterns completion for zsh (the bash completion, through bashcompinit).
# Install: source <(redis-patterns completion zsh)   (e.g. in ~/.zshrc)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(spec).split("\n").slice(2).join("\n")}`;
}

export function fishScript(spec: Spec): string {
  const lines = [
    "# redis-patterns completion for fish.",
    "# Install: redis-patterns completion fish > ~/.config/fish/completions/redis-patterns.fish",
    "complete -c redis-patterns -f",
  ];
  const names = spec.commands.map((c) => c.name).join(" ");
  const fishOption = (o: OptionSpec, condition: string) => {
    const flags = o.names.map((n) => (n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`)).join(" ");
    const values = o.choices.length > 0 ? ` -xa ${quote(words(o.choices))}` : o.value ? " -r" : "";
    return (
      `complete -c redis-patterns -n ${quote(condition)} ${flags}${values} ` + `-d ${quote(o.description.slice(0, 60))}`
    );
  };
  for (const c of spec.commands)
    lines.push(
      `complete -c redis-patterns -n ${quote(`not __fish_seen_subcommand_from ${names}`)} -a ${c.name} ` +
        `-d ${quote(c.description.slice(0, 60))}`,
    );
  for (const o of spec.globals) lines.push(fishOption(o, "true"));
  for (const c of spec.commands) {
    const cond = `__fish_seen_subcommand_from ${c.name}`;
    for (const o of c.options) lines.push(fishOption(o, cond));
    if (c.args.length > 0) lines.push(`complete -c redis-patterns -n ${quote(cond)} -a ${quote(words(c.args))}`);
  }
  return lines.join("\n") + "\n";
}

/** `redis-patterns completion bash|zsh|fish`: the script on stdout. */
export async function completionCommand(opts: CompletionCliOptions): Promise<void> {
  const spec = await completionSpec();
  const script = opts.shell === "fish" ? fishScript(spec) : opts.shell === "zsh" ? zshScript(spec) : bashScript(spec);
  process.stdout.write(script);
}
