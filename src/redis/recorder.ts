import type { Redis } from "ioredis";
import { InterruptedError } from "../errors.js";
import { redactArgv, redactReply } from "./redact.js";

/** A reply in a JSON-friendly shape: bulk and status strings as strings, integers as numbers, nil as null. */
export type ReplyValue = string | number | null | ReplyValue[] | { error: string };

/** One command as it went over the wire, with what came back. */
export interface RecordedCommand {
  /** Sequence number within the run, from 1. */
  seq: number;
  /** Which connection sent it (for scenarios with several clients: "worker-1", …). */
  client: string;
  /** The full argv, command name first, exactly as written to the socket (passwords replaced by "[redacted]"). */
  argv: string[];
  /** The reply as the server sent it; for MULTI/EXEC, queued commands reply "QUEUED" and EXEC carries the results. */
  reply?: ReplyValue;
  /** The error reply (or client-side failure, e.g. a timeout), when there was one. */
  error?: string;
  /** Milliseconds from writing the command to its reply. Within a pipeline, from the pipeline's first write. */
  ms: number;
  /** Set when the command was sent as part of a pipeline or transaction: commands with the same id were one batch. */
  batch?: { id: number; kind: "pipeline" | "multi" };
  /** "handshake" for what the client sends on connecting (AUTH, SELECT, CLIENT SETNAME). */
  phase?: "handshake";
  /** Set for what went to another system than Redis (the database behind a cache): argv is then its statement. */
  source?: "db";
  /** On a Redis Cluster: the node (host:port) the command was sent to. */
  node?: string;
}

/** Resolves when the command may be sent (rejects to cancel it); see `CommandRecorder.setGate`. */
export type CommandGate = (argv: string[], client: string) => Promise<void>;

export type RecorderListener = (cmd: RecordedCommand, event: "sent" | "replied") => void;

interface ClientState {
  label: string;
  handshake: boolean;
  node?: string;
  /** Cluster node connections connect lazily, mid-run: their handshake is told apart by the command instead. */
  handshakeByName: boolean;
}

/**
 * Set on an ioredis command object to the connection that recorded it: ioredis passes a command again when it leaves
 * the offline queue (same connection: not recorded twice), and a cluster resends a redirected one on another node's
 * connection (recorded again). A property, not a WeakSet: cheaper for millions of commands.
 */
const RECORDED_BY = Symbol("redis-patterns.recordedBy");

/** Set on an ioredis pipeline (or MULTI) object: the batch its commands are recorded in. */
const BATCH = Symbol("redis-patterns.batch");
interface Batch {
  id: number;
  kind: "pipeline" | "multi";
  startedAt: number;
}

/** What a client sends on its own when it connects (AUTH, HELLO, SELECT, CLIENT SETNAME, READONLY on a replica). */
function isHandshakeCommand(name: string, args: unknown[]): boolean {
  const n = name.toLowerCase();
  if (n === "auth" || n === "hello" || n === "select" || n === "readonly") return true;
  return n === "client" && /^(setname|setinfo)$/i.test(argToString(args[0] ?? ""));
}

export interface AttachOptions {
  /** The cluster node this connection talks to (host:port), recorded with each command. */
  node?: string;
  /** Mark AUTH/HELLO/SELECT/CLIENT SETNAME/READONLY as handshake whenever they are sent (cluster node connections). */
  handshakeByName?: boolean;
}

interface PatchedCommand {
  name: string;
  args: unknown[];
  [RECORDED_BY]?: ClientState;
  resolve: (value: unknown) => unknown;
  reject: (err: Error) => void;
}

/**
 * Records every command sent through the ioredis clients attached to it. It hooks `sendCommand`, the single
 * funnel through which ioredis writes plain commands, pipelines and MULTI/EXEC blocks alike; at that point the
 * arguments have been flattened and stringified, so `name` + `args` is exactly what `toWritable` puts on the socket.
 * The reply is taken before ioredis's reply transformers (so HGETALL stays a flat array, as redis-cli shows it).
 */
