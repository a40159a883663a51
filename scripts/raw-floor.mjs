// The floor under a Node client's CPU per operation (issue 16, docs/bench.md): an operation's commands (its
// redis-benchmark form, `op.raw`) sent on `clients` plain `net` sockets, one command in flight per socket (-P 1),
// with nothing a real client does between a reply and the next command: no RESP parsing into values, no promise, no
// pattern function, no check, no histogram. Each socket reads into one reused buffer (`onread`), counts complete
// replies with a scanner that only finds where one ends, and writes the next command (a prebuilt string). What is
// left is Node's socket write and read paths, the event loop and the kernel's loopback round trip: no client written
// in JavaScript on Node spends less per operation. Used by `FLOOR=1 node scripts/bench-client-cpu.mjs`.
import net from "node:net";

/** The RESP form of one command. */
function encode(argv) {
  let out = `*${argv.length}\r\n`;
  for (const a of argv) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

/** The offset just past the reply starting at `at` in `buf[0, end)`, or -1 when it is not complete yet. */
function replyEnd(buf, at, end) {
  const lineEnd = buf.indexOf(13, at);
  if (lineEnd < 0 || lineEnd + 1 >= end) return -1;
  const type = buf[at];
  const next = lineEnd + 2;
  if (type === 43 || type === 45 || type === 58) return next; // + - :
  const n = Number(buf.toString("latin1", at + 1, lineEnd));
  if (type === 36) return n < 0 ? next : next + n + 2 <= end ? next + n + 2 : -1; // $
  let pos = next; // * (and RESP3 aggregates, which the floor never asks for)
  for (let i = 0; i < n; i++) {
    pos = replyEnd(buf, pos, end);
    if (pos < 0) return -1;
  }
  return pos;
}

/**
 * Run `ops` operations of `op` on `clients` sockets; resolves with the process's CPU (µs, user + system) over the
 * run, per operation. `keysOf(n)` gives entity n's keys (the op's `entities` decide which one a socket uses).
 */
export async function rawFloor({ port, op, keysOf, clients, ops }) {
  const sockets = [];
  let started = 0;
  let finished = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  for (let c = 0; c < clients; c++) {
    const keys = keysOf(op.entities === "shared" ? 0 : c);
    const commands = op.raw(keys).map((cmd) => {
      const value = String(c % (cmd.randomRange ?? clients));
      return encode(cmd.argv.map((a) => a.replaceAll("__rand_int__", value)));
    });
    const buf = Buffer.alloc(64 * 1024);
    let filled = 0;
    let step = 0;
    const socket = await new Promise((resolve, reject) => {
      const s = net.connect({
        host: "127.0.0.1",
        port,
        onread: {
          buffer: () => (filled === 0 ? buf : buf.subarray(filled)),
          callback: (n) => {
            filled += n;
            let at = 0;
            for (;;) {
              const end = replyEnd(buf, at, filled);
              if (end < 0) break;
              at = end;
              step++;
              if (step < commands.length) {
                s.write(commands[step]);
              } else {
                step = 0;
                finished++;
                if (started < ops) {
                  started++;
                  s.write(commands[0]);
                } else if (finished === ops) resolveDone();
              }
            }
            if (at > 0) {
              buf.copy(buf, 0, at, filled);
              filled -= at;
            }
          },
        },
      });
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
    socket.setNoDelay(true);
    sockets.push({ socket, commands });
  }
  const cpu0 = process.cpuUsage();
  for (const { socket, commands } of sockets) {
    if (started >= ops) break;
    started++;
    socket.write(commands[0]);
  }
  await done;
  const cpu = process.cpuUsage(cpu0);
  for (const { socket } of sockets) socket.destroy();
  return (cpu.user + cpu.system) / ops;
}
