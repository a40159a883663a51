/** `leaderboard --variant global`: one sorted set for every player, as the chapter builds it, checked and measured. */
import { defineScenario } from "../../src/runner/types.js";
import { CHAPTER, defaultParams, thousands, type LeaderboardParams } from "./params.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";
import { latency, memory } from "./global-cost.js";
import {
  aroundMe,
  CHAPTER_SCORE,
  gameWon,
  myRank,
  page,
  seed,
  topList,
  WIN_POINTS,
  type GlobalState,
} from "./global-steps.js";

export default defineScenario<LeaderboardParams, GlobalState>({
  id: "leaderboard/global",
  title: (p) =>
    `A global board of ${thousands(p.players)} players: top ${p.top}, rank, neighbours, pages, memory, latency`,
  explain:
    "One sorted set: the score is the rating, the member the player. ZINCRBY adds a win atomically, ZREVRANGE reads " +
    "the top in O(log N + M), ZREVRANK gives a rank in O(log N). Every reply is compared with an independent sort of " +
    "the seeded data, and the chapter's memory and speed figures are measured on this server.",
  chapter: CHAPTER,
  defaults: defaultParams,
  // The board of every player, and two small probe boards at the listpack limit.
  footprint: (p) => p.players * B.zsetMember + 64 * 1024,
  init: () => ({ key: "", seeded: [], model: new Map(), ranked: [], probes: [] }),
  needs: ["ZADD", "ZCARD", "ZINCRBY", "ZREVRANGE", "ZREVRANK"],
  steps: (p) => [
    {
      title:
        `Seed ${thousands(p.players)} players in bulk: ${thousands(p.membersPerCommand)} members per ZADD, ` +
        `${p.commandsPerPipeline} ZADDs per round trip`,
      say:
        "Scores are drawn by a seeded generator, so every run builds the same board and the model knows it exactly. " +
        "One ZADD per player would be a round trip each; many members per ZADD and several ZADDs per pipeline make a " +
        "million players a hundred round trips. Each ZADD blocks the server for its length, so a command carries " +
        "thousands, not millions.",
      run: (ctx, state) => seed(ctx, state),
    },
    {
      title: `A game won: ZADD ${CHAPTER_SCORE} then ZINCRBY ${WIN_POINTS} for ${p.player}`,
      say:
        "The chapter's two writes. ZINCRBY adds on the server and returns the new score: no read-modify-write in the " +
        "app, so concurrent wins never lose points.",
      run: (ctx, state) => gameWon(ctx, state),
    },
    {
      title: `Top ${p.top}: ZREVRANGE 0 ${p.top - 1} WITHSCORES`,
      say:
        "Highest score first (on Redis ≥ 6.2 also ZRANGE … REV). Equal scores come in reverse name order: ZREVRANGE " +
        "reverses the whole order, the name tie-break included.",
      run: (ctx, state) => topList(ctx, state),
    },
    {
      title: `My rank: ZREVRANK ${p.player}, shown as a 1-based place`,
      say: "ZREVRANK counts from 0 for the best player; people read place = rank + 1.",
      run: (ctx, state) => myRank(ctx, state),
    },
    {
      title: `Players around me: rank ± ${p.radius}, and at both ends of the board`,
      say:
        `ZREVRANK, then ZREVRANGE (rank − ${p.radius}) (rank + ${p.radius}). At the top the start must be clamped to ` +
        "0: a negative index would count from the end of the board. At the bottom Redis clamps the stop itself.",
      run: (ctx, state) => aroundMe(ctx, state),
    },
    {
      title: `A paged view: page ${p.page}, ${p.top} per page`,
      say: "Page k is ZREVRANGE (k−1)·size k·size−1: O(log N + size) wherever the page is, unlike OFFSET in SQL.",
      run: (ctx, state) => page(ctx, state),
    },
    {
      title: "Memory: the compact listpack for small boards, the skiplist past zset-max-listpack-entries",
      say:
        "Small sorted sets are one flat listpack (a few bytes per member, O(N) updates); past " +
        "zset-max-listpack-entries members (or a member longer than zset-max-listpack-value bytes) Redis converts to " +
        "a skiplist plus a hash table: O(log N), but many times the bytes. MEMORY USAGE … SAMPLES 0 measures every " +
        "element rather than a sample of 5.",
      run: (ctx, state) => memory(ctx, state),
    },
    {
      title:
        `Latency of top ${p.top} and of a rank query, ${p.repeat} times each, at ${thousands(p.players)} players and ` +
        "on a small board",
      say:
        "Each command is timed where it is written to the socket (the trace's own latency), one after another; the " +
        "median is reported. A local round trip dominates, so the board's size should barely show.",
      run: (ctx, state) => latency(ctx, state),
    },
  ],
});
