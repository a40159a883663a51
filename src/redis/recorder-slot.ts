import type { RecordedCommand, ReplyValue } from "./recorder-types.js";
import { redactArgv, redactReply } from "./redact.js";
import { round } from "../stats.js";

/**
 * The command recorder's per-command record (src/redis/recorder.ts): references and timestamps while the command
 * runs, turned into the trace's form (`RecordedCommand`) only when an entry is handed out.
 */

/** An ioredis connection the recorder is attached to. */
export interface ClientState {
  label: string;
  handshake: boolean;
  node?: string;
  /** Cluster node connections connect lazily, mid-run: their handshake is told apart by the command instead. */
  handshakeByName: boolean;
}

/** A pipeline or MULTI block: its commands share the id, and their time runs from the batch's first write. */
export interface Batch {
  id: number;
  kind: "pipeline" | "multi";
  startedAt: number;
}

/** The recorder, as a slot reports its outcome to it. */
export interface SlotOwner {
  hasListeners(): boolean;
  repliedNow(slot: Slot): void;
}

/**
 * A recorded command as references (name, argument array, raw reply) and timestamps, until it is put in the
 * trace's form (`expose`). One per command; a class, so every slot has one shape.
 */
export class Slot {
  entry: RecordedCommand | undefined = undefined;
  endedAt = 0;
  raw: unknown = undefined;
  failure: Error | undefined = undefined;
  replied = false;
  /** The entry's reply is in the trace's form. */
  converted = false;
  handshake = false;
  /** Sent by the run's TTL guard (src/redis/ttl-guard.ts): phase "ttl-guard" in the trace. */
  guard = false;
  recorder: SlotOwner | undefined = undefined;
  /** ioredis's own resolve/reject of the command. */
  resolve: ((value: unknown) => unknown) | undefined = undefined;
  reject: ((err: Error) => unknown) | undefined = undefined;

  constructor(
    readonly seq: number,
    readonly client: string,
    readonly name: string,
    readonly args: readonly unknown[],
    /** When the command was written (0 until then, for a client that stamps its writes: see `wireHooks`). */
    public startedAt: number,
    readonly batch: Batch | undefined,
    readonly state: ClientState | undefined,
  ) {}

  /**
   * The outcome, once: a timestamp and a reference. A Buffer reply from ioredis's parser (redis-parser) is a view of
   * the socket's chunk, or of a pool that never hands the same bytes out twice (it drops what it returned before
   * reusing the rest), so it still reads the same when it is converted later. `at` is when the reply was read.
   */
  settle(value: unknown, err: Error | undefined, at = performance.now()): void {
    if (this.replied) return;
    this.endedAt = at;
    // Never written (its connection closed first): no time on the wire.
    if (this.startedAt === 0) this.startedAt = at;
    this.replied = true;
    if (err !== undefined) this.failure = err;
    else this.raw = value;
    if (this.entry !== undefined || this.recorder?.hasListeners()) this.recorder?.repliedNow(this);
  }
}

/** The slot's entry in the trace's form (made once), with its reply once it came (converted once). */
export function expose(slot: Slot): RecordedCommand {
  let entry = slot.entry;
  if (entry === undefined) {
    entry = { seq: slot.seq, client: slot.client, argv: redactArgv([slot.name, ...slot.args.map(argToString)]), ms: 0 };
    if (slot.handshake) entry.phase = "handshake";
    else if (slot.guard) entry.phase = "ttl-guard";
    if (slot.state?.node) entry.node = slot.state.node;
    if (slot.batch) entry.batch = { id: slot.batch.id, kind: slot.batch.kind };
    slot.entry = entry;
  }
  if (slot.replied && !slot.converted) {
    slot.converted = true;
    const startedAt = slot.batch ? slot.batch.startedAt : slot.startedAt;
    entry.ms = round(slot.endedAt - startedAt, 3);
    if (slot.failure) entry.error = slot.failure.message;
    else entry.reply = redactReply(entry.argv, toReplyValue(slot.raw));
    slot.raw = undefined;
  }
  return entry;
}

/** How a command argument appears on the wire: strings as is, buffers as UTF-8 when valid, else `\xNN` escapes. */
export function argToString(arg: unknown): string {
  if (typeof arg === "string") return arg;
  if (Buffer.isBuffer(arg)) return bufferToString(arg);
  return String(arg);
}

function bufferToString(buf: Buffer): string {
  const text = buf.toString("utf8");
  if (Buffer.from(text, "utf8").equals(buf)) return text;
  let out = "";
  for (const byte of buf) {
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

export function toReplyValue(value: unknown): ReplyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return bufferToString(value);
  if (Array.isArray(value)) return value.map(toReplyValue);
  if (value instanceof Error) return { error: value.message };
  return String(value);
}
