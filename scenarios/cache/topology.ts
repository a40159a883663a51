/**
 * `cache --topology sidecar|remote|both`: app instances, each with its cache beside it (sidecar) or all sharing one
 * remote cache, reading and writing one entry: what each instance reads after a write, and where stale reads come
 * from.
 */
import {
  deleteCachedUser,
  getCachedUser,
  publishInvalidation,
  subscribeInvalidations,
} from "../../src/patterns/cache/index.js";
import { startDelayProxy } from "../../src/redis/delay-proxy.js";
import { startThrowawayServer } from "../../src/redis/throwaway-server.js";
import { defineScenario, type ScenarioContext, type ScenarioDef, type TableData } from "../../src/runner/types.js";
import { noServerBinary, resolveServerBinary } from "../primary/server.js";
import { openOrigin, originState, originTitle, p50, p99, releaseOrigin, sleep } from "./origin.js";
import type { Ctx, Instance, TopologyState } from "./topology-state.js";
import { dbEvidence, staleEvidence } from "./evidence.js";
import {
  entryKey,
  everyInstanceReads,
  readAt,
  readsTable,
  staleIn,
  tcpAddress,
  writeThrough,
} from "./topology-reads.js";
import { CHAPTER_SIDECAR, defaultTopologyParams, type Topology, type TopologyParams } from "./params.js";

