import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Redis } from "ioredis";
import { percentile } from "../../src/patterns/lock/stats.js";
import {
  addToCart,
  applyMove,
  cartUnits,
  describeSetting,
  EVERYSEC_BOUND_MS,
  FlagCache,
  flagsRevision,
  lossBound,
  matchConsistent,
  persistenceArgs,
  primaryKeys,
  PROMISES,
  readMatch,
  sessionRequests,
  setFlag,
  streamWrites,
  newStreamStats,
  touchSession,
  USE_CASE_TITLES,
  USE_CASES,
  type PersistenceSetting,
  type PrimaryKeys,
  type StreamStats,
  type UseCase,
} from "../../src/patterns/primary/index.js";
import { seededRandom } from "../../src/patterns/shared/random.js";
import { parseInfo } from "../../src/redis/server-info.js";
import { startThrowawayServer, type ThrowawayServer } from "../../src/redis/throwaway-server.js";
import { sleep } from "../../src/runner/clock.js";
import { defineScenario, type ScenarioContext, type ScenarioDef, type TableData } from "../../src/runner/types.js";
import { noServerBinary, resolveServerBinary } from "./server.js";

export const CHAPTER = "4.8 Common architecture patterns (4: Redis as primary database)";
/** The chapter's words, printed beside what was measured. */
export const CHAPTER_CLAIM = "Shopping cart (with AOF persistence)";

export interface PrimaryParams {
  /** When to SIGKILL the server, ms after the writes start; null: drawn from `killRangeMs` with `seed`. */
  killAfterMs: number | null;
  /**
   * Where a drawn kill moment falls, ms: short by default (smoke, the tour); the command draws from 2.3-3.3 s, past the
   * first snapshot of the default save rule, which Redis takes 1-2 s after it starts.
   */
  killRangeMs: [number, number];
  /** Seed of the write mix (which cart, which flag, which session) and of the kill moment. */
  seed: number;
  /** Writes per second, all use cases together (a paced app, so the trace stays readable). */
  rate: number;
  /** The RDB setting's save rule, "<seconds> <changes>". */
  rdbSave: string;
  /** The redis-server to start; null: the user's own binary when the server is local, else redis-server from PATH. */
  serverBinary: string | null;
}

export const primaryDefaults: PrimaryParams = {
  killAfterMs: null,
  killRangeMs: [300, 600],
  seed: 1,
  rate: 1_000,
  rdbSave: "1 100",
  serverBinary: null,
};

/** Share of the writes each use case sends (flags change rarely; carts and sessions often). */
const WEIGHTS: Record<UseCase, number> = { cart: 0.35, flags: 0.05, game: 0.25, sessions: 0.35 };
const USERS = ["alice", "bob", "carol"];
const SKUS = ["sku-1001", "sku-1002", "sku-1003", "sku-1004", "sku-1005"];
const FLAGS = ["checkout-v2", "dark-mode", "new-search", "free-shipping", "beta-recs"];
const MATCHES = ["m1", "m2"];
const SESSION_TTL_MS = 30 * 60_000;

export function killMoment(p: PrimaryParams): number {
  const [min, max] = p.killRangeMs;
  return p.killAfterMs ?? min + Math.floor(seededRandom(p.seed ^ 0x5eed)() * Math.max(0, max - min));
}

interface Move {
  player: string;
  points: number;
  next: string;
}

interface Sample {
  /** Writes acknowledged (all use cases) before this INFO was sent. */
  ackedBefore: number;
  saves: number;
  inProgress: boolean;
  delayedFsync: number;
}

interface UseCaseOutcome {
  acked: number;
  recovered: number;
  unanswered: number;
  consistent: boolean;
}

export interface DurabilityState {
  binary?: { path: string; version: string; why: string };
  server?: ThrowawayServer;
  keys?: PrimaryKeys;
  flags?: FlagCache;
  stats: Partial<Record<UseCase, StreamStats>>;
  played: Map<string, Move[]>;
  sessions: string[];
  samples: Sample[];
  killAt?: number;
  killWall?: number;
  killAfterMs?: number;
  outcome: Partial<Record<UseCase, UseCaseOutcome>>;
  files: { name: string; bytes: number }[];
  serverRevAfter?: number;
  localRevAtKill?: number;
  keysAfter?: number;
  /** Every connection to the throwaway server, for the teardown. */
  clients: Redis[];
}

