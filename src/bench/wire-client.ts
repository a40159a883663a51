import { connect as netConnect, type Socket } from "node:net";
import type { RecorderHooks } from "../redis/recorder.js";
import type { RedisArg, RedisCaller } from "../redis/types.js";

/**
 * bench's client: the `call` surface the pattern functions use (RedisCaller), written straight onto a socket in RESP
 * and parsed back, with nothing else (no offline queue, no reconnects, no reply transformers). Commands issued in the
 * same tick go out in one write, as ioredis's auto-pipelining and `redis-benchmark -P` do. It needs a few times less
 * CPU per command than ioredis, so `bench` measures the server rather than the client. Replies are what ioredis
 * returns by default: bulk and status strings as strings, integers as numbers, nil as null, errors as Error.
 *
 * Where its CPU goes (docs/bench.md, "Session 4"): the socket is read into one reused buffer (`onread`: no Buffer
 * and no stream event per chunk), lengths and integers are read from the bytes (no string per header line), and the
 * commands in flight are five parallel entries in one array (no object or closure per command).
 */
export interface WireOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  name?: string;
  timeoutMs?: number;
}

/** An error reply, with the command it answered, as ioredis names it on its ReplyError. */
export class ReplyError extends Error {
  override name = "ReplyError";
  command?: { name: string; args: RedisArg[] };
}

/** The entries of one command in flight: resolve, reject, the hooks' token, the command and its arguments. */
const STRIDE = 5;

const INCOMPLETE = Symbol("incomplete");
type Incomplete = typeof INCOMPLETE;
/** Bytes read from the socket at a time, into one buffer reused for every read. */
const READ_SIZE = 64 * 1024;
/** Integers of more digits than this are parsed by Number() (exact rounding past 2^53, as ioredis gives them). */
const SAFE_DIGITS = 15;
/** Where a flush is scheduled from: a settled promise's `then` is a bare V8 microtask, where Node's
 * `queueMicrotask` makes an AsyncResource per call (measurable at `-P 1`, a flush per operation). */
const SETTLED = Promise.resolve();

export class WireClient implements RedisCaller {
  /** Commands in flight, oldest first from `head`: the STRIDE entries of each, in a row. */
  private queue: unknown[] = [];
  private head = 0;
  /** What the next write sends: RESP text, and (only once a Buffer argument came) the parts before it. */
  private out = "";
  private parts: (string | Buffer)[] | undefined;
  private flushing = false;
  /** The bytes being parsed (the read buffer, or a copy when a reply spans reads), up to `end`. */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  /** The unparsed tail of the last read (a reply not complete yet), copied out of the reused read buffer. */
  private rest: Buffer | undefined;
  private token: unknown;
  /** The command `call` is queueing, for its error reply (bench names the command a failed operation got). */
  private command = "";
  private args: RedisArg[] = [];
  /** When the current read arrived (performance.now()), or -1 until a reply in it needs it. */
  private readAt = -1;
  private closed: Error | undefined;
  private readonly socket: Socket;
  /** The command recorder's hooks (bench's "recording on" phase): told of each command, write and reply. */
  hooks: RecorderHooks | undefined;

