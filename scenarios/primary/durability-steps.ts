/**
 * The durability run, step by step: start a throwaway server with the setting's persistence, set up the four use
 * cases, stream paced writes until a SIGKILL, restart the server from its files and read back what came back.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { percentile, roundOrNull } from "../../src/stats.js";
import {
  addToCart,
  applyMove,
  cartUnits,
  FlagCache,
  flagsRevision,
  matchConsistent,
  persistenceArgs,
  primaryKeys,
  readMatch,
  sessionRequests,
  setFlag,
  streamWrites,
  newStreamStats,
  touchSession,
  USE_CASE_TITLES,
  USE_CASES,
  type PersistenceSetting,
  type UseCase,
} from "../../src/patterns/primary/index.js";
import { seededRandom } from "../../src/patterns/shared/random.js";
import { parseInfo } from "../../src/redis/server-info.js";
import { startThrowawayServer } from "../../src/redis/throwaway-server.js";
import { sleep } from "../../src/runner/clock.js";
import type { ScenarioContext, TableData } from "../../src/runner/types.js";
import { resolveServerBinary } from "./server.js";
import {
  connect,
  FLAGS,
  listFiles,
  MATCHES,
  reconnect,
  SESSION_TTL_MS,
  SKUS,
  totalAcked,
  USERS,
  WEIGHTS,
  type Ctx,
  type DurabilityState,
} from "./durability-state.js";
import { killMoment } from "./params.js";

/** A throwaway redis-server with the setting's persistence, started for this run (so it can really be killed). */
export async function startServer(ctx: Ctx, state: DurabilityState, setting: PersistenceSetting): Promise<void> {
  const p = ctx.params;
  const at = `@${setting}`;
  state.binary = await resolveServerBinary(ctx as ScenarioContext<unknown>, p.serverBinary);
  state.server = await startThrowawayServer({
    binary: state.binary.path,
    persistence: persistenceArgs(setting, p.rdbSave),
  });
  state.keys = primaryKeys(`${ctx.keys.prefix}:primary`);
  const op = await connect(ctx, state, state.server.url, `operator${at}`);
  const config = (await op.call("CONFIG", "GET", "save")) as string[];
  const aof = (await op.call("CONFIG", "GET", "appendonly")) as string[];
  const fsync = (await op.call("CONFIG", "GET", "appendfsync")) as string[];
  ctx.note(
    `redis-server ${state.binary.version} (${state.binary.why}) on 127.0.0.1:${state.server.port}, ` +
      `data directory ${state.server.dir}; ` +
      `save "${config[1]}", appendonly ${aof[1]}${aof[1] === "yes" ? `, appendfsync ${fsync[1]}` : ""}. ` +
      "It is stopped and its files removed when the run ends.",
  );
}

/** The four use cases' keys on the throwaway server, the flags' local copy loaded and subscribed. */
export async function seedUseCases(ctx: Ctx, state: DurabilityState, setting: PersistenceSetting): Promise<void> {
  const p = ctx.params;
  const at = `@${setting}`;
  const s = state.server!;
  const k = state.keys!;
  const setup = await connect(ctx, state, s.url, `app${at}`);
  const rng = seededRandom(p.seed);
  for (let i = 0; i < 3; i++)
    state.sessions.push(
      `s${Math.floor(rng() * 0xffffff)
        .toString(16)
        .padStart(6, "0")}`,
    );
  for (const [i, sid] of state.sessions.entries())
    await setup.call("HSET", k.session(sid), "user", USERS[i]!, "requests", 0);
  for (const sid of state.sessions) await setup.call("PEXPIRE", k.session(sid), SESSION_TTL_MS);
  await setup.call("HSET", k.flags(), "rev", 0, ...FLAGS.flatMap((f) => [f, "off"]));
  for (const m of MATCHES) await setup.call("HSET", k.match(m), "moves", 0, "score:p1", 0, "score:p2", 0);
  const flags = new FlagCache(await connect(ctx, state, s.url, `flags-reader${at}`), k);
  await flags.load();
  await flags.subscribe(await connect(ctx, state, s.url, `flags-sub${at}`));
  state.flags = flags;
  ctx.table({
    columns: ["use case", "stored under", "written by"],
    rows: [
      [USE_CASE_TITLES.cart, USERS.map((u) => k.cart(u)).join(", "), "HINCRBY cart sku 1"],
      [USE_CASE_TITLES.flags, k.flags(), `HSET flag on|off rev n; PUBLISH ${k.flagsChannel()}`],
      [USE_CASE_TITLES.game, MATCHES.map((m) => k.match(m)).join(", "), "EVALSHA (one move, atomically)"],
      [
        USE_CASE_TITLES.sessions,
        state.sessions.map((sid) => k.session(sid)).join(", "),
        "MULTI HSET HINCRBY PEXPIRE EXEC",
      ],
    ],
  });
  ctx.note(
    `keys on the throwaway server only, under the run's prefix (${k.flags().replace(/:flags$/, "")}); ` +
      "nothing is written to the server at --url",
  );
}

