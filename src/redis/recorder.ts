import type { Redis } from "ioredis";
import { InterruptedError } from "../errors.js";
import { isGuardCommand } from "./guard-mark.js";
import { redactArgv } from "./redact.js";
import { Slot, argToString, expose, toReplyValue, type Batch, type ClientState } from "./recorder-slot.js";
import type { RecordedCommand, ReplyValue } from "./recorder-types.js";
import { round } from "../stats.js";

export { argToString, toReplyValue } from "./recorder-slot.js";
export type { RecordedCommand, ReplyValue } from "./recorder-types.js";

/** What a client other than ioredis tells the recorder (`CommandRecorder.wireHooks`); times from performance.now(). */
export interface RecorderHooks {
  /** A command is queued: its record, handed back with its outcome; undefined when nothing of it is kept. */
  sent(name: string, args: readonly unknown[]): unknown;
  /** The commands queued since the last write went out in one write, at `at`. */
  written(at: number): void;
  /** How many of the commands queued since the last write the recorder keeps (0: `written` need not be called). */
  readonly unwritten: number;
  /** A reply (or an error reply, or the connection's failure) read at `at`. */
  replied(token: unknown, value: unknown, at: number): void;
  failed(token: unknown, err: Error, at: number): void;
}

/** Resolves when the command may be sent (rejects to cancel it); see `CommandRecorder.setGate`. */
export type CommandGate = (argv: string[], client: string) => Promise<void>;

export type RecorderListener = (cmd: RecordedCommand, event: "sent" | "replied") => void;

/** Called after each recorded command went to its connection (the TTL guard, src/redis/ttl-guard.ts). */
export type SendHook = (redis: Redis, command: never, stream: object | undefined) => void;

/** Set on an ioredis pipeline (or MULTI) object: the batch its commands are recorded in. */
const BATCH = Symbol("redis-patterns.batch");

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
  /** The recorder's slot for this command on the connection that sent it last (see `record`). */
  [SLOT]?: Slot;
  resolve: (value: unknown) => unknown;
  reject: (err: Error) => unknown;
}

/** Set on an ioredis command object: its slot, which also says which connection recorded it (see `attach`). */
const SLOT = Symbol("redis-patterns.slot");

/**
 * Records every command sent through the ioredis clients attached to it. It hooks `sendCommand`, the single
 * funnel through which ioredis writes plain commands, pipelines and MULTI/EXEC blocks alike; at that point the
 * arguments have been flattened and stringified, so `name` + `args` is exactly what `toWritable` puts on the socket.
 * The reply is taken before ioredis's reply transformers (so HGETALL stays a flat array, as redis-cli shows it).
 *
 * The hot path (one command sent, one reply) keeps references and timestamps in one small object (a `Slot`): the
 * command's name and argument array, a `performance.now()` at sending and at the reply, the raw reply. The trace's
 * form (argv strings, redaction of secrets, the reply converted) is made when an entry is handed out: to a listener
 * (the tour), or through `commands` / `since` when the trace is printed or serialised.
 */
export class CommandRecorder {
  /** Retained commands (within `retain`), as slots; `entries` is the prefix of them already in the trace's form. */
  private readonly retained: Slot[] = [];
  private readonly entries: RecordedCommand[] = [];
  /** Every command recorded, including those not kept in `commands` (see `retain`). */
  total = 0;
  private readonly listeners = new Set<RecorderListener>();
  private nextBatch = 1;
  private signal: AbortSignal | undefined;
  private gate: CommandGate | undefined;
  private sendHook: SendHook | undefined;
  private readonly retain: number;

  /**
   * `retain` bounds how many commands are kept in `commands` (a benchmark of millions of operations counts them in
   * `total` and keeps none); listeners still see every command. A command past `retain` sent while nobody listens
   * can never be handed out: through ioredis it is still recorded (references and timestamps, as always), through
   * `wireHooks` (bench's client) only counted, which is what makes bench's recorder cheap.
   */
  constructor(options: { retain?: number } = {}) {
    this.retain = options.retain ?? Number.POSITIVE_INFINITY;
  }

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

