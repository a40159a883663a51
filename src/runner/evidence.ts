import type { RecordedCommand } from "../redis/recorder.js";

/** The trace's last sequence number so far (0 before any command): mark where a part of a scenario begins and ends. */
export function lastSeq(commands: readonly RecordedCommand[]): number {
  return commands.at(-1)?.seq ?? 0;
}

/**
 * A check's evidence from the trace: the commands naming `key` among their arguments (an EVALSHA's keys too), sent
 * after sequence number `after` and up to `upTo` (both optional).
 */
export function commandsOn(
  commands: readonly RecordedCommand[],
  key: string,
  range: { after?: number; upTo?: number } = {},
): RecordedCommand[] {
  const { after = 0, upTo = Number.POSITIVE_INFINITY } = range;
  return commands.filter((c) => c.seq > after && c.seq <= upTo && c.argv.slice(1).includes(key));
}
