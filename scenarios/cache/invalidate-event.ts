import type { Redis } from "ioredis";
import {
  deleteCachedUser,
  getCachedUser,
  LocalCache,
  percentile,
  publishInvalidation,
  setCachedUser,
  subscribeInvalidations,
  userName,
  type OriginDb,
  type UserRow,
} from "../../src/patterns/cache/index.js";
import { defineScenario, type ScenarioContext, type TableData } from "../../src/runner/types.js";
import { ms, openOrigin, originState, originTitle, p50, releaseOrigin, sleep, type OriginState } from "./origin.js";
import { CHAPTER_PUBSUB, defaultEventParams, type EventInvalidationParams } from "./params.js";
import { publishEvidence, staleEvidence } from "./evidence.js";

/** One app server: its connections, its in-process cache, and the invalidations it has received. */
interface Instance {
  name: string;
  redis: Redis;
  sub: Redis;
  /** How many times the subscriber connection was opened (labels: instance-3:sub, instance-3:sub#2, …). */
  subscriptions: number;
  db: OriginDb;
  local: LocalCache;
  received: { id: number; at: number; dropped: boolean }[];
}

type Source = "local" | "redis" | "db";

interface EventState extends OriginState {
  channel: string;
  instances: Instance[];
  /** The database's version of each user (what a fresh read must return). */
  versions: Map<number, number>;
  published: { id: number; at: number; receivers: number; connected: number }[];
  reads: { instance: string; id: number; source: Source; version: number; stale: boolean; phase: string }[];
  propagation: number[];
  missed: number;
  flushedOnReconnect: number;
}

const WAIT_FOR_DELIVERY_MS = 2_000;

function entryKey(ctx: ScenarioContext<EventInvalidationParams>, id: number): string {
  return ctx.keys.key("cache", "event", "user", id);
}

/** An instance's read: its own cache, then Redis, then the database (filling both caches on the way back). */
async function readAt(
  ctx: ScenarioContext<EventInvalidationParams>,
  state: EventState,
  inst: Instance,
  id: number,
  phase: string,
): Promise<Source> {
  let row: UserRow | null | undefined = inst.local.get(id);
  let source: Source = "local";
  if (!row) {
    source = "redis";
    row = await getCachedUser(inst.redis, entryKey(ctx, id));
    if (!row) {
      source = "db";
      row = await inst.db.readUser(id);
      if (!row) throw new Error(`user ${id} is missing from the database`);
      await setCachedUser(inst.redis, entryKey(ctx, id), row, ctx.params.ttlMs);
    }
    inst.local.set(row);
  }
  const truth = state.versions.get(id) ?? 1;
  state.reads.push({ instance: inst.name, id, source, version: row.version, stale: row.version < truth, phase });
  return source;
}