  /** See `SendHook`; the hook's own commands (marked by the guard) pass Ctrl-C's gate and the tour's. */
  setSendHook(hook: SendHook | undefined): void {
    this.sendHook = hook;
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
      // Per connection: ioredis passes a command again when it leaves the offline queue (same connection: recorded
      // once), and a cluster resends one redirected by MOVED/ASK on another node's connection (recorded again).
      if (command[SLOT]?.state !== state) {
        const handshake = state.handshake || (state.handshakeByName && isHandshakeCommand(command.name, command.args));
        const guard = isGuardCommand(command);
        const hook = () => {
          if (!handshake) this.sendHook?.(redis, command as never, stream);
        };
        if (this.signal?.aborted && !handshake && !guard) {
          command.reject(new InterruptedError());
          return (command as unknown as { promise: unknown }).promise;
        }
        const gate = this.gate;
        if (gate && !handshake && !guard && !(stream && "isPipeline" in stream)) {
          // Step-through (the tour): show the exact argv, send it once the user says so.
          gate(redactArgv([command.name, ...command.args.map(argToString)]), state.label).then(
            () => {
              if (this.signal?.aborted) return command.reject(new InterruptedError());
              this.record(command, stream, state, handshake);
              original(command, stream);
              hook();
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
          if (!isQueued(redis, command)) {
            this.record(command, stream, state, handshake);
            hook();
          }
          return result;
        }
        this.record(command, stream, state, handshake);
        // With a send hook (the TTL guard), what the hook sends for this command (EXPIRE … NX, in a nextTick) goes
        // out in the same write as the command: corked until after the hook's nextTick, so a process killed between
        // the two cannot leave the command's key without its TTL.
        const socket = this.sendHook && !handshake && !guard ? corkable(redis) : undefined;
        socket?.cork();
        const result = original(command, stream);
        hook();
        if (socket) process.nextTick(() => socket.uncork());
        return result;
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
    const slot = new Slot(++this.total, client, argv[0] ?? "", argv, performance.now(), undefined, undefined);
    const entry: RecordedCommand = { seq: slot.seq, client, argv, ms: 0, source };
    slot.entry = entry;
    if (this.retained.length < this.retain) this.retained.push(slot);
    this.emit(entry, "sent");
    try {
      const value = await run();
      entry.reply = reply ? reply(value) : toReplyValue(value);
      return value;
    } catch (err) {
      entry.error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      entry.ms = round(performance.now() - slot.startedAt, 3);
      slot.replied = slot.converted = true;
      this.emit(entry, "replied");
    }
  }

  /** Index to slice from: `commands.slice(mark)` are the commands sent since. */
  mark(): number {
    return this.retained.length;
  }

  since(mark: number): RecordedCommand[] {
    return this.commands.slice(mark);
  }

  /** The retained commands, in the trace's form (the same array, growing, on every read). */
  get commands(): RecordedCommand[] {
    for (let i = this.entries.length; i < this.retained.length; i++) this.entries.push(expose(this.retained[i]!));
    return this.entries;
  }

  private record(command: PatchedCommand, stream: object | undefined, state: ClientState, handshake: boolean): void {
    const startedAt = performance.now();
    let batch: Batch | undefined;
    if (stream !== undefined && "isPipeline" in stream) {
      const pipeline = stream as { [BATCH]?: Batch };
      batch = pipeline[BATCH];
      if (!batch) {
        batch = {
          id: this.nextBatch++,
          kind: command.name.toLowerCase() === "multi" ? "multi" : "pipeline",
          startedAt,
        };
        pipeline[BATCH] = batch;
      }
    }
    const slot = new Slot(++this.total, state.label, command.name, command.args, startedAt, batch, state);
    if (handshake) slot.handshake = true;
    if (isGuardCommand(command)) slot.guard = true;
    // A command redirected by a cluster (MOVED/ASK) comes back here on another connection, its resolve/reject
    // already ours: the new slot takes over ioredis's originals, the first slot keeps the first outcome.
    const previous = command[SLOT];
    if (previous !== undefined && command.resolve === resolveRecorded) {
      slot.resolve = previous.resolve;
      slot.reject = previous.reject;
    } else {
      slot.resolve = command.resolve;
      slot.reject = command.reject;
      command.resolve = resolveRecorded;
      command.reject = rejectRecorded;
    }
    slot.recorder = this;
    command[SLOT] = slot;
    this.opened(slot);
  }

  /**
   * Hooks for a client that is not ioredis (bench's wire client): the same slots, references and timestamps as
   * `attach` records. The client calls `sent` as it queues a command, `written` as it writes what it queued (one
   * write for all the commands issued in a tick), and `replied`/`failed` with each outcome and the time of the read
   * that brought it: a command's `ms` runs from its write to that read, and a pipelined write or read costs one clock
   * reading, not one per command. A command that can never be handed out (past `retain`, nobody listening) is only
   * counted: no record, no reference to its arguments (`sent` returns undefined, and the client skips its outcome).
   */
  wireHooks(label: string): RecorderHooks {
    const unwritten: (Slot | undefined)[] = [];
    let queued = 0;
    return {
      sent: (name, args) => {
        // Nothing could ever hand this command out (past `retain`, nobody listening): count it, keep nothing.
        if (this.retained.length >= this.retain && this.listeners.size === 0) {
          this.total += 1;
          return undefined;
        }
        const slot = new Slot(++this.total, label, name, args, 0, undefined, undefined);
        slot.recorder = this;
        unwritten[queued++] = slot;
        this.opened(slot);
        return slot;
      },
      written: (at) => {
        for (let i = 0; i < queued; i++) {
          unwritten[i]!.startedAt = at;
          unwritten[i] = undefined;
        }
        queued = 0;
      },
      get unwritten() {
        return queued;
      },
      replied: (token, value, at) => (token as Slot).settle(value, undefined, at),
      failed: (token, err, at) => (token as Slot).settle(undefined, err, at),
    };
  }

  /** A new slot: retained (within `retain`) and, when someone listens, handed out at once. */
  private opened(slot: Slot): void {
    if (this.retained.length < this.retain) this.retained.push(slot);
    if (this.listeners.size > 0) this.emit(expose(slot), "sent");
  }

  /** A reply came for a slot already handed out, or someone listens: the entry gets it now. */
  repliedNow(slot: Slot): void {
    const entry = expose(slot);
    if (this.listeners.size > 0) this.emit(entry, "replied");
  }

  hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  private emit(entry: RecordedCommand, event: "sent" | "replied"): void {
    for (const listener of this.listeners) listener(entry, event);
  }
}

/** ioredis's `command.resolve` while recorded: called as a method of the command (ioredis always does). */
function resolveRecorded(this: PatchedCommand, value: unknown): unknown {
  const slot = this[SLOT]!;
  slot.settle(value, undefined);
  return slot.resolve!.call(this, value);
}

function rejectRecorded(this: PatchedCommand, err: Error): unknown {
  const slot = this[SLOT]!;
  slot.settle(undefined, err);
  return slot.reject!.call(this, err);
}

/** Whether ioredis put the command in its offline queue (the connection is not ready) instead of writing it. */
function isQueued(redis: Redis, command: object): boolean {
  const queue = (
    redis as unknown as { offlineQueue?: { length: number; peekAt(i: number): { command?: object } | undefined } }
  ).offlineQueue;
  if (!queue || queue.length === 0) return false;
  return queue.peekAt(queue.length - 1)?.command === command;
}

/** The connection's socket when a write can be held back (corked) on it: connected and writable. */
function corkable(redis: Redis): { cork(): void; uncork(): void } | undefined {
  const stream = (redis as unknown as { stream?: { cork?(): void; uncork?(): void; writable?: boolean } }).stream;
  return redis.status === "ready" && stream?.writable && stream.cork && stream.uncork
    ? (stream as { cork(): void; uncork(): void })
    : undefined;
}