export class CommandRecorder {
  private readonly retained: RecordedCommand[] = [];
  /** Retained entries not yet in the trace's form. */
  private pending: Slot[] = [];
  /** Every command recorded, including those not kept in `commands` (see `retain`). */
  total = 0;
  private readonly listeners = new Set<RecorderListener>();
  private nextBatch = 1;
  private signal: AbortSignal | undefined;
  private gate: CommandGate | undefined;

  /**
   * `retain` bounds how many commands are kept in `commands` (a benchmark of millions of operations counts them in
   * `total` and keeps none); every command is still recorded, redacted and timed, and listeners still see it.
   */
  constructor(private readonly options: { retain?: number } = {}) {}

  /** Refuse to send new commands once `signal` aborts (Ctrl-C); commands already sent still complete. */
  setAbortSignal(signal: AbortSignal | undefined): void {
    this.signal = signal;
  }

  /**
   * Hold each plain command (not the handshake, not pipeline or MULTI members) until `gate` resolves, then send it:
   * the tour's step-through mode shows the exact argv and waits for the user. Commands are queued in order.
   */
  setGate(gate: CommandGate | undefined): void {
    this.gate = gate;
  }

  onCommand(listener: RecorderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Start recording a client. Commands sent before `endHandshake` are marked as the connection handshake;
   * `beginHandshake` marks them so again when the same client connects anew (a reconnect).
   */
  attach(redis: Redis, label: string, options: AttachOptions = {}): { endHandshake(): void; beginHandshake(): void } {
    const state: ClientState = {
      label,
      handshake: options.handshakeByName !== true,
      handshakeByName: options.handshakeByName === true,
      ...(options.node ? { node: options.node } : {}),
    };
    const target = redis as unknown as { sendCommand(command: PatchedCommand, stream?: object): unknown };
    const original = target.sendCommand.bind(redis);
    target.sendCommand = (command: PatchedCommand, stream?: object) => {
      // Per connection: on a cluster, a command redirected by MOVED/ASK is sent again on another node's connection,
      // and that second send is recorded as a command of its own.
      if (command[RECORDED_BY] !== state) {
        command[RECORDED_BY] = state;
        const handshake = state.handshake || (state.handshakeByName && isHandshakeCommand(command.name, command.args));
        if (this.signal?.aborted && !handshake) {
          command.reject(new InterruptedError());
          return (command as unknown as { promise: unknown }).promise;
        }
        const gate = this.gate;
        if (gate && !handshake && !(stream && "isPipeline" in stream)) {
          // Step-through (the tour): show the exact argv, send it once the user says so.
          gate(redactArgv([command.name, ...command.args.map(argToString)]), state.label).then(
            () => {
              if (this.signal?.aborted) return command.reject(new InterruptedError());
              this.record(command, stream, state);
              original(command, stream);
            },
            (err: unknown) => command.reject(err instanceof Error ? err : new Error(String(err))),
          );
          return (command as unknown as { promise: unknown }).promise;
        }
        if (state.handshakeByName) {
          // A cluster node connection opens lazily: a command sent while it connects waits in ioredis's offline
          // queue, and comes through here again when it is written. Record it then, so the trace holds only what
          // went over the wire (a connection dropped while connecting sent nothing), in the order it was written.
          if (redis.status === "end") return original(command, stream);
          const result = original(command, stream);
          if (isQueued(redis, command)) command[RECORDED_BY] = undefined;
          else this.record(command, stream, state);
          return result;
        }
        this.record(command, stream, state);
      }
      return original(command, stream);
    };
    return {
      endHandshake: () => (state.handshake = false),
      beginHandshake: () => (state.handshake = options.handshakeByName !== true),
    };
  }

  /**
   * Record a call to another system (a SQL statement to the database behind a cache) in the same trace, marked
   * with its source, so the reader sees Redis and the database interleaved in the order they happened.
   */
  async external<T>(
    client: string,
    source: "db",
    argv: string[],
    run: () => Promise<T>,
    reply?: (value: T) => ReplyValue,
  ): Promise<T> {
    if (this.signal?.aborted) throw new InterruptedError();
    const entry: RecordedCommand = { seq: ++this.total, client, argv, ms: 0, source };
    this.keep(entry);
    this.emit(entry, "sent");
    const startedAt = performance.now();
    try {
      const value = await run();
      entry.reply = reply ? reply(value) : toReplyValue(value);
      return value;
    } catch (err) {
      entry.error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      entry.ms = Math.round((performance.now() - startedAt) * 1000) / 1000;
      this.emit(entry, "replied");
    }
  }

  /** Index to slice from: `commands.slice(mark)` are the commands sent since. */
  mark(): number {
    return this.retained.length;
  }

  since(mark: number): RecordedCommand[] {
    this.exposeAll();
    return this.retained.slice(mark);
  }

  /** The retained commands, in the trace's form. */
  get commands(): RecordedCommand[] {
    this.exposeAll();
    return this.retained;
  }

  private record(command: PatchedCommand, stream: object | undefined, state: ClientState): void {
    // The hot path keeps references (the command's name and args, later its raw reply) and two timestamps; the
    // trace's form (argv strings, redaction, reply conversion) is made when the entry is handed out: to a listener,
    // or through `commands` / `since` when the trace is printed or serialised (see `expose`).
    const entry: RecordedCommand = { seq: ++this.total, client: state.label, argv: NOT_YET, ms: 0 };
    if (state.handshake || (state.handshakeByName && isHandshakeCommand(command.name, command.args)))
      entry.phase = "handshake";
    if (state.node) entry.node = state.node;
    let startedAt = performance.now();
    if (stream && "isPipeline" in stream) {
      const pipeline = stream as { [BATCH]?: Batch };
      let batch = pipeline[BATCH];
      if (!batch) {
        batch = {
          id: this.nextBatch++,
          kind: command.name.toLowerCase() === "multi" ? "multi" : "pipeline",
          startedAt,
        };
        pipeline[BATCH] = batch;
      }
      entry.batch = { id: batch.id, kind: batch.kind };
      startedAt = batch.startedAt;
    }
    const slot = this.open(entry, command.name, command.args, startedAt);

    // The reply: a timestamp and a reference, nothing more, unless the entry was already handed out (or the reply is
    // a Buffer, which may be a view of the parser's reused memory). One reply per send: a command redirected by a
    // cluster (MOVED/ASK) is wrapped again by the next send, and this entry keeps the first outcome.
    const resolve = command.resolve;
    const reject = command.reject;
    // The wrappers below keep ioredis's own `this` (a plain function), so the recorder is reached through a name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const recorder = this;
    command.resolve = function (this: unknown, value: unknown) {
      if (!slot.replied) {
        slot.endedAt = performance.now();
        slot.replied = true;
        slot.raw = value;
        if (slot.exposed || recorder.listeners.size > 0 || hasBuffer(value)) recorder.replied(slot);
      }
      return resolve.call(this, value);
    };
    command.reject = function (this: unknown, err: Error) {
      if (!slot.replied) {
        slot.endedAt = performance.now();
        slot.replied = true;
        slot.failure = err;
        if (slot.exposed || recorder.listeners.size > 0) recorder.replied(slot);
      }
      return reject.call(this, err);
    };
  }

  /**
   * Hooks for a client that is not ioredis (bench's wire client): the same entries, references and timestamps as
   * `attach` records, the client calling `sent` as it queues a command and `replied`/`failed` with its outcome.
   */
  wireHooks(label: string): {
    sent(name: string, args: readonly unknown[]): unknown;
    replied(token: unknown, value: unknown): void;
    failed(token: unknown, err: Error): void;
  } {
    return {
      sent: (name, args) => {
        const entry: RecordedCommand = { seq: ++this.total, client: label, argv: NOT_YET, ms: 0 };
        return this.open(entry, name, args as unknown[], performance.now());
      },
      replied: (token, value) => {
        const slot = token as Slot;
        slot.endedAt = performance.now();
        slot.replied = true;
        slot.raw = value;
        if (slot.exposed || this.listeners.size > 0) this.replied(slot);
      },
      failed: (token, err) => {
        const slot = token as Slot;
        slot.endedAt = performance.now();
        slot.replied = true;
        slot.failure = err;
        if (slot.exposed || this.listeners.size > 0) this.replied(slot);
      },
    };
  }

  /** A new entry as references: retained (within `retain`) and, when someone listens, handed out at once. */
  private open(entry: RecordedCommand, name: string, args: unknown[], startedAt: number): Slot {
    const slot: Slot = {
      entry,
      name,
      args,
      startedAt,
      endedAt: 0,
      raw: undefined,
      failure: undefined,
      replied: false,
      exposed: false,
      converted: false,
    };
    if (this.options.retain === undefined || this.retained.length < this.options.retain) {
      this.retained.push(entry);
      this.pending.push(slot);
    }
    if (this.listeners.size > 0) {
      expose(slot);
      this.emit(entry, "sent");
    }
    return slot;
  }

  private replied(slot: Slot): void {
    expose(slot);
    if (this.listeners.size > 0) this.emit(slot.entry, "replied");
  }

  /** Put every retained entry in the trace's form (entries still waiting for a reply convert it when it comes). */
  private exposeAll(): void {
    if (this.pending.length === 0) return;
    for (const slot of this.pending) expose(slot);
    this.pending = [];
  }

  private keep(entry: RecordedCommand): void {
    if (this.options.retain === undefined || this.retained.length < this.options.retain) this.retained.push(entry);
  }

  private emit(entry: RecordedCommand, event: "sent" | "replied"): void {
    for (const listener of this.listeners) listener(entry, event);
  }
}

/** argv of an entry not yet handed out (never seen outside the recorder). */
const NOT_YET: string[] = [];

/** A recorded command as references, until it is put in the trace's form. */
interface Slot {
  entry: RecordedCommand;
  name: string;
  args: unknown[];
  startedAt: number;
  endedAt: number;
  raw: unknown;
  failure: Error | undefined;
  replied: boolean;
  /** argv is in the trace's form. */
  exposed: boolean;
  /** reply is in the trace's form. */
  converted?: boolean;
}

/** The entry's argv (redacted) and, once it came, its reply in the trace's form; once per entry. */
function expose(slot: Slot): void {
  const entry = slot.entry;
  if (!slot.exposed) {
    slot.exposed = true;
    entry.argv = redactArgv([slot.name, ...slot.args.map(argToString)]);
  }
  if (slot.replied && !slot.converted) {
    slot.converted = true;
    entry.ms = Math.round((slot.endedAt - slot.startedAt) * 1000) / 1000;
    if (slot.failure) entry.error = slot.failure.message;
    else entry.reply = redactReply(entry.argv, toReplyValue(slot.raw));
    slot.raw = undefined;
  }
}

function hasBuffer(value: unknown): boolean {
  if (Buffer.isBuffer(value)) return true;
  if (!Array.isArray(value)) return false;
  for (const v of value) if (hasBuffer(v)) return true;
  return false;
}

/** Whether ioredis put the command in its offline queue (the connection is not ready) instead of writing it. */
function isQueued(redis: Redis, command: object): boolean {
  const queue = (
    redis as unknown as { offlineQueue?: { length: number; peekAt(i: number): { command?: object } | undefined } }
  ).offlineQueue;
  if (!queue || queue.length === 0) return false;
  return queue.peekAt(queue.length - 1)?.command === command;
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