/** Paced writes from every use case, each on its own connection, until the SIGKILL; INFO persistence sampled. */
export async function writeUntilKill(ctx: Ctx, state: DurabilityState, setting: PersistenceSetting): Promise<void> {
  const p = ctx.params;
  const at = `@${setting}`;
  const s = state.server!;
  const k = state.keys!;
  const killAfter = killMoment(p);
  state.killAfterMs = killAfter;
  const rng = seededRandom(p.seed + 1);
  const conns = {} as Record<UseCase, Redis>;
  for (const u of USE_CASES) conns[u] = await connect(ctx, state, s.url, `${u}${at}`);
  const op = await connect(ctx, state, s.url, `operator${at}`);
  for (const m of MATCHES) state.played.set(m, []);
  let stop = false;
  const flags = state.flags!;
  const writers: Record<UseCase, (i: number) => Promise<unknown>> = {
    cart: async () => {
      // The request reads a flag from the app's local copy (no round trip), as every request does.
      flags.isOn("checkout-v2");
      return addToCart(
        conns.cart,
        k.cart(USERS[Math.floor(rng() * USERS.length)]!),
        SKUS[Math.floor(rng() * SKUS.length)]!,
      );
    },
    flags: (i) => setFlag(conns.flags, k, FLAGS[Math.floor(rng() * FLAGS.length)]!, rng() < 0.5, i + 1),
    game: (i) => {
      const m = MATCHES[i % MATCHES.length]!;
      const played = state.played.get(m)!;
      const player = played.length % 2 === 0 ? "p1" : "p2";
      const move = { player, points: 1 + Math.floor(rng() * 3), next: player === "p1" ? "p2" : "p1" };
      played.push(move);
      return applyMove(conns.game, k.match(m), move.player, move.points, move.next);
    },
    sessions: (i) =>
      touchSession(
        conns.sessions,
        k.session(state.sessions[Math.floor(rng() * state.sessions.length)]!),
        ctx.clock.now() + i,
        SESSION_TTL_MS,
      ),
  };
  const running = USE_CASES.map((u) => {
    state.stats[u] = newStreamStats();
    return streamWrites(writers[u], { intervalMs: 1000 / (p.rate * WEIGHTS[u]), stop: () => stop }, state.stats[u]);
  });
  const sampling = (async () => {
    if (setting !== "rdb" && setting !== "aof-everysec") return;
    while (!stop) {
      const ackedBefore = USE_CASES.reduce((n, u) => n + (state.stats[u]?.acked ?? 0), 0);
      const info = parseInfo(String(await op.call("INFO", "persistence").catch(() => "")));
      if (stop || info.loading === undefined) break;
      state.samples.push({
        ackedBefore,
        saves: Number(info.rdb_saves ?? 0),
        inProgress: info.rdb_bgsave_in_progress === "1",
        delayedFsync: Number(info.aof_delayed_fsync ?? 0),
      });
      await sleep(100, ctx.signal);
    }
  })();
  // Ctrl-C ends the step at the sleep below, before these are awaited: their InterruptedError must not go unhandled
  // (an unhandled rejection made the run exit 1 instead of 130). Awaited below as usual when the step runs through.
  for (const background of [...running, sampling]) background.catch(() => undefined);
  await sleep(killAfter, ctx.signal);
  state.localRevAtKill = flags.rev;
  state.killAt = performance.now();
  state.killWall = Date.now();
  await s.kill();
  stop = true;
  await Promise.all([...running, sampling]);
  const rows: TableData["rows"] = USE_CASES.map((u) => {
    const st = state.stats[u]!;
    return [
      USE_CASE_TITLES[u],
      st.acked,
      st.unanswered,
      roundOrNull(percentile(st.latencies, 50)),
      roundOrNull(percentile(st.latencies, 99)),
    ];
  });
  ctx.table({
    columns: ["use case", "acknowledged", "unanswered at the kill", "write p50 ms", "write p99 ms"],
    rows,
  });
  const snapshots = state.samples[state.samples.length - 1]?.saves;
  ctx.note(
    `SIGKILL after ${killAfter} ms: ${totalAcked(state)} writes acknowledged; ` +
      `the app's local flags copy had reloaded ${flags.reloads} times (rev ${flags.rev}), ` +
      `served ${flags.reads} flag reads without a round trip` +
      (setting === "rdb"
        ? `; ${snapshots ?? 0} snapshot(s) completed before the kill (INFO persistence, every 100 ms)`
        : ""),
  );
}