async function subscribe(
  ctx: ScenarioContext<EventInvalidationParams>,
  state: EventState,
  inst: Instance,
): Promise<void> {
  inst.subscriptions += 1;
  inst.sub = await ctx.connect(`${inst.name}:sub${inst.subscriptions > 1 ? `#${inst.subscriptions}` : ""}`);
  await subscribeInvalidations(inst.sub, state.channel, (id) => {
    inst.received.push({ id, at: performance.now(), dropped: inst.local.drop(id) });
  });
}

/** The connection drops (here: QUIT, and wait until it is closed). The instance and its local cache live on. */
async function disconnect(inst: Instance): Promise<void> {
  const closed = new Promise<void>((resolve) =>
    inst.sub.status === "end" ? resolve() : inst.sub.once("end", () => resolve()),
  );
  await inst.sub.quit();
  await closed;
}

/** A database write, the Redis entry deleted, the change announced; waits until every connected instance has it. */
async function writeAndPublish(
  ctx: ScenarioContext<EventInvalidationParams>,
  state: EventState,
  id: number,
): Promise<{ receivers: number; delays: number[] }> {
  const version = (state.versions.get(id) ?? 1) + 1;
  await state.db!.updateUser({ id, name: userName(id, version), version });
  state.versions.set(id, version);
  await deleteCachedUser(ctx.redis, entryKey(ctx, id));
  const connected = state.instances.filter((i) => i.sub.status === "ready");
  const before = new Map(connected.map((i) => [i, i.received.length]));
  const at = performance.now();
  const receivers = await publishInvalidation(ctx.redis, state.channel, id);
  state.published.push({ id, at, receivers, connected: connected.length });
  const deadline = performance.now() + WAIT_FOR_DELIVERY_MS;
  while (connected.some((i) => i.received.length === before.get(i)) && performance.now() < deadline)
    await sleep(1, ctx.signal);
  const delays = connected.flatMap((i) =>
    i.received
      .slice(before.get(i))
      .filter((r) => r.id === id)
      .map((r) => r.at - at),
  );
  state.propagation.push(...delays);
  if (ctx.target.mode === "cluster") {
    // On a Redis Cluster the message travels to every node over the cluster bus, but PUBLISH counts only the
    // subscribers connected to the node that ran it. The receivers are then the instances whose handler got it.
    const delivered = connected.filter((i) => i.received.slice(before.get(i)).some((r) => r.id === id)).length;
    ctx.note(
      `PUBLISH answered ${receivers}: on a cluster it counts the subscribers on its own node ` +
        `only; ${delivered} instance(s) received the message`,
    );
    state.published[state.published.length - 1]!.receivers = delivered;
    return { receivers: delivered, delays };
  }
  return { receivers, delays };
}

function readsTable(state: EventState, phase: string): TableData {
  const reads = state.reads.filter((r) => r.phase === phase);
  return {
    columns: ["instance", "user", "served from", "version", "database has", "stale"],
    rows: reads.map((r) => [
      r.instance,
      `user:${r.id}`,
      r.source,
      r.version,
      state.versions.get(r.id) ?? 1,
      r.stale ? "✗ stale" : "✓",
    ]),
  };
}

export default defineScenario<EventInvalidationParams, EventState>({
  id: "cache/invalidate-event",
  title: (p) =>
    `Event-driven invalidation: ${p.instances} app instances drop their copy on PUBLISH · ${originTitle(p)}`,
  explain:
    "Each app instance keeps hot users in an in-process cache in front of Redis. A database write publishes " +
    "`user:<id>` on a channel; every instance SUBSCRIBEd to it drops its copy at once (DB write → PUBLISH " +
    "invalidate → all app servers DEL their local copy). Pub/sub is at-most-once: an instance whose connection " +
    "is down at that moment never gets the message and keeps serving its old copy, unless it flushes its local " +
    "cache whenever it reconnects.",
  chapter: CHAPTER_PUBSUB,
  defaults: defaultEventParams,
  init: () => ({
    ...originState(),
    channel: "",
    instances: [],
    versions: new Map(),
    published: [],
    reads: [],
    propagation: [],
    missed: 0,
    flushedOnReconnect: 0,
  }),
  needs: ["GET", "SET … PX", "DEL", "PUBLISH", "SUBSCRIBE"],
  steps: (p) => {
    const away = `instance-${p.instances}`;
    return [
      {
        title: `The origin database: ${p.keys} users`,
        run: async (ctx, state) => {
          await openOrigin(ctx, state, p.keys);
        },
      },
      {
        title:
          `${p.instances} app instances start: one connection for reads, one SUBSCRIBEd to the invalidation ` +
          `channel`,
        say: "A subscribed connection can only (un)subscribe and PING, so each instance reads through a second one.",
        run: async (ctx, state) => {
          state.channel = `${ctx.keys.prefix}:cache:invalidate`;
          for (let k = 1; k <= p.instances; k++) {
            const name = `instance-${k}`;
            const inst: Instance = {
              name,
              redis: await ctx.connect(name),
              sub: undefined as unknown as Redis,
              subscriptions: 0,
              db: await state.db!.connect(name),
              local: new LocalCache(),
              received: [],
            };
            state.instances.push(inst);
            await subscribe(ctx, state, inst);
          }
          ctx.note(`channel ${state.channel} (a channel name, not a key: nothing is stored under it)`);
        },
      },
      {
        title: `Every instance reads users 1…${p.keys}: local miss → Redis → (miss) database`,
        say:
          "The first instance loads each user from the database into Redis; the others find it in Redis. Each " +
          "keeps its own copy.",
        run: async (ctx, state) => {
          for (const inst of state.instances)
            for (let id = 1; id <= p.keys; id++) await readAt(ctx, state, inst, id, "warm");
          ctx.table(readsTable(state, "warm"));
        },
      },
      {
        title:
          `Writes to user:1…user:${Math.min(2, p.keys)}: UPDATE the database, DEL the Redis entry, PUBLISH the ` +
          `change`,
        say:
          "PUBLISH answers with the number of subscribers that received the message. Propagation is measured " +
          "from just before PUBLISH to each instance's handler (all instances run in this process, on one clock).",
        run: async (ctx, state) => {
          const rows: TableData["rows"] = [];
          for (let id = 1; id <= Math.min(2, p.keys); id++) {
            const { receivers, delays } = await writeAndPublish(ctx, state, id);
            rows.push([`user:${id}`, receivers, delays.length, p50(delays), ms(percentile(delays, 100))]);
          }
          ctx.table({
            columns: [
              "write",
              "PUBLISH reply (receivers)",
              "instances that dropped it",
              "delay p50 ms",
              "delay max ms",
            ],
            rows,
          });
          const delivered = state.published.reduce((n, pub) => n + pub.receivers, 0);
          ctx.check(
            "event invalidation reaches every connected instance (PUBLISH reply = instances, each dropped its copy)",
            state.published.every((pub) => pub.receivers === p.instances) &&
              state.propagation.length === delivered &&
              delivered === p.instances * state.published.length,
            {
              expected: p.instances * state.published.length,
              actual: `${delivered} receivers, ${state.propagation.length} drops`,
              evidence: publishEvidence(ctx.commands, state.published),
            },
          );
        },
      },
      {
        title: "Every instance reads the written users again",
        say:
          "Their local copies are gone: each read falls through to Redis (the first one to the database) and " +
          "gets the new row.",
        run: async (ctx, state) => {
          for (const inst of state.instances)
            for (let id = 1; id <= Math.min(2, p.keys); id++) await readAt(ctx, state, inst, id, "after");
          ctx.table(readsTable(state, "after"));
          const stale = state.reads.filter((r) => r.phase === "after" && r.stale).length;
          ctx.check("after the invalidation no instance serves an old row", stale === 0, {
            expected: 0,
            actual: stale,
            evidence: staleEvidence(ctx.commands, state.reads, "after", (id) => entryKey(ctx, id)),
          });
        },
      },
      {
        title: `At-most-once: ${away} loses its connection while user:1 changes, then reconnects`,
        say:
          `PUBLISH reaches only the connections subscribed at that moment. Redis keeps nothing for ${away}: when ` +
          `it resubscribes, the message is gone, and its local copy of user:1 is now older than the database.`,
        run: async (ctx, state) => {
          const inst = state.instances[state.instances.length - 1]!;
          await disconnect(inst);
          const { receivers } = await writeAndPublish(ctx, state, 1);
          await subscribe(ctx, state, inst);
          state.missed += p.instances - receivers;
          if ((await readAt(ctx, state, inst, 1, "away")) === "local") {
            ctx.note(
              `${away} answered user:1 from its in-process copy, so no command went out for it: ` +
                `v${inst.local.get(1)?.version}, while the database has v${state.versions.get(1)}`,
            );
          }
          for (const other of state.instances.slice(0, -1)) await readAt(ctx, state, other, 1, "away");
          ctx.table(readsTable(state, "away"));
          const stale = state.reads.filter((r) => r.phase === "away" && r.stale);
          ctx.check(
            `the message was delivered to ${p.instances - 1} of ${p.instances}: the disconnected instance missed it`,
            receivers === p.instances - 1,
            {
              expected: p.instances - 1,
              actual: receivers,
              evidence: publishEvidence(ctx.commands, state.published),
            },
          );
          ctx.check(
            `without recovery, ${away} serves its old copy of user:1 (stale), the others do not`,
            stale.length === 1 && stale[0]!.instance === away,
            {
              expected: `1 stale read, by ${away}`,
              actual: stale.map((r) => r.instance),
              evidence: staleEvidence(ctx.commands, state.reads, "away", (id) => entryKey(ctx, id)),
            },
          );
        },
      },
      {
        title: `The same with recovery: ${away} flushes its local cache on every reconnect`,
        say:
          "It cannot know what it missed, so it forgets everything it cached; reads go back to Redis and the " +
          "database. user:2 changes while it is away this time.",
        run: async (ctx, state) => {
          const inst = state.instances[state.instances.length - 1]!;
          await disconnect(inst);
          const { receivers } = await writeAndPublish(ctx, state, Math.min(2, p.keys));
          state.missed += p.instances - receivers;
          await subscribe(ctx, state, inst);
          state.flushedOnReconnect = inst.local.clear();
          ctx.note(
            `${away} dropped ${state.flushedOnReconnect} local ` +
              `entr${state.flushedOnReconnect === 1 ? "y" : "ies"} on reconnecting`,
          );
          for (let id = 1; id <= Math.min(2, p.keys); id++) await readAt(ctx, state, inst, id, "recovered");
          ctx.table(readsTable(state, "recovered"));
          const stale = state.reads.filter((r) => r.phase === "recovered" && r.stale).length;
          ctx.check(
            `with flush-on-reconnect, ${away} serves the new rows (no stale read)`,
            stale === 0 && receivers === p.instances - 1,
            {
              expected: 0,
              actual: stale,
              evidence: staleEvidence(ctx.commands, state.reads, "recovered", (id) => entryKey(ctx, id)),
            },
          );
        },
      },
      {
        title: "Verdict",
        run: async (ctx, state) => {
          const reads = state.reads;
          const hits = reads.filter((r) => r.source !== "db").length;
          ctx.metric("instances", p.instances);
          ctx.metric("hits", hits);
          ctx.metric("localHits", reads.filter((r) => r.source === "local").length);
          ctx.metric("redisHits", reads.filter((r) => r.source === "redis").length);
          ctx.metric("misses", reads.length - hits);
          ctx.metric("dbReads", state.db!.counts.reads);
          ctx.metric("dbWrites", state.db!.counts.writes);
          ctx.metric("staleReads", reads.filter((r) => r.stale).length);
          ctx.metric("invalidationsPublished", state.published.length);
          ctx.metric(
            "invalidationsDelivered",
            state.published.reduce((n, pub) => n + pub.receivers, 0),
          );
          ctx.metric("missedInvalidations", state.missed);
          ctx.metric("staleReadsWithoutRecovery", reads.filter((r) => r.phase === "away" && r.stale).length);
          ctx.metric("staleReadsWithRecovery", reads.filter((r) => r.phase === "recovered" && r.stale).length);
          ctx.metric("propagationP50Ms", p50(state.propagation));
          ctx.metric("propagationMaxMs", ms(percentile(state.propagation, 100)));
          ctx.figure({
            what: "invalidation delay, PUBLISH to every local cache",
            chapter: "DB write → PUBLISH invalidate → all app servers DEL local cache",
            measured:
              `p50 ${p50(state.propagation) ?? "–"} ms, max ${ms(percentile(state.propagation, 100)) ?? "–"} ms ` +
              `over ${state.propagation.length} deliveries; ${state.missed} missed while disconnected`,
          });
        },
      },
    ];
  },
  teardown: (ctx, state) => releaseOrigin(ctx, state),
});