  private constructor(host: string, port: number) {
    this.socket = netConnect({
      host,
      port,
      onread: {
        buffer: Buffer.allocUnsafe(READ_SIZE),
        callback: (n: number, buf: Uint8Array) => {
          this.onRead(n, buf as Buffer);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on("error", (err) => this.fail(err));
    this.socket.on("close", () => this.fail(new Error("Connection is closed.")));
  }

  static async connect(options: WireOptions): Promise<WireClient> {
    const client = new WireClient(options.host, options.port);
    const socket = client.socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${options.host}:${options.port} timed out`));
      }, options.timeoutMs ?? 10_000);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    if (options.password !== undefined) {
      await (options.username
        ? client.call("AUTH", options.username, options.password)
        : client.call("AUTH", options.password));
    }
    if (options.db) await client.call("SELECT", options.db);
    if (options.name) await client.call("CLIENT", "SETNAME", options.name);
    return client;
  }

  call(command: string, ...args: RedisArg[]): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    let text = `*${args.length + 1}\r\n$${Buffer.byteLength(command)}\r\n${command}\r\n`;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === "string") text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
      else if (typeof arg === "number") {
        const s = String(arg);
        text += `$${s.length}\r\n${s}\r\n`;
      } else {
        (this.parts ??= []).push(`${this.out}${text}$${arg!.length}\r\n`, arg!);
        this.out = "";
        text = "\r\n";
      }
    }
    this.out += text;
    if (!this.flushing) {
      this.flushing = true;
      void SETTLED.then(this.flush);
    }
    this.token = this.hooks?.sent(command, args);
    this.command = command;
    this.args = args;
    return new Promise(this.enqueue);
  }

  /** QUIT, then close. */
  async quit(): Promise<void> {
    try {
      await this.call("QUIT");
    } catch {
      // The server closes the connection as it answers.
    }
    this.socket.destroy();
  }

  disconnect(): void {
    this.socket.destroy();
  }

  private readonly enqueue = (resolve: (value: unknown) => void, reject: (err: Error) => void): void => {
    this.queue.push(resolve, reject, this.token, this.command, this.args);
  };

  private readonly flush = (): void => {
    this.flushing = false;
    // A clock reading only when the recorder keeps one of the commands in this write.
    if (this.hooks !== undefined && this.hooks.unwritten > 0) this.hooks.written(performance.now());
    const parts = this.parts;
    if (parts === undefined) {
      if (this.out.length > 0) this.socket.write(this.out);
      this.out = "";
      return;
    }
    this.parts = undefined;
    if (this.out.length > 0) parts.push(this.out);
    this.out = "";
    this.socket.cork();
    for (const part of parts) this.socket.write(part);
    this.socket.uncork();
  };

  /** `n` bytes arrived in the read buffer (reused by the next read: nothing may keep a view of it). */
  private onRead(n: number, chunk: Buffer): void {
    if (this.rest === undefined) {
      this.buf = chunk;
      this.end = n;
    } else {
      this.buf = Buffer.concat([this.rest, chunk.subarray(0, n)]);
      this.end = this.buf.length;
      this.rest = undefined;
    }
    this.pos = 0;
    // At most one clock reading per read, for the recorder: the time every reply in it arrived (read when the first
    // reply the recorder keeps is settled).
    this.readAt = -1;
    while (this.pos < this.end) {
      const start = this.pos;
      const value = this.parse();
      if (value === INCOMPLETE) {
        this.rest = Buffer.from(this.buf.subarray(start, this.end));
        break;
      }
      this.settle(value);
    }
  }

  private settle(value: unknown): void {
    const queue = this.queue;
    const i = this.head;
    if (i >= queue.length) return;
    const resolve = queue[i] as (value: unknown) => void;
    const reject = queue[i + 1] as (err: Error) => void;
    const token = queue[i + 2];
    if (value instanceof ReplyError) value.command = { name: queue[i + 3] as string, args: queue[i + 4] as RedisArg[] };
    if (i + STRIDE === queue.length) {
      queue.length = 0;
      this.head = 0;
    } else {
      queue[i] = queue[i + 1] = queue[i + 2] = queue[i + 3] = queue[i + 4] = undefined;
      this.head = i + STRIDE;
      if (this.head > 1024 * STRIDE && this.head * 2 > queue.length) {
        queue.splice(0, this.head);
        this.head = 0;
      }
    }
    if (this.hooks !== undefined && token !== undefined) {
      if (this.readAt < 0) this.readAt = performance.now();
      if (value instanceof ReplyError) this.hooks.failed(token, value, this.readAt);
      else this.hooks.replied(token, value, this.readAt);
    }
    if (value instanceof ReplyError) reject(value);
    else resolve(value);
  }

  /** The integer that ends the current line (a length, a count, an integer reply), or INCOMPLETE. */
  private integer(): number | Incomplete {
    const buf = this.buf;
    const end = this.end;
    const start = this.pos;
    let i = start;
    const negative = buf[i] === 45; // -
    if (negative) i++;
    let n = 0;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c === 13) break;
      n = n * 10 + (c - 48);
    }
    if (i + 1 >= end) return INCOMPLETE;
    this.pos = i + 2;
    if (i - start > SAFE_DIGITS) return Number(buf.toString("latin1", start, i));
    return negative ? -n : n;
  }

  /** The text of the current line (a status or an error), or INCOMPLETE. */
  private text(): string | Incomplete {
    const end = this.buf.indexOf(13, this.pos);
    if (end < 0 || end >= this.end - 1) return INCOMPLETE;
    const text = this.buf.toString("utf8", this.pos, end);
    this.pos = end + 2;
    return text;
  }

  private parse(): unknown {
    if (this.pos >= this.end) return INCOMPLETE;
    const type = this.buf[this.pos++];
    switch (type) {
      case 36: {
        // $
        const len = this.integer();
        if (len === INCOMPLETE) return INCOMPLETE;
        if (len < 0) return null;
        const start = this.pos;
        if (start + len + 2 > this.end) return INCOMPLETE;
        this.pos = start + len + 2;
        return this.buf.toString("utf8", start, start + len);
      }
      case 58: // :
        return this.integer();
      case 43: // +
        return this.text();
      case 42: {
        // *
        const n = this.integer();
        if (n === INCOMPLETE) return INCOMPLETE;
        if (n < 0) return null;
        const items: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const item = this.parse();
          if (item === INCOMPLETE) return INCOMPLETE;
          items[i] = item;
        }
        return items;
      }
      case 45: {
        // -
        const message = this.text();
        return message === INCOMPLETE ? INCOMPLETE : new ReplyError(message);
      }
      default:
        throw new Error(`unexpected reply type ${String.fromCharCode(type ?? 63)} from the server`);
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = err;
    const queue = this.queue;
    const at = performance.now();
    for (let i = this.head; i + STRIDE - 1 < queue.length; i += STRIDE) {
      if (this.hooks && queue[i + 2] !== undefined) this.hooks.failed(queue[i + 2], err, at);
      (queue[i + 1] as (err: Error) => void)(err);
    }
    queue.length = 0;
    this.head = 0;
  }
}
