import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { startThrowawayServer, type ThrowawayServer } from "../../src/redis/throwaway-server.js";

/**
 * A local Redis Cluster (useLocalCluster in ./redis.ts gives a test file one): real redis-server processes on free
 * ports, cluster mode on, no persistence.
 */
export interface LocalCluster {
  readonly nodes: readonly ThrowawayServer[];
  /** One node's URL, to seed a client. */
  readonly seedUrl: string;
  stop(): Promise<void>;
}

/**
 * Start `masters` × (1 + `replicas`) redis-server processes in cluster mode, join them with
 * `redis-cli --cluster create`, and wait until every node reports cluster_state:ok and knows every other node.
 */
export async function startLocalCluster(masters = 3, replicas = 1): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), "redis-patterns-cluster-"));
  const nodes: ThrowawayServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const count = masters * (1 + replicas);
    for (let i = 0; i < count; i++) {
      nodes.push(
        await startThrowawayServer({
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            join(dir, `nodes-${i}.conf`),
            "--cluster-node-timeout",
            "5000",
            "--enable-debug-command",
            "yes",
          ],
        }),
      );
    }
    await redisCli([
      "--cluster",
      "create",
      ...nodes.map((n) => `${n.host}:${n.port}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ]);
    await waitForClusterOk(nodes, count);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, seedUrl: nodes[0]!.url, stop };
}

function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args.join(" ")} exited ${code}:\n${out}`)),
    );
  });
}

async function waitForClusterOk(nodes: readonly ThrowawayServer[], count: number, timeoutMs = 30_000): Promise<void> {
  const clients = nodes.map(
    (n) => new Redis({ host: n.host, port: n.port, maxRetriesPerRequest: 1, retryStrategy: () => null }),
  );
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        clients.map(async (c) => {
          const info = String(await c.call("CLUSTER", "INFO"));
          const known = Number(/cluster_known_nodes:(\d+)/.exec(info)?.[1] ?? 0);
          const replicaReady =
            /role:master/.test(String(await c.call("INFO", "replication"))) ||
            /master_link_status:up/.test(String(await c.call("INFO", "replication")));
          return /cluster_state:ok/.test(info) && known === count && replicaReady;
        }),
      );
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`cluster not ok after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
}
