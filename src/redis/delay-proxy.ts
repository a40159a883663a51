import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 that holds every request chunk `rttMs` before passing it on: a network hop, on one machine.
 */
export interface DelayProxy {
  readonly host: string;
  readonly port: number;
  /** The round-trip time it adds, ms. */
  readonly rttMs: number;
  close(): Promise<void>;
}

/**
 * Forward connections to `target`, delaying each chunk from the client by `rttMs` (the whole round trip's extra time
 * on the way there: Node's timers have a 1 ms floor, so splitting 1 ms over both ways would add 2). Chunks stay in
 * order: each waits the same time, and timers of equal duration fire in the order they were set. Replies pass as
 * they come.
 */
export async function startDelayProxy(target: { host: string; port: number }, rttMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const pipe = (from: Socket, to: Socket, delay: number) => {
    from.on("data", (chunk: Buffer) => {
      if (delay <= 0) to.write(chunk);
      else setTimeout(() => to.destroyed || to.write(chunk), delay);
    });
    from.on("end", () => setTimeout(() => to.end(), delay));
    from.on("error", () => to.destroy());
    from.on("close", () => setTimeout(() => to.destroy(), delay));
  };
  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.host, port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    client.on("close", () => sockets.delete(client));
    upstream.on("close", () => sockets.delete(upstream));
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    pipe(client, upstream, rttMs);
    pipe(upstream, client, 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: "127.0.0.1",
    port,
    rttMs,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
