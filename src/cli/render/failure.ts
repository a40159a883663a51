import type { CheckFailure } from "../../check-failure.js";
import type { ReplyValue } from "../../redis/recorder.js";
import { scriptBySha } from "../../redis/script.js";
import { displayArg, formatReply } from "../format.js";

/** Arguments and replies in an evidence line are cut past this many characters (--json has them whole). */
const EVIDENCE_ARG_CHARS = 40;
const EVIDENCE_REPLY_CHARS = 120;

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

/** An evidence command's argv: the run prefix written `rp:…`, a script's SHA as its name, long arguments cut. */
function evidenceArgv(argv: readonly string[], prefix?: string): string {
  const short = prefix ? `${prefix.split(":")[0]}:…:` : undefined;
  const shown = argv.map((arg, i) => {
    if (i === 1 && argv[0]?.toUpperCase() === "EVALSHA") return scriptBySha(arg)?.name ?? displayArg(arg);
    if (!short || !arg.startsWith(`${prefix}:`)) return displayArg(arg, EVIDENCE_ARG_CHARS);
    const rest = displayArg(arg.slice(prefix!.length + 1), EVIDENCE_ARG_CHARS);
    return rest.startsWith('"') ? `"${short}${rest.slice(1)}` : short + rest;
  });
  return shown.join(" ");
}

/** A failed check in words; `prefix` (the run's key prefix) is written `rp:…` in commands. */
export function failureText(failure: CheckFailure, prefix?: string): FailureText {
  const ev = failure.evidence ?? {};
  const commands = (ev.commands ?? []).map((cmd) => {
    const reply = formatReply(cmd.reply as ReplyValue | undefined, cmd.error, EVIDENCE_ARG_CHARS, EVIDENCE_REPLY_CHARS);
    return `evidence: #${cmd.seq} ${cmd.client} ${evidenceArgv(cmd.argv, prefix)} → ${reply}`;
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
