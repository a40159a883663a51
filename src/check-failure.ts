/**
 * The one shape of a check that did not hold, shared by the run report (`failures`, and each check's `evidence`),
 * `CheckFailedError` and the three renderers (human, --json, JUnit). No imports: the error vocabulary carries it.
 */

/** A reply or a measured value a check rests on. */
export type MeasuredValue = number | string | boolean | null;

/** A command of the trace a check rests on: the run's sequence number (`seq` in the trace), who sent it, the reply. */
export interface EvidenceCommand {
  seq: number;
  client: string;
  argv: string[];
  /** The reply as recorded (a ReplyValue of src/redis/recorder.ts). */
  reply?: unknown;
  error?: string;
  /**
   * Set when the argv or the reply was cut to keep the evidence small (MAX_EVIDENCE_ITEMS, MAX_EVIDENCE_CHARS): the
   * trace's command of the same `seq` has it whole.
   */
  cut?: true;
}

/** What proves a check's outcome: the commands of the trace that show it and the values it was judged on. */
export interface Evidence {
  commands?: EvidenceCommand[];
  /** How many more commands showed it than are listed (the first and last ones are kept). */
  omittedCommands?: number;
  /** Measured values and replies, by name, e.g. `{ "allowed in the worst window": 11, "limit": 10 }`. */
  values?: Record<string, MeasuredValue>;
}

/** A check that did not hold: which, what was expected, what the run saw, and the evidence. */
export interface CheckFailure {
  /** The scenario's id, e.g. "lock/watchdog". */
  scenario: string;
  /** The check's name, as the scenario states it. */
  check: string;
  expected?: unknown;
  actual?: unknown;
  /** One line on what went wrong. */
  detail?: string;
  evidence?: Evidence;
}

/** At most this many commands are kept as one check's evidence: the first and the last ones. */
export const MAX_EVIDENCE_COMMANDS = 12;

/** An argv or a reply array in evidence keeps at most this many items, the first ones, then a "… N more" marker. */
export const MAX_EVIDENCE_ITEMS = 32;
/** A string in evidence (an argument, a bulk reply) keeps at most this many characters, then a "… N more" marker. */
export const MAX_EVIDENCE_CHARS = 512;

/** A value cut to the evidence limits, and whether anything was cut. */
function cutValue(value: unknown, what: string): [unknown, boolean] {
  if (typeof value === "string") {
    if (value.length <= MAX_EVIDENCE_CHARS) return [value, false];
    return [`${value.slice(0, MAX_EVIDENCE_CHARS)}… (${value.length - MAX_EVIDENCE_CHARS} more characters)`, true];
  }
  if (!Array.isArray(value)) return [value, false];
  let cut = value.length > MAX_EVIDENCE_ITEMS;
  const kept = value.slice(0, MAX_EVIDENCE_ITEMS).map((item) => {
    const [short, itemCut] = cutValue(item, what);
    cut ||= itemCut;
    return short;
  });
  if (value.length > MAX_EVIDENCE_ITEMS) kept.push(`… (${value.length - MAX_EVIDENCE_ITEMS} more ${what})`);
  return cut ? [kept, true] : [value, false];
}

/** An evidence command's arguments without the "… (N more arguments)" marker a cut argv ends with, and that N. */
export function evidenceArgs(cmd: Pick<EvidenceCommand, "argv" | "cut">): { args: string[]; more: number } {
  const marker = cmd.cut ? /^… \((\d+) more arguments\)$/.exec(cmd.argv.at(-1) ?? "") : null;
  return marker ? { args: cmd.argv.slice(0, -1), more: Number(marker[1]) } : { args: cmd.argv, more: 0 };
}

/**
 * A check's evidence as the report keeps it: commands cut to their trace fields, at most MAX_EVIDENCE_COMMANDS, each
 * argv and reply within MAX_EVIDENCE_ITEMS items of MAX_EVIDENCE_CHARS characters (`cut: true` where it was not: the
 * trace has every byte, under the same `seq`).
 */
export function keepEvidence(evidence: Evidence): Evidence {
  const all = evidence.commands ?? [];
  const head = Math.ceil(MAX_EVIDENCE_COMMANDS / 2);
  const kept =
    all.length > MAX_EVIDENCE_COMMANDS ? [...all.slice(0, head), ...all.slice(head - MAX_EVIDENCE_COMMANDS)] : all;
  const commands = kept.map(({ seq, client, argv, reply, error, cut }) => {
    // A command kept once (cut: true) is not cut again: keeping evidence twice gives the same evidence.
    const [shortArgv, argvCut] = cut ? [argv, true] : cutValue(argv, "arguments");
    const [shortReply, replyCut] = cut ? [reply, true] : cutValue(reply, "items");
    return {
      seq,
      client,
      argv: shortArgv as string[],
      ...(reply !== undefined ? { reply: shortReply } : {}),
      ...(error !== undefined ? { error } : {}),
      ...(argvCut || replyCut ? { cut: true as const } : {}),
    };
  });
  const omitted = all.length - kept.length + (evidence.omittedCommands ?? 0);
  return {
    ...(commands.length > 0 ? { commands } : {}),
    ...(omitted > 0 ? { omittedCommands: omitted } : {}),
    ...(evidence.values && Object.keys(evidence.values).length > 0 ? { values: evidence.values } : {}),
  };
}
