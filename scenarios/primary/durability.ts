/**
 * `primary`: Redis as the only copy of an app's data under one persistence setting (none, RDB, AOF everysec, AOF
 * always): paced writes, a real SIGKILL, a restart from the files, and every acknowledged write that did not come
 * back counted against what the setting promises. One scenario per setting.
 */
import { describeSetting, type PersistenceSetting } from "../../src/patterns/primary/index.js";
import { defineScenario, type ScenarioDef } from "../../src/runner/types.js";
import { noServerBinary } from "./server.js";
import type { DurabilityState } from "./durability-state.js";
import { restartAndRead, seedUseCases, startServer, writeUntilKill } from "./durability-steps.js";
import { verdict } from "./durability-verdict.js";
import { CHAPTER, killMoment, primaryDefaults, type PrimaryParams } from "./params.js";

export { CHAPTER, CHAPTER_CLAIM, killMoment, primaryDefaults, type PrimaryParams } from "./params.js";
export type { DurabilityState } from "./durability-state.js";

export function durabilityScenario(setting: PersistenceSetting): ScenarioDef<PrimaryParams, DurabilityState> {
  return defineScenario<PrimaryParams, DurabilityState>({
    id: `primary/${setting}`,
    title: (p) =>
      `Redis as the primary database under ${describeSetting(setting, p.rdbSave)}: ` +
      `SIGKILL after ${killMoment(p)} ms, acknowledged writes lost`,
    explain:
      "A cart, feature flags, game state and sessions live only in Redis: no database behind it. A throwaway " +
      "redis-server (started for this run, so it can really be killed) takes a paced stream of writes; each write " +
      "the server answers is acknowledged to the app. Then the process gets SIGKILL, is started again from its " +
      "files, and every acknowledged write that did not come back is counted.",
    chapter: CHAPTER,
    defaults: primaryDefaults,
    unavailable: noServerBinary,
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
        say:
          "A crash must be real, so the data lives on a server this run starts, kills and restarts; " +
          "the server at --url is not touched.",
        run: (ctx, state) => startServer(ctx, state, setting),
      },
      {
        title: "The four use cases, as data that lives only in Redis",
        say:
          "Carts are hashes per user (HINCRBY), flags one hash read on every request from a local copy that " +
          "PUBLISH refreshes, a match a hash changed only by a Lua script (atomic), a session a hash changed in " +
          "MULTI/EXEC with a sliding PEXPIRE.",
        run: (ctx, state) => seedUseCases(ctx, state, setting),
      },
      {
        title: `Writes stream in (${p.rate}/s, each acknowledged by the server); SIGKILL after ${killMoment(p)} ms`,
        say:
          "Each use case writes on its own connection, one write at a time: a write counts as acknowledged once " +
          "its reply arrived. SIGKILL gives Redis no chance to save or flush anything.",
        run: (ctx, state) => writeUntilKill(ctx, state, setting),
      },
      {
        title: "Restarted from its files: what came back",
        say:
          "The same binary, port and directory: Redis loads the RDB snapshot or replays the AOF, then the counts " +
          "each use case keeps are read back.",
        run: (ctx, state) => restartAndRead(ctx, state, setting),
      },
      {
        title: "Verdict: lost against what the setting promises",
        run: async (ctx, state) => verdict(ctx, state, setting),
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