/** The server restarted from its files; what each use case finds there, against what was acknowledged. */
export async function restartAndRead(ctx: Ctx, state: DurabilityState, setting: PersistenceSetting): Promise<void> {
  const at = `@${setting}`;
  const s = state.server!;
  const k = state.keys!;
  state.files = listFiles(s.dir);
  if (setting === "rdb") {
    const dump = join(s.dir, "dump.rdb");
    ctx.note(
      existsSync(dump)
        ? `dump.rdb was last written ${Math.max(0, Math.round(state.killWall! - statSync(dump).mtimeMs))} ms ` +
            "before the kill: what came after it is gone"
        : "no snapshot was written before the kill: the restart finds no file and starts empty",
    );
  }
  await s.restart();
  const r = await reconnect(ctx, state, s, `reader${at} (restarted)`);
  state.keysAfter = Number(await r.call("DBSIZE"));
  const recovered: Record<UseCase, number> = {
    cart: 0,
    flags: await flagsRevision(r, k),
    game: 0,
    sessions: 0,
  };
  for (const u of USERS) recovered.cart += await cartUnits(r, k.cart(u));
  let gameConsistent = true;
  for (const m of MATCHES) {
    const match = await readMatch(r, k.match(m));
    recovered.game += match.moves;
    gameConsistent &&= matchConsistent(match, state.played.get(m) ?? []);
  }
  for (const sid of state.sessions) recovered.sessions += await sessionRequests(r, k.session(sid));
  state.serverRevAfter = recovered.flags;
  for (const u of USE_CASES) {
    const st = state.stats[u]!;
    state.outcome[u] = {
      acked: st.acked,
      recovered: recovered[u],
      unanswered: st.unanswered,
      consistent: u === "game" ? gameConsistent : true,
    };
  }
  ctx.table({
    columns: ["use case", "acknowledged", "came back", "lost", "applied, never answered", "consistent"],
    rows: USE_CASES.map((u) => {
      const o = state.outcome[u]!;
      return [
        USE_CASE_TITLES[u],
        o.acked,
        o.recovered,
        Math.max(0, o.acked - o.recovered),
        Math.max(0, o.recovered - o.acked),
        u === "game" ? (o.consistent ? "✓ every match = its first n moves" : "✗ torn") : "–",
      ];
    }),
  });
  ctx.note(
    "files in the data directory at the kill: " +
      (state.files.length === 0 ? "none" : state.files.map((f) => `${f.name} (${f.bytes} B)`).join(", ")) +
      `; ${state.keysAfter} keys after the restart`,
  );
  if (state.localRevAtKill !== undefined && state.localRevAtKill !== state.serverRevAfter)
    ctx.note(
      `the app's local flags copy still says rev ${state.localRevAtKill}; ` +
        `the restarted server has rev ${state.serverRevAfter}: ` +
        "an app must reload its copies after the server restarts (its subscription died with the server)",
    );
}