type Ctx = ScenarioContext<PrimaryParams>;

function ms(n: number | null | undefined): number | null {
  return n === null || n === undefined ? null : Math.round(n * 1000) / 1000;
}

function allAckTimes(state: DurabilityState): number[] {
  return USE_CASES.flatMap((u) => state.stats[u]?.ackTimes ?? []);
}

function totalAcked(state: DurabilityState): number {
  return USE_CASES.reduce((n, u) => n + (state.stats[u]?.acked ?? 0), 0);
}

/** Writes surely in the last snapshot: acknowledged before an INFO that saw no snapshot running yet (RDB). */
function snapshotFloor(samples: readonly Sample[]): number {
  const last = samples[samples.length - 1];
  if (!last || last.saves === 0) return 0;
  const firstWithFinal = samples.findIndex((s) => s.saves === last.saves);
  let floor = 0;
  for (const s of samples.slice(0, firstWithFinal))
    if (s.saves === last.saves - 1 && !s.inProgress) floor = s.ackedBefore;
  return floor;
}

function listFiles(dir: string): { name: string; bytes: number }[] {
  const out: { name: string; bytes: number }[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push({ name: relative(dir, path), bytes: statSync(path).size });
    }
  };
  walk(dir);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A recorded connection to the throwaway server, labelled with the setting; remembered for the teardown. */
async function connect(
  ctx: Ctx,
  state: DurabilityState,
  url: string,
  label: string,
  options?: { timeoutMs?: number },
): Promise<Redis> {
  const redis = await ctx.connectTo(url, label, options);
  state.clients.push(redis);
  return redis;
}

/**
 * Connect to the restarted server. While it loads its files it answers LOADING (the connection's first PING gets
 * it too): try again every 20 ms, for up to 10 s; each attempt is in the trace.
 */
async function reconnect(ctx: Ctx, state: DurabilityState, server: ThrowawayServer, label: string): Promise<Redis> {
  for (let i = 0; ; i++) {
    try {
      const redis = await connect(ctx, state, server.url, label, { timeoutMs: 5_000 });
      const info = parseInfo(String(await redis.call("INFO", "persistence")));
      if (info.loading !== "1") return redis;
      await redis.quit().catch(() => redis.disconnect());
    } catch (err) {
      if (!(err instanceof Error && /LOADING/.test(err.message))) throw err;
    }
    if (i >= 500) throw new Error("the restarted server was still loading its files after 10 s");
    await sleep(20, ctx.signal);
  }
}

