import type { RecordedCommand } from "../redis/recorder.js";

/** The trace's last sequence number so far (0 before any command): mark where a part of a scenario begins and ends. */
export function lastSeq(commands: readonly RecordedCommand[]): number {
  return commands.at(-1)?.seq ?? 0;
}

/** A part of the trace: the commands sent after sequence number `after` and up to `upTo` (both optional). */
export interface SeqRange {
  after?: number;
  upTo?: number;
}

/**
 * A check's evidence from the trace: the commands naming `key` (or any of `keys`) among their arguments (an EVALSHA's
 * keys too), sent within `range`.
 */
export function commandsOn(
  commands: readonly RecordedCommand[],
  key: string | readonly string[],
  range: SeqRange = {},
): RecordedCommand[] {
  const keys: readonly string[] = typeof key === "string" ? [key] : key;
  return commandsWhere(commands, (c) => c.argv.slice(1).some((a) => keys.includes(a)), range);
}

/**
 * A check's evidence from the trace: the commands named `names` (e.g. "PTTL", "PUBLISH"; any case), sent within
 * `range`; with `prefix`, only those with an argument starting with it (a run's keys under one name).
 */
export function commandsNamed(
  commands: readonly RecordedCommand[],
  names: readonly string[],
  range: SeqRange = {},
  prefix?: string,
): RecordedCommand[] {
  const wanted = names.map((n) => n.toUpperCase());
  return commandsWhere(
    commands,
    (c) =>
      wanted.includes((c.argv[0] ?? "").toUpperCase()) &&
      (prefix === undefined || c.argv.slice(1).some((a) => a.startsWith(prefix))),
    range,
  );
}

/** The commands within `range` that `test` accepts: a check's evidence when neither a key nor a name picks it. */
export function commandsWhere(
  commands: readonly RecordedCommand[],
  test: (command: RecordedCommand) => boolean,
  range: SeqRange = {},
): RecordedCommand[] {
  const { after = 0, upTo = Number.POSITIVE_INFINITY } = range;
  return commands.filter((c) => c.seq > after && c.seq <= upTo && test(c));
}
