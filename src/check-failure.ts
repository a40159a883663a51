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

/** A check's evidence as the report keeps it: commands cut to their trace fields, at most MAX_EVIDENCE_COMMANDS. */
export function keepEvidence(evidence: Evidence): Evidence {
  const all = evidence.commands ?? [];
  const head = Math.ceil(MAX_EVIDENCE_COMMANDS / 2);
  const kept =
    all.length > MAX_EVIDENCE_COMMANDS ? [...all.slice(0, head), ...all.slice(head - MAX_EVIDENCE_COMMANDS)] : all;
  const commands = kept.map(({ seq, client, argv, reply, error }) => ({
    seq,
    client,
    argv,
    ...(reply !== undefined ? { reply } : {}),
    ...(error !== undefined ? { error } : {}),
  }));
  const omitted = all.length - kept.length + (evidence.omittedCommands ?? 0);
  return {
    ...(commands.length > 0 ? { commands } : {}),
    ...(omitted > 0 ? { omittedCommands: omitted } : {}),
    ...(evidence.values && Object.keys(evidence.values).length > 0 ? { values: evidence.values } : {}),
  };
}