function steps(topology: Topology, p: TopologyParams) {
  const n = p.instances;
  const last = `instance-${n}`;
  const common = {
    origin: {
      title: `The origin database: ${p.keys} users`,
      run: async (ctx: Ctx, state: TopologyState) => {
        await openOrigin(ctx, state, p.keys);
      },
    },
    warm: {
      title: `Every instance reads users 1…${p.keys} (cache-aside: GET, else the database, then SET EX)`,
      say:
        topology === "sidecar"
          ? "Each sidecar starts empty: every instance loads every user from the database itself."
          : "The first instance loads each user from the database into the shared Redis; the others find it there.",
      run: async (ctx: Ctx, state: TopologyState) => {
        const before = state.db!.counts.reads;
        for (const inst of state.instances)
          for (let id = 1; id <= p.keys; id++) await readAt(ctx, state, topology, inst, id, "warm");
        state.dbReadsWarm = state.db!.counts.reads - before;
        ctx.note(`${state.dbReadsWarm} database reads to warm ${n} instances with ${p.keys} users`);
        const expected = topology === "sidecar" ? n * p.keys : p.keys;
        ctx.check(
          topology === "sidecar"
            ? "every sidecar started empty: each instance loaded each user from the database itself"
            : "one shared copy: the database was read once per user, whatever the number of instances",
          state.dbReadsWarm === expected,
          {
            expected,
            actual: state.dbReadsWarm,
            evidence: dbEvidence(ctx.commands, { "database reads": state.dbReadsWarm }),
          },
        );
      },
    },
    latency: {
      title:
        `Read latency: ${p.reads} reads of user:1 per instance, each a real round trip ` +
        `to ${topology === "sidecar" ? "its sidecar" : "the shared Redis"}`,
      run: async (ctx: Ctx, state: TopologyState) => {
        const rows: TableData["rows"] = [];
        for (const inst of state.instances) {
          const own: number[] = [];
          for (let i = 0; i < p.reads; i++) {
            const start = performance.now();
            await getCachedUser(inst.cache, entryKey(ctx, topology, 1));
            own.push(performance.now() - start);
          }
          state.latencies.push(...own);
          rows.push([inst.name, own.length, p50(own), p99(own)]);
        }
        ctx.table({ columns: ["instance", "reads", "p50 ms", "p99 ms"], rows });
      },
    },
    write: {
      title:
        "instance-1 writes user:1: UPDATE the database, DEL the entry from its cache; then every instance reads it",
      say:
        topology === "sidecar"
          ? "instance-1 can only delete the copy in its own sidecar: the other sidecars still hold the old row, " +
            "for up to the TTL."
          : "There is one copy, shared: deleting it is enough for every instance.",
      run: async (ctx: Ctx, state: TopologyState) => {
        await writeThrough(ctx, state, topology, state.instances[0]!, 1);
        await everyInstanceReads(ctx, state, topology, 1, "after-write");
        const stale = staleIn(state, "after-write");
        const expected = topology === "sidecar" ? n - 1 : 0;
        ctx.check(
          topology === "sidecar"
            ? `after a write through one instance the ${n - 1} other sidecars serve the old row`
            : "after a write through one instance no instance serves the old row (one shared copy)",
          stale.length === expected,
          {
            expected,
            actual: stale.length,
            evidence: staleEvidence(ctx.commands, state.reads, "after-write", (id) => entryKey(ctx, topology, id)),
          },
        );
      },
    },
  };
  const startSidecars = {
    title: `${n} app instances, each with its own Redis next to it (throwaway redis-servers: the sidecars)`,
    say:
      "A sidecar runs on the app server's own machine: a read never leaves it. Each instance caches in its sidecar " +
      "and nowhere else.",
    run: async (ctx: Ctx, state: TopologyState) => {
      const binary = await resolveServerBinary(ctx as ScenarioContext<unknown>, p.serverBinary);
      for (let k = 1; k <= n; k++) {
        const name = `instance-${k}`;
        const sidecar = await startThrowawayServer({ binary: binary.path });
        state.instances.push({
          name,
          sidecar,
          cache: await ctx.connectTo(sidecar.url, `${name}@sidecar-${k}`),
          db: await state.db!.connect(name),
          subscriptions: 0,
          dropped: 0,
          pending: Promise.resolve(),
        });
      }
      ctx.note(
        `redis-server ${binary.version} (${binary.why}), sidecars on ` +
          `ports ${state.instances.map((i) => i.sidecar!.port).join(", ")}; no persistence, stopped when the run ` +
          `ends`,
      );
    },
  };
  const startRemote = {
    title:
      `${n} app instances sharing one Redis (the server at ` +
      `--url)${p.remoteLatencyMs > 0 ? `, ${p.remoteLatencyMs} ms away` : ""}`,
    say:
      p.remoteLatencyMs > 0
        ? `A delay proxy on this machine stands for the network: it holds every request ${p.remoteLatencyMs} ms ` +
          `before passing it on, so each round trip costs at least ${p.remoteLatencyMs} ms more, as a hop to ` +
          `another host would.`
        : "Each instance has its own connection to the same server; where that server runs on this machine, the " +
          "round trip has no network in it (--remote-latency models one).",
    run: async (ctx: Ctx, state: TopologyState) => {
      let via: { host: string; port: number } | undefined;
      if (p.remoteLatencyMs > 0) {
        const address = ctx.target.mode === "cluster" ? null : tcpAddress(ctx.target.url);
        if (!address) {
          ctx.note(
            `no delay proxy: the server at ${ctx.target.url} ` +
              `is ${ctx.target.mode === "cluster" ? "a cluster" : "not a TCP address"}; reads go to it directly`,
          );
        } else {
          state.proxy = await startDelayProxy(address, p.remoteLatencyMs);
          via = { host: state.proxy.host, port: state.proxy.port };
          ctx.note(
            `delay proxy on 127.0.0.1:${state.proxy.port} → ${address.host}:${address.port}, ` +
              `+${p.remoteLatencyMs} ms per round trip`,
          );
        }
      }
      for (let k = 1; k <= n; k++) {
        const name = `instance-${k}`;
        state.instances.push({
          name,
          cache: await ctx.connect(name, via ? { via } : undefined),
          db: await state.db!.connect(name),
          subscriptions: 0,
          dropped: 0,
          pending: Promise.resolve(),
        });
      }
    },
  };

  /** Sidecar: subscribe an instance to the shared bus; a message DELs the entry from its own sidecar. */
  const subscribe = async (ctx: Ctx, state: TopologyState, inst: Instance) => {
    inst.subscriptions += 1;
    inst.sub = await ctx.connect(`${inst.name}:sub${inst.subscriptions > 1 ? `#${inst.subscriptions}` : ""}`);
    await subscribeInvalidations(inst.sub, state.channel, (id) => {
      if (inst.cache.status !== "ready") return; // this instance's sidecar is gone (the scenario is over)
      inst.pending = inst.pending.then(() =>
        deleteCachedUser(inst.cache, entryKey(ctx, "sidecar", id)).then(() => (inst.dropped += 1)),
      );
    });
  };

  /**
   * A write through instance-1, announced on the bus; waits until every connected subscriber has dropped it. Returns
   * how many instances acted on it (on a Redis Cluster PUBLISH answers only for the subscribers on its own node,
   * while the message reaches them all).
   */
  const writeAndPublish = async (ctx: Ctx, state: TopologyState, id: number): Promise<number> => {
    const connected = state.instances.filter((i) => i.sub?.status === "ready");
    const before = new Map(connected.map((i) => [i, i.dropped]));
    await writeThrough(ctx, state, "sidecar", state.instances[0]!, id);
    const receivers = await publishInvalidation(ctx.redis, state.channel, id);
    state.published.push({ receivers });
    const deadline = performance.now() + 2_000;
    while (connected.some((i) => i.dropped === before.get(i)) && performance.now() < deadline)
      await sleep(1, ctx.signal);
    await Promise.all(connected.map((i) => i.pending));
    return state.instances.filter((i) => i.dropped > (before.get(i) ?? i.dropped)).length;
  };

  const fix = [
    {
      title:
        `The fix: every instance SUBSCRIBEs to one invalidation channel on the shared Redis; instance-1 writes ` +
        `user:${Math.min(2, p.keys)} and PUBLISHes it`,
      say:
        "DB write → PUBLISH invalidate → every app server DELs the entry from its own sidecar. The channel lives on " +
        "a shared server (here the one at --url): the sidecars cannot tell each other.",
      run: async (ctx: Ctx, state: TopologyState) => {
        state.channel = `${ctx.keys.prefix}:cache:sidecar:invalidate`;
        for (const inst of state.instances) await subscribe(ctx, state, inst);
        const id = Math.min(2, p.keys);
        const receivers = await writeAndPublish(ctx, state, id);
        ctx.note(
          `PUBLISH answered ${state.published.at(-1)?.receivers}; ${receivers} instances' subscribers deleted ` +
            `user:${id} from their own sidecar (channel ${state.channel}, a channel, not a key)`,
        );
        await everyInstanceReads(ctx, state, "sidecar", id, "pubsub");
        const stale = staleIn(state, "pubsub").length;
        ctx.check(
          "with pub/sub invalidation fanned out to every sidecar, no instance serves the old row",
          stale === 0,
          {
            expected: 0,
            actual: stale,
            evidence: staleEvidence(ctx.commands, state.reads, "pubsub", (id) => entryKey(ctx, "sidecar", id)),
          },
        );
      },
    },
    {
      title: `At-most-once: ${last}'s subscriber is disconnected while user:1 changes again, then reconnects`,
      say:
        `PUBLISH reaches only the subscribers connected at that moment. Redis keeps nothing for ${last}: its ` +
        `sidecar keeps the old row until the TTL, unless it deletes what it cached whenever it reconnects.`,
      run: async (ctx: Ctx, state: TopologyState) => {
        const inst = state.instances[n - 1]!;
        const closed = new Promise<void>((resolve) => inst.sub!.once("end", () => resolve()));
        await inst.sub!.quit();
        await closed;
        const receivers = await writeAndPublish(ctx, state, 1);
        await subscribe(ctx, state, inst);
        await everyInstanceReads(ctx, state, "sidecar", 1, "gap");
        const stale = staleIn(state, "gap");
        ctx.check(
          `the message reached ${n - 1} of ${n} instances, and ${last} (away at that moment) serves the old row`,
          receivers === n - 1 && stale.length === 1 && stale[0]!.instance === last,
          {
            expected: `${n - 1} receivers, 1 stale read by ${last}`,
            actual: `${receivers} receivers, stale: ${stale.map((r) => r.instance).join(", ") || "none"}`,
            evidence: staleEvidence(ctx.commands, state.reads, "gap", (id) => entryKey(ctx, "sidecar", id)),
          },
        );
        // Recovery: delete what it cached (the users it read), then read again.
        for (let id = 1; id <= p.keys; id++) await deleteCachedUser(inst.cache, entryKey(ctx, "sidecar", id));
        state.flushedOnReconnect = p.keys;
        await readAt(ctx, state, "sidecar", inst, 1, "recovered");
        ctx.note(
          `${last} deleted its ${p.keys} cached users on reconnecting; its next read of user:1 went to the database`,
        );
        ctx.table(readsTable(state, "recovered"));
        const after = staleIn(state, "recovered").length;
        ctx.check(`after flushing on reconnect, ${last} serves the new row`, after === 0, {
          expected: 0,
          actual: after,
          evidence: staleEvidence(ctx.commands, state.reads, "recovered", (id) => entryKey(ctx, "sidecar", id)),
        });
      },
    },
  ];

  const verdict = {
    title: "Verdict",
    run: async (ctx: Ctx, state: TopologyState) => {
      const stale = staleIn(state, "after-write").length;
      ctx.metric("topology", topology);
      ctx.metric("instances", n);
      ctx.metric("readP50Ms", p50(state.latencies));
      ctx.metric("readP99Ms", p99(state.latencies));
      ctx.metric("reads", state.latencies.length);
      ctx.metric("remoteLatencyMs", topology === "remote" ? (state.proxy ? p.remoteLatencyMs : 0) : null);
      ctx.metric("staleReadsAfterWrite", stale);
      ctx.metric("staleReadsWithPubSub", topology === "sidecar" ? staleIn(state, "pubsub").length : null);
      ctx.metric("staleReadsWhileDisconnected", topology === "sidecar" ? staleIn(state, "gap").length : null);
      ctx.metric("dbReadsToWarm", state.dbReadsWarm);
      // The measures every cache scenario reports.
      const hits = state.reads.filter((r) => r.source === "redis").length;
      ctx.metric("hits", hits + state.latencies.length);
      ctx.metric("misses", state.reads.length - hits);
      ctx.metric("dbReads", state.db!.counts.reads);
      ctx.metric("dbWrites", state.db!.counts.writes);
      ctx.metric("staleReads", state.reads.filter((r) => r.stale).length);
      ctx.figure(
        topology === "sidecar"
          ? {
              what: "a cache next to each app server",
              chapter: "Local Redis: lowest latency, but inconsistent across instances",
              measured:
                `read p50 ${p50(state.latencies)} ms, p99 ${p99(state.latencies)} ms; after one write ${stale} ` +
                `of ${n} instances served the old row (0 with pub/sub, ${staleIn(state, "gap").length} while one ` +
                `was disconnected)`,
              agrees: stale > 0,
            }
          : {
              what: "one cache shared by every app server",
              chapter: "Remote Redis: shared cache, consistent, slight network cost",
              measured:
                `read p50 ${p50(state.latencies)} ms, p99 ${p99(state.latencies)} ms` +
                (state.proxy
                  ? ` with +${p.remoteLatencyMs} ms per round trip (delay proxy)`
                  : " (no network hop added)") +
                `; after one write ${stale} of ${n} instances served the old row`,
              agrees: stale === 0,
            },
      );
    },
  };

  return topology === "sidecar"
    ? [common.origin, startSidecars, common.warm, common.latency, common.write, ...fix, verdict]
    : [common.origin, startRemote, common.warm, common.latency, common.write, verdict];
}

function topologyScenario(topology: Topology): ScenarioDef<TopologyParams, TopologyState> {
  return defineScenario<TopologyParams, TopologyState>({
    id: `cache/${topology}`,
    title: (p) =>
      topology === "sidecar"
        ? `Sidecar cache: ${p.instances} app instances, each with its own Redis · ${originTitle(p)}`
        : `Remote cache: ${p.instances} app instances sharing one ` +
          `Redis${p.remoteLatencyMs > 0 ? ` ${p.remoteLatencyMs} ms away` : ""} · ${originTitle(p)}`,
    explain:
      topology === "sidecar"
        ? "A Redis next to each app server (a sidecar) answers without a network hop, but each holds its own " +
          "copies: a write through one instance leaves the others serving the old row until their TTL. Pub/sub " +
          "invalidation fans the write out to every sidecar, at most once."
        : "One Redis shared by every app server: one copy of each entry, so a write that deletes it is seen by " +
          "all, at the price of a network round trip per read.",
    chapter: CHAPTER_SIDECAR,
    defaults: defaultTopologyParams,
    ...(topology === "sidecar" ? { unavailable: noServerBinary } : {}),
    init: () => ({
      ...originState(),
      instances: [],
      versions: new Map(),
      latencies: [],
      reads: [],
      dbReadsWarm: 0,
      published: [],
      channel: "",
      flushedOnReconnect: 0,
    }),
    steps: (p) => steps(topology, p),
    async teardown(ctx, state) {
      const sidecars = state.instances.filter((i) => i.sidecar);
      // The subscribers first: in the tour the run's connection outlives the scenario, and a subscriber left open
      // would act on the next run's PUBLISH with a sidecar connection that is gone.
      await Promise.all(
        state.instances.map(async (i) =>
          i.sub && i.sub.status === "ready" ? i.sub.quit().catch(() => i.sub?.disconnect()) : null,
        ),
      );
      // QUIT on the sidecar connections while their servers still run (in the trace), then stop the servers.
      await Promise.all(
        sidecars.map(async (i) =>
          i.cache.status === "ready" ? i.cache.quit().catch(() => i.cache.disconnect()) : null,
        ),
      );
      await Promise.all(sidecars.map((i) => i.sidecar!.stop()));
      await state.proxy?.close();
      await releaseOrigin(ctx, state);
    },
  });
}

export const sidecarScenario = topologyScenario("sidecar");

export const remoteScenario = topologyScenario("remote");

export const topologyScenarios = { sidecar: sidecarScenario, remote: remoteScenario } as const;
