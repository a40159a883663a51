import { connect as netConnect, type Socket } from "node:net";
import type { RedisArg, RedisCaller } from "../redis/types.js";

/**
 * bench's client: the `call` surface the pattern functions use (RedisCaller), written straight onto a socket in RESP
 * and parsed back, with nothing else (no offline queue, no reconnects, no reply transformers). Commands issued in the
 * same tick go out in one write, as ioredis's auto-pipelining and `redis-benchmark -P` do. It needs a few times less
 * CPU per command than ioredis, so `bench` measures the server rather than the client. Replies are what ioredis
 * returns by default: bulk and status strings as strings, integers as numbers, nil as null, errors as Error.
 */
export interface WireHooks {
  /** Called as a command is queued; the token comes back with its reply. */
  sent(name: string, args: readonly RedisArg[]): unknown;
  replied(token: unknown, value: unknown): void;
  failed(token: unknown, err: Error): void;
}

export interface WireOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  name?: string;
  timeoutMs?: number;
}

export class ReplyError extends Error {
  override name = "ReplyError";
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  token: unknown;
}

const INCOMPLETE = Symbol("incomplete");

export class WireClient implements RedisCaller {
  private readonly queue: Pending[] = [];
  private head = 0;
  private out: (string | Buffer)[] = [];
  private binary = false;
  private flushing = false;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private closed: Error | undefined;
  hooks: WireHooks | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.fail(new Error("Connection is closed.")));
  }

  static async connect(options: WireOptions): Promise<WireClient> {
    const socket = netConnect({ host: options.host, port: options.port });
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
    const client = new WireClient(socket);
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
    for (const arg of args) {
      if (Buffer.isBuffer(arg)) {
        this.out.push(`${text}$${arg.length}\r\n`, arg);
        this.binary = true;
        text = "\r\n";
      } else {
        const s = typeof arg === "string" ? arg : String(arg);
        text += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
      }
    }
    this.out.push(text);
    if (!this.flushing) {
      this.flushing = true;
      queueMicrotask(() => this.flush());
    }
    const token = this.hooks?.sent(command, args);
    return new Promise((resolve, reject) => this.queue.push({ resolve, reject, token }));
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

  private flush(): void {
    this.flushing = false;
    if (this.out.length === 0) return;
    const out = this.out;
    this.out = [];
    if (!this.binary) {
      this.socket.write(out.length === 1 ? (out[0] as string) : out.join(""));
      return;
    }
    this.binary = false;
    this.socket.cork();
    for (const part of out) this.socket.write(part);
    this.socket.uncork();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    for (;;) {
      if (this.pos >= this.buf.length) break;
      const start = this.pos;
      const value = this.parse();
      if (value === INCOMPLETE) {
        this.pos = start;
        break;
      }
      const pending = this.queue[this.head];
      if (!pending) continue;
      this.queue[this.head++] = undefined as unknown as Pending;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (value instanceof ReplyError) {
        if (this.hooks) this.hooks.failed(pending.token, value);
        pending.reject(value);
      } else {
        if (this.hooks) this.hooks.replied(pending.token, value);
        pending.resolve(value);
      }
    }
  }

  private line(): string | typeof INCOMPLETE {
    const end = this.buf.indexOf(13, this.pos);
    if (end < 0 || end + 1 >= this.buf.length) return INCOMPLETE;
    const text = this.buf.toString("utf8", this.pos, end);
    this.pos = end + 2;
    return text;
  }

  private parse(): unknown {
    const type = this.buf[this.pos++];
    const line = this.line();
    if (line === INCOMPLETE) return INCOMPLETE;
    switch (type) {
      case 43: // +
        return line;
      case 45: // -
        return new ReplyError(line);
      case 58: // :
        return Number(line);
      case 36: {
        // $
        const len = Number(line);
        if (len < 0) return null;
        if (this.pos + len + 2 > this.buf.length) return INCOMPLETE;
        const text = this.buf.toString("utf8", this.pos, this.pos + len);
        this.pos += len + 2;
        return text;
      }
      case 42: {
        // *
        const n = Number(line);
        if (n < 0) return null;
        const items: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) {
          if (this.pos >= this.buf.length) return INCOMPLETE;
          const item = this.parse();
          if (item === INCOMPLETE) return INCOMPLETE;
          items[i] = item;
        }
        return items;
      }
      default:
        throw new Error(`unexpected reply type ${String.fromCharCode(type ?? 63)} from the server`);
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = err;
    for (let i = this.head; i < this.queue.length; i++) {
      const p = this.queue[i];
      if (p) {
        this.hooks?.failed(p.token, err);
        p.reject(err);
      }
    }
    this.queue.length = 0;
    this.head = 0;
  }
}
