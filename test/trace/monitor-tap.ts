import { connect, type Socket } from "node:net";
import { argToString } from "../../src/redis/recorder.js";

/** One line of MONITOR output, with its arguments decoded back to the bytes the client sent. */
export interface MonitorLine {
  time: string;
  db: number;
  /** `ip:port` of the client, `unix:<path>`, or `lua` for a command a script ran. */
  source: string;
  /** Each argument as the recorder shows it (UTF-8 when valid, else `\xNN` escapes), so the two compare directly. */
  argv: string[];
  raw: string;
}

/**
 * A MONITOR connection read off a plain socket.
 *
 * Why not ioredis's `redis.monitor()`: its "monitor" event splits the line on `" "` and only unescapes `\"`. Redis
 * writes each argument with sdscatrepr (`\n`, `\r`, `\t`, `\\`, `\"`, `\xNN` for every byte outside printable ASCII),
 * so an EVAL's Lua source (newlines, quotes, UTF-8 in comments) would come back mangled and an argument containing
 * `" "` would be split in two. Comparing the trace "exactly" needs the exact bytes, so this decodes the line itself.
 */
export class MonitorTap {
  readonly lines: MonitorLine[] = [];
  private buffer = "";
  private waiters: (() => void)[] = [];
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {}

  static async open(host: string, port: number, auth?: { username?: string; password: string }): Promise<MonitorTap> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const tap = new MonitorTap(socket);
    socket.setEncoding("latin1");
    const replies: string[] = [];
    let ready: (() => void) | undefined;
    socket.on("data", (chunk: string) => {
      tap.buffer += chunk;
      let end: number;
      while ((end = tap.buffer.indexOf("\r\n")) >= 0) {
        const reply = tap.buffer.slice(0, end);
        tap.buffer = tap.buffer.slice(end + 2);
        if (ready) {
          // The replies to AUTH and MONITOR come first.
          replies.push(reply);
          if (replies.length === (auth ? 2 : 1)) {
            const r = ready;
            ready = undefined;
            r();
          }
          continue;
        }
        tap.onReply(reply);
      }
    });
    socket.on("error", (err) => tap.fail(err));
    const handshake = new Promise<void>((resolve) => (ready = resolve));
    if (auth) socket.write(resp(auth.username ? ["AUTH", auth.username, auth.password] : ["AUTH", auth.password]));
    socket.write(resp(["MONITOR"]));
    await handshake;
    const bad = replies.find((r) => r !== "+OK");
    if (bad) {
      socket.destroy();
      throw new Error(`MONITOR refused: ${bad}`);
    }
    return tap;
  }

  /** Resolve once a line matching `predicate` has been seen (lines arrive in the order the server ran them). */
  async waitFor(predicate: (line: MonitorLine) => boolean, timeoutMs = 5_000): Promise<MonitorLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      const found = this.lines.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`MONITOR did not show the expected line within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Forget the lines seen so far. */
  clear(): void {
    this.lines.length = 0;
  }

  close(): void {
    this.socket.destroy();
  }

  private onReply(reply: string): void {
    if (!reply.startsWith("+")) {
      this.fail(new Error(`unexpected reply on the MONITOR connection: ${reply}`));
      return;
    }
    try {
      this.lines.push(parseMonitorLine(reply.slice(1)));
    } catch (err) {
      this.fail(err as Error);
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const wake of this.waiters.splice(0)) wake();
  }
}

function resp(argv: string[]): string {
  return `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

const ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, a: 0x07, b: 0x08, "\\": 0x5c, '"': 0x22 };

/**
 * `1700000000.123456 [0 127.0.0.1:50908] "EVALSHA" "ab…" "1"`: the inverse of Redis's sdscatrepr, argument by
 * argument. The line itself is ASCII (sdscatrepr escapes everything else), read as latin1 so no byte is altered.
 */
export function parseMonitorLine(line: string): MonitorLine {
  const head = /^(\d+\.\d+) \[(\d+) ([^\]]+)\] /.exec(line);
  if (!head) throw new Error(`not a MONITOR line: ${line.slice(0, 200)}`);
  const argv: string[] = [];
  let i = head[0].length;
  while (i < line.length) {
    if (line[i] !== '"') throw new Error(`malformed MONITOR line at ${i}: ${line.slice(0, 200)}`);
    i++;
    const bytes: number[] = [];
    for (;;) {
      if (i >= line.length) throw new Error(`unterminated argument in MONITOR line: ${line.slice(0, 200)}`);
      const ch = line[i]!;
      if (ch === '"') {
        i++;
        break;
      }
      if (ch === "\\") {
        const next = line[i + 1]!;
        if (next === "x") {
          bytes.push(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
        } else {
          const byte = ESCAPES[next];
          if (byte === undefined) throw new Error(`unknown escape \\${next} in MONITOR line`);
          bytes.push(byte);
          i += 2;
        }
      } else {
        bytes.push(ch.charCodeAt(0));
        i++;
      }
    }
    argv.push(argToString(Buffer.from(bytes)));
    if (line[i] === " ") i++;
  }
  return { time: head[1]!, db: Number(head[2]), source: head[3]!, argv, raw: line };
}