export function durabilityScenario(setting: PersistenceSetting): ScenarioDef<PrimaryParams, DurabilityState> {
  const at = `@${setting}`;
  return defineScenario<PrimaryParams, DurabilityState>({
    id: `primary/${setting}`,
    title: (p) =>
      `Redis as the primary database under ${describeSetting(setting, p.rdbSave)}: SIGKILL after ${killMoment(p)} ms, acknowledged writes lost`,
    explain:
      "A cart, feature flags, game state and sessions live only in Redis: no database behind it. A throwaway " +
      "redis-server (started for this run, so it can really be killed) takes a paced stream of writes; each write the " +
      "server answers is acknowledged to the app. Then the process gets SIGKILL, is started again from its files, and " +
      "every acknowledged write that did not come back is counted.",
    chapter: CHAPTER,
    defaults: primaryDefaults,
    unavailable: (p) => noServerBinary(p.serverBinary),
    init: () => ({
      stats: {},
      played: new Map(),
      sessions: [],
      samples: [],
      outcome: {},
      files: [],
      clients: [],
    }),
    steps: (p) => [
      {
        title: `A throwaway redis-server with ${describeSetting(setting, p.rdbSave)}, started for this run`,
        say: "A crash must be real, so the data lives on a server this run starts, kills and restarts; the server at --url is not touched.",
        run: async (ctx, state) => {
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
            `redis-server ${state.binary.version} (${state.binary.why}) on 127.0.0.1:${state.server.port}, data directory ${state.server.dir}; ` +
              `save "${config[1]}", appendonly ${aof[1]}${aof[1] === "yes" ? `, appendfsync ${fsync[1]}` : ""}. It is stopped and its files removed when the run ends.`,
          );
        },
      },
      {
        title: "The four use cases, as data that lives only in Redis",
        say: "Carts are hashes per user (HINCRBY), flags one hash read on every request from a local copy that PUBLISH refreshes, a match a hash changed only by a Lua script (atomic), a session a hash changed in MULTI/EXEC with a sliding PEXPIRE.",
        run: async (ctx, state) => {
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
            `keys on the throwaway server only, under the run's prefix (${k.flags().replace(/:flags$/, "")}); nothing is written to the server at --url`,
          );
        },
      },
      {
        title: `Writes stream in (${p.rate}/s, each acknowledged by the server); SIGKILL after ${killMoment(p)} ms`,
        say: "Each use case writes on its own connection, one write at a time: a write counts as acknowledged once its reply arrived. SIGKILL gives Redis no chance to save or flush anything.",
        run: async (ctx, state) => {
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
            return streamWrites(
              writers[u],
              { intervalMs: 1000 / (p.rate * WEIGHTS[u]), stop: () => stop },
              state.stats[u],
            );
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
              ms(percentile(st.latencies, 50)),
              ms(percentile(st.latencies, 99)),
            ];
          });
          ctx.table({
            columns: ["use case", "acknowledged", "unanswered at the kill", "write p50 ms", "write p99 ms"],
            rows,
          });
          const snapshots = state.samples[state.samples.length - 1]?.saves;
          ctx.note(
            `SIGKILL after ${killAfter} ms: ${totalAcked(state)} writes acknowledged; the app's local flags copy had reloaded ${flags.reloads} times (rev ${flags.rev}), served ${flags.reads} flag reads without a round trip` +
              (setting === "rdb"
                ? `; ${snapshots ?? 0} snapshot(s) completed before the kill (INFO persistence, every 100 ms)`
                : ""),
          );
        },
      },
      {
        title: "Restarted from its files: what came back",
        say: "The same binary, port and directory: Redis loads the RDB snapshot or replays the AOF, then the counts each use case keeps are read back.",
        run: async (ctx, state) => {
          const s = state.server!;
          const k = state.keys!;
          state.files = listFiles(s.dir);
          if (setting === "rdb") {
            const dump = join(s.dir, "dump.rdb");
            ctx.note(
              existsSync(dump)
                ? `dump.rdb was last written ${Math.max(0, Math.round(state.killWall! - statSync(dump).mtimeMs))} ms before the kill: what came after it is gone`
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
            `files in the data directory at the kill: ${state.files.length === 0 ? "none" : state.files.map((f) => `${f.name} (${f.bytes} B)`).join(", ")}; ${state.keysAfter} keys after the restart`,
          );
          if (state.localRevAtKill !== undefined && state.localRevAtKill !== state.serverRevAfter)
            ctx.note(
              `the app's local flags copy still says rev ${state.localRevAtKill}; the restarted server has rev ${state.serverRevAfter}: an app must reload its copies after the server restarts (its subscription died with the server)`,
            );
        },
      },
      {
        title: "Verdict: lost against what the setting promises",
        run: async (ctx, state) => {
          const acked = totalAcked(state);
          const outcomes = USE_CASES.map((u) => state.outcome[u]!);
          const recovered = outcomes.reduce((n, o) => n + Math.min(o.recovered, o.acked), 0);
          const lost = outcomes.reduce((n, o) => n + Math.max(0, o.acked - o.recovered), 0);
          const unanswered = outcomes.reduce((n, o) => n + o.unanswered, 0);
          const extra = outcomes.reduce((n, o) => n + Math.max(0, o.recovered - o.acked), 0);
          const ackTimes = allAckTimes(state);
          const killAt = state.killAt!;
          const floor = snapshotFloor(state.samples);
          const bound = lossBound(setting, ackTimes, killAt, floor);
          const latencies = USE_CASES.flatMap((u) => state.stats[u]?.latencies ?? []);
          const lastSecond = ackTimes.filter((t) => t > killAt - 1_000).length;
          const promise = PROMISES[setting];
          ctx.check(
            "every use case had writes acknowledged before the kill",
            outcomes.every((o) => o.acked > 0),
            { expected: "> 0 each", actual: USE_CASES.map((u) => `${u} ${state.outcome[u]!.acked}`).join(", ") },
          );
          ctx.check(
            `${describeSetting(setting, p.rdbSave)} lost no more than it promises (${promise.processCrash})`,
            lost <= bound,
            {
              expected:
                setting === "aof-everysec"
                  ? `≤ ${bound} (the writes acknowledged in the last ${EVERYSEC_BOUND_MS} ms)`
                  : setting === "rdb"
                    ? `≤ ${bound} (${floor} writes were acknowledged before the last snapshot began)`
                    : `≤ ${bound}`,
              actual: lost,
            },
          );
          if (setting === "none")
            ctx.check("without persistence the restarted server is empty", state.keysAfter === 0, {
              expected: 0,
              actual: state.keysAfter ?? null,
            });
          ctx.check(
            "nothing came back that was never sent (at most the one unanswered write per connection)",
            outcomes.every((o) => o.recovered <= o.acked + o.unanswered),
            { expected: `≤ acknowledged + unanswered`, actual: extra },
          );
          ctx.check(
            "every match came back whole: the state after its first n moves, never half a move",
            state.outcome.game?.consistent === true,
          );
          const cart = state.outcome.cart!;
          const cartLost = Math.max(0, cart.acked - cart.recovered);
          ctx.metric("setting", setting);
          ctx.metric("killAfterMs", state.killAfterMs ?? null);
          ctx.metric("acked", acked);
          ctx.metric("recovered", recovered);
          ctx.metric("lost", lost);
          ctx.metric("lostBound", bound);
          ctx.metric("unanswered", unanswered);
          ctx.metric("appliedUnanswered", extra);
          ctx.metric("cartLost", cartLost);
          ctx.metric("writeP50Ms", ms(percentile(latencies, 50)));
          ctx.metric("writeP99Ms", ms(percentile(latencies, 99)));
          ctx.metric("ackedLastSecond", lastSecond);
          ctx.metric("snapshots", setting === "rdb" ? (state.samples[state.samples.length - 1]?.saves ?? 0) : null);
          ctx.metric(
            "aofDelayedFsync",
            setting === "aof-everysec" ? (state.samples[state.samples.length - 1]?.delayedFsync ?? 0) : null,
          );
          ctx.metric("promiseProcessCrash", promise.processCrash);
          ctx.metric("promiseMachineCrash", promise.machineCrash);
          ctx.metric("keysAfterRestart", state.keysAfter ?? null);
          ctx.metric("serverVersion", state.binary?.version ?? null);
          const aof = setting.startsWith("aof");
          ctx.figure({
            what: `a shopping cart as the only copy, ${describeSetting(setting, p.rdbSave)}, SIGKILL`,
            chapter: CHAPTER_CLAIM,
            measured: `${cartLost} of ${cart.acked} acknowledged cart writes lost (all use cases: ${lost} of ${acked}); write p50 ${ms(percentile(latencies, 50))} ms, p99 ${ms(percentile(latencies, 99))} ms`,
            ...(aof ? { agrees: cartLost === 0 } : cartLost > 0 ? { agrees: true } : {}),
            note: aof
              ? `a power loss could also lose ${setting === "aof-always" ? "nothing: each write is fsynced before its reply" : `${promise.machineCrash} (here ${lastSecond} writes were acknowledged in the last second)`}; a SIGKILL cannot show it: the kernel keeps what Redis wrote`
              : "why the chapter says AOF: without it a crash takes acknowledged writes with it",
          });
        },
      },
    ],
    async teardown(_ctx, state) {
      // QUIT on the connections still open (their QUIT is in the trace), then the server goes, with its files.
      await Promise.all(
        state.clients.filter((c) => c.status === "ready").map((c) => c.quit().catch(() => c.disconnect())),
      );
      await state.server?.stop();
    },
  });
}

export const durabilityScenarios: Record<PersistenceSetting, ScenarioDef<PrimaryParams, DurabilityState>> = {
  none: durabilityScenario("none"),
  rdb: durabilityScenario("rdb"),
  "aof-everysec": durabilityScenario("aof-everysec"),
  "aof-always": durabilityScenario("aof-always"),
};
