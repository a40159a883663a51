import { evidenceArgs, type CheckFailure, type EvidenceCommand } from "../../check-failure.js";
import type { ReplyValue } from "../../redis/recorder.js";
import { scriptBySha } from "../../redis/script.js";
import { displayArg, formatReply, joinArgs } from "../format.js";

/** Arguments and replies in an evidence line are cut past this many characters (--json has them whole). */
const EVIDENCE_ARG_CHARS = 40;
const EVIDENCE_REPLY_CHARS = 120;
/** An evidence line shows at most this many arguments of its command (a bulk ZADD's first members), then a count. */
const EVIDENCE_ARGS = 12;

/** A failed check in words, the same in every output: the terminal, JUnit's <failure> body (and --json's data). */
export interface FailureText {
  /** `JSON.stringify` of the expected and actual values, when the check gave them. */
  expected?: string;
  actual?: string;
  detail?: string;
  /**
   * One line per piece of evidence: `evidence: #31 worker-2 SET rp:…:lock 9f2c… NX PX 150 → OK` for a command of
   * the trace (its `seq`), `evidence: doubleHolds = 1` for a value, `evidence: … 4 more commands (in the trace)`.
   */
  evidence: string[];
}

/**
 * An evidence command's argv: the run prefix written `rp:…`, a script's SHA as its name, long arguments cut, at most
 * EVIDENCE_ARGS arguments and then how many more (counting those a cut argv no longer has).
 */
function evidenceArgv(cmd: EvidenceCommand, prefix?: string): string {
  const { args, more } = evidenceArgs(cmd);
  const short = prefix ? `${prefix.split(":")[0]}:…:` : undefined;
  const shown = args.slice(0, EVIDENCE_ARGS).map((arg, i) => {
    if (i === 1 && args[0]?.toUpperCase() === "EVALSHA") return scriptBySha(arg)?.name ?? displayArg(arg);
    if (!short || !arg.startsWith(`${prefix}:`)) return displayArg(arg, EVIDENCE_ARG_CHARS);
    const rest = displayArg(arg.slice(prefix!.length + 1), EVIDENCE_ARG_CHARS);
    return rest.startsWith('"') ? `"${short}${rest.slice(1)}` : short + rest;
  });
  return joinArgs(shown, more + args.length - shown.length);
}

/** A failed check in words; `prefix` (the run's key prefix) is written `rp:…` in commands. */
export function failureText(failure: CheckFailure, prefix?: string): FailureText {
  const ev = failure.evidence ?? {};
  const commands = (ev.commands ?? []).map((cmd) => {
    const reply = formatReply(cmd.reply as ReplyValue | undefined, cmd.error, EVIDENCE_ARG_CHARS, EVIDENCE_REPLY_CHARS);
    return `evidence: #${cmd.seq} ${cmd.client} ${evidenceArgv(cmd, prefix)} → ${reply}`;
  });
  const omitted = ev.omittedCommands ? [`evidence: … ${ev.omittedCommands} more commands (in the trace)`] : [];
  const values = Object.entries(ev.values ?? {}).map(([name, value]) => `evidence: ${name} = ${JSON.stringify(value)}`);
  return {
    ...("expected" in failure ? { expected: JSON.stringify(failure.expected) } : {}),
    ...("actual" in failure ? { actual: JSON.stringify(failure.actual) } : {}),
    ...(failure.detail ? { detail: failure.detail } : {}),
    evidence: [...commands, ...omitted, ...values],
  };
}
