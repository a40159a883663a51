import {
  boardEncoding,
  boardMemory,
  boardSize,
  compareStandings,
  generatePlayersCooperatively,
  isCompactEncoding,
  listpackLimit,
  median,
  pageOfPlayers,
  playerRank,
  playersAround,
  rankPlayersCooperatively,
  recordWin,
  seedBoard,
  seededRandom,
  setScore,
  topPlayers,
  windowAround,
  type ListpackLimit,
  type ScoredPlayer,
  type Standing,
} from "../../src/patterns/leaderboard/index.js";
import { defineScenario, type ScenarioContext, type TableData } from "../../src/runner/types.js";
import {
  CHAPTER,
  boardKey,
  brief,
  defaultParams,
  firstDifference,
  megabytes,
  ms,
  round,
  sameStandings,
  scoreMapCooperatively,
  standingsTable,
  thousands,
  type LeaderboardParams,
} from "./params.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";

/** The chapter's example: ZADD … 1500 "player:alice", then ZINCRBY … 50 (won a game). */
const CHAPTER_SCORE = 1_500;
const WIN_POINTS = 50;
/** The chapter's figure for a sorted set with a million members, and the range we call agreement (×0.5 … ×2). */
const CHAPTER_BYTES_1M = 100e6;
/** Memory probes are built at the listpack limit and one past it; an absurd limit is not worth probing. */
const MAX_PROBE = 20_000;

interface Board {
  key: string;
  members: number;
  encoding: string | null;
  bytes: number | null;
  /** Some of its members, for rank queries on it. */
  sample: string[];
}

interface GlobalState {
  key: string;
  seeded: ScoredPlayer[];
  /** The reference model: player → score, updated with every write the scenario sends. */
  model: Map<string, number>;
  /** The model in ZREVRANGE order, computed once the writes are done. */
  ranked: Standing[];
  limit?: ListpackLimit;
  /** The listpack-limit probes (limit and limit + 1 members) and the main board. */
  probes: Board[];
  board?: Board;
}

type Ctx = ScenarioContext<LeaderboardParams>;

export default defineScenario<LeaderboardParams, GlobalState>({
  id: "leaderboard/global",
  title: (p) =>
    `A global board of ${thousands(p.players)} players: top ${p.top}, rank, neighbours, pages, memory, latency`,
  explain:
    "One sorted set: the score is the rating, the member the player. ZINCRBY adds a win atomically, ZREVRANGE reads the " +
    "top in O(log N + M), ZREVRANK gives a rank in O(log N). Every reply is compared with an independent sort of the " +
    "seeded data, and the chapter's memory and speed figures are measured on this server.",
  chapter: CHAPTER,
  defaults: defaultParams,
  // The board of every player, and two small probe boards at the listpack limit.
  footprint: (p) => p.players * B.zsetMember + 64 * 1024,
  init: () => ({ key: "", seeded: [], model: new Map(), ranked: [], probes: [] }),
  needs: ["ZADD", "ZCARD", "ZINCRBY", "ZREVRANGE", "ZREVRANK"],
  steps: (p) => [
    {
      title: `Seed ${thousands(p.players)} players in bulk: ${thousands(p.membersPerCommand)} members per ZADD, ${p.commandsPerPipeline} ZADDs per round trip`,
      say:
        "Scores are drawn by a seeded generator, so every run builds the same board and the model knows it exactly. One ZADD " +
        "per player would be a round trip each; many members per ZADD and several ZADDs per pipeline make a million players " +
        "a hundred round trips. Each ZADD blocks the server for its length, so a command carries thousands, not millions.",
      run: (ctx, state) => seed(ctx, state),
    },
    {
      title: `A game won: ZADD ${CHAPTER_SCORE} then ZINCRBY ${WIN_POINTS} for ${p.player}`,
      say: "The chapter's two writes. ZINCRBY adds on the server and returns the new score: no read-modify-write in the app, so concurrent wins never lose points.",
      run: (ctx, state) => gameWon(ctx, state),
    },
    {
      title: `Top ${p.top}: ZREVRANGE 0 ${p.top - 1} WITHSCORES`,
      say: "Highest score first (on Redis ≥ 6.2 also ZRANGE … REV). Equal scores come in reverse name order: ZREVRANGE reverses the whole order, the name tie-break included.",
      run: (ctx, state) => topList(ctx, state),
    },
    {
      title: `My rank: ZREVRANK ${p.player}, shown as a 1-based place`,
      say: "ZREVRANK counts from 0 for the best player; people read place = rank + 1.",
      run: (ctx, state) => myRank(ctx, state),
    },
    {
      title: `Players around me: rank ± ${p.radius}, and at both ends of the board`,
      say: `ZREVRANK, then ZREVRANGE (rank − ${p.radius}) (rank + ${p.radius}). At the top the start must be clamped to 0: a negative index would count from the end of the board. At the bottom Redis clamps the stop itself.`,
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
        "Small sorted sets are one flat listpack (a few bytes per member, O(N) updates); past zset-max-listpack-entries members " +
        "(or a member longer than zset-max-listpack-value bytes) Redis converts to a skiplist plus a hash table: O(log N), " +
        "but many times the bytes. MEMORY USAGE … SAMPLES 0 measures every element rather than a sample of 5.",
      run: (ctx, state) => memory(ctx, state),
    },
    {
      title: `Latency of top ${p.top} and of a rank query, ${p.repeat} times each, at ${thousands(p.players)} players and on a small board`,
      say: "Each command is timed where it is written to the socket (the trace's own latency), one after another; the median is reported. A local round trip dominates, so the board's size should barely show.",
      run: (ctx, state) => latency(ctx, state),
    },
  ],
});

async function seed(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  state.key = boardKey(ctx, "global");
  // A million players take seconds to build and sort: in slices, so Ctrl-C is honoured meanwhile.
  state.seeded = await generatePlayersCooperatively(p.players, { seed: p.seed, maxScore: p.maxScore }, ctx.signal);
  state.model = await scoreMapCooperatively(state.seeded, ctx.signal);
  // The model's order, sorted once here; later writes move single entries.
  state.ranked = await rankPlayersCooperatively(state.seeded, ctx.signal);
  const mark = ctx.commands().length;
  const started = performance.now();
  const result = await seedBoard(ctx.redis, state.key, state.seeded, {
    membersPerCommand: p.membersPerCommand,
    commandsPerPipeline: p.commandsPerPipeline,
    onProgress: (done, total) => ctx.progress(done, total, "players"),
    signal: ctx.signal,
  });
  const elapsed = performance.now() - started;
  const size = await boardSize(ctx.redis, state.key);
  const zadds = ctx
    .commands()
    .slice(mark)
    .filter((c) => c.argv[0] === "ZADD");
  const batches = new Set(zadds.map((c) => c.batch?.id ?? `single-${c.seq}`)).size;
  ctx.note(
    `${thousands(result.members)} players in ${thousands(result.commands)} ZADD command${result.commands === 1 ? "" : "s"} over ` +
      `${thousands(result.roundTrips)} round trip${result.roundTrips === 1 ? "" : "s"}: ${ms(elapsed)}, ` +
      `${thousands(Math.round(result.members / (elapsed / 1000)))} members/s`,
  );
  ctx.metric("players", p.players);
  ctx.metric("seedMs", round(elapsed));
  ctx.metric("seedCommands", result.commands);
  ctx.metric("seedRoundTrips", result.roundTrips);
  ctx.check("the board holds every seeded player, each added once", size === p.players && result.added === p.players, {
    expected: `${p.players} members, ${p.players} added`,
    actual: `${size} members, ${result.added} added`,
  });
  const perRoundTrip = p.membersPerCommand * p.commandsPerPipeline;
  const expected = `${Math.ceil(p.players / p.membersPerCommand)} ZADDs in ${Math.ceil(p.players / perRoundTrip)} pipelines`;
  ctx.check(
    "the trace shows the bulk load batched: many members per ZADD, many ZADDs per round trip",
    `${zadds.length} ZADDs in ${batches} pipelines` === expected,
    {
      expected,
      actual: `${zadds.length} ZADDs in ${batches} pipelines`,
    },
  );
}

async function gameWon(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const existed = state.model.has(p.player);
  const created = await setScore(ctx.redis, state.key, p.player, CHAPTER_SCORE);
  state.model.set(p.player, CHAPTER_SCORE);
  const after = await recordWin(ctx.redis, state.key, p.player, WIN_POINTS);
  const expected = (state.model.get(p.player) ?? 0) + WIN_POINTS;
  state.model.set(p.player, expected);
  state.ranked = moveInModel(state.ranked, p.player, expected);
  ctx.note(
    `${p.player} ${created ? "joined the board" : existed ? "was already seeded; the score was overwritten" : "was updated"}: ${CHAPTER_SCORE} + ${WIN_POINTS} = ${after}`,
  );
  ctx.check("ZINCRBY returned the score plus the points", after === expected, { expected, actual: after });
  ctx.check("ZADD said whether the player was new", created === !existed, { expected: !existed, actual: created });
}

/** The model's standings with `player` (re)placed at `score`: removed, inserted where ZREVRANGE would put it, re-ranked. */
function moveInModel(ranked: Standing[], player: string, score: number): Standing[] {
  const without = ranked.filter((s) => s.player !== player);
  const entry = { player, score, rank: 0 };
  let lo = 0;
  let hi = without.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareStandings(without[mid]!, entry) < 0) lo = mid + 1;
    else hi = mid;
  }
  without.splice(lo, 0, entry);
  for (let i = 0; i < without.length; i++) without[i]!.rank = i;
  return without;
}

async function topList(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const top = await topPlayers(ctx.redis, state.key, p.top);
  ctx.table(standingsTable(top, { mark: p.player }));
  const ties = top.filter((s, i) => i > 0 && s.score === top[i - 1]!.score).length;
  if (ties > 0)
    ctx.note(`${ties} tie${ties === 1 ? "" : "s"} in the top ${p.top}: equal scores listed in reverse name order`);
  const descending = top.every((s, i) => i === 0 || compareStandings(top[i - 1]!, s) < 0);
  ctx.check(`top ${p.top} in descending score order (ties by name, reversed)`, descending, {
    detail: brief(top.slice(0, 3)),
  });
  const expected = state.ranked.slice(0, p.top);
  ctx.check(`top ${p.top} equal an independent sort of the seeded data`, sameStandings(top, expected), {
    expected: brief(expected.slice(0, 3)),
    actual: brief(top.slice(0, 3)),
    detail: firstDifference(top, expected),
  });
}

async function myRank(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const rank = await playerRank(ctx.redis, state.key, p.player);
  const expected = state.ranked.findIndex((s) => s.player === p.player);
  ctx.note(
    rank === null
      ? `${p.player} is not on the board`
      : `${p.player}: rank ${rank} → place ${thousands(rank + 1)} of ${thousands(state.ranked.length)}`,
  );
  ctx.metric("place", rank === null ? null : rank + 1);
  ctx.check("ZREVRANK equals the player's position in the model", rank === expected, { expected, actual: rank });
}

async function aroundMe(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const first = state.ranked[0]!;
  const last = state.ranked[state.ranked.length - 1]!;
  const cases: { label: string; player: string }[] = [
    { label: `around ${p.player}`, player: p.player },
    { label: `at the top (rank 0: ${first.player})`, player: first.player },
    { label: `at the bottom (rank ${state.ranked.length - 1}: ${last.player})`, player: last.player },
  ];
  for (const c of cases) {
    const { rank, standings } = await playersAround(ctx.redis, state.key, c.player, p.radius);
    const at = state.ranked.findIndex((s) => s.player === c.player);
    const expected = windowAround(state.ranked, at, p.radius);
    ctx.table(standingsTable(standings, { title: `${c.label}: ${standings.length} players`, mark: c.player }));
    ctx.check(
      `players ${c.label} equal the model's window, clamped at the ends`,
      rank === at && sameStandings(standings, expected),
      {
        expected: `rank ${at}, ${brief(expected.slice(0, 2))} … (${expected.length})`,
        actual: `rank ${rank}, ${brief(standings.slice(0, 2))} … (${standings.length})`,
        detail: firstDifference(standings, expected),
      },
    );
  }
}

async function page(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const pages = Math.ceil(state.ranked.length / p.top);
  const standings = await pageOfPlayers(ctx.redis, state.key, p.page, p.top);
  const expected = state.ranked.slice((p.page - 1) * p.top, p.page * p.top);
  ctx.table(standingsTable(standings, { title: `page ${p.page} of ${thousands(pages)}`, mark: p.player }));
  if (standings.length === 0)
    ctx.note(`page ${p.page} is past the end (${thousands(pages)} pages): an empty reply, not an error`);
  ctx.check(`page ${p.page} equals the model's slice`, sameStandings(standings, expected), {
    detail: firstDifference(standings, expected),
  });
}

async function inspect(
  ctx: Ctx,
  key: string,
  members: number,
  sample: string[],
): Promise<Board & { refused?: string }> {
  const encoding = await boardEncoding(ctx.redis, key);
  const { bytes, refused } = await boardMemory(ctx.redis, key);
  return { key, members, encoding, bytes, sample, ...(refused ? { refused } : {}) };
}

async function memory(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const limit = await listpackLimit(ctx.redis);
  state.limit = limit;
  if (limit.source === "config") ctx.note(`${limit.setting} = ${limit.entries} on this server (CONFIG GET)`);
  else ctx.note(`CONFIG GET was refused (${limit.refused}): assuming Redis's default ${limit.entries}`);
  ctx.metric("listpackEntries", limit.entries);

  if (limit.entries + 1 <= MAX_PROBE) {
    // Two small boards from the seeded players: exactly at the limit, and one past it.
    for (const size of [limit.entries, limit.entries + 1]) {
      const key = boardKey(ctx, "probe", size);
      const members = state.seeded.slice(0, size);
      // The seed may hold fewer players than the limit: top the probe up with more generated names.
      for (let i = members.length; i < size; i++) members.push({ player: `player:probe-${i}`, score: i });
      await seedBoard(ctx.redis, key, members, {
        membersPerCommand: p.membersPerCommand,
        commandsPerPipeline: p.commandsPerPipeline,
      });
      state.probes.push(
        await inspect(
          ctx,
          key,
          size,
          members.map((m) => m.player),
        ),
      );
    }
    const [atLimit, pastLimit] = state.probes;
    ctx.check(
      `encoding switches from listpack to skiplist past ${limit.setting} (${limit.entries})`,
      isCompactEncoding(atLimit!.encoding ?? null) && pastLimit!.encoding === "skiplist",
      {
        expected: `${limit.entries} members: listpack, ${limit.entries + 1}: skiplist`,
        actual: `${limit.entries}: ${atLimit!.encoding}, ${limit.entries + 1}: ${pastLimit!.encoding}`,
      },
    );
  } else {
    ctx.note(`the limit is ${thousands(limit.entries)} members: no probes built (over ${thousands(MAX_PROBE)})`);
  }

  const board = await inspect(
    ctx,
    state.key,
    state.ranked.length,
    state.seeded.map((s) => s.player),
  );
  state.board = board;
  if (board.refused) ctx.note(`MEMORY USAGE was refused (${board.refused}): bytes unknown`);
  const perMember = (b: Board) => (b.bytes === null ? null : round(b.bytes / b.members, 1));
  const rows: TableData["rows"] = [...state.probes, board].map((b) => [
    b.key === state.key ? "the board" : `probe`,
    b.members,
    b.encoding,
    b.bytes,
    perMember(b),
  ]);
  ctx.table({ columns: ["sorted set", "members", "encoding", "bytes", "bytes/member"], rows });
  const big = board.members > limit.entries;
  ctx.check(
    `the board (${thousands(board.members)} members) has the encoding its size implies`,
    big ? board.encoding === "skiplist" : isCompactEncoding(board.encoding),
    {
      expected: big ? "skiplist" : "listpack",
      actual: board.encoding,
    },
  );

  ctx.metric("bytesPerMember", perMember(board));
  const compact = state.probes[0];
  const skiplist = state.probes[1];
  ctx.metric("bytesPerMemberListpack", compact ? perMember(compact) : null);
  ctx.metric(
    "bytesPerMemberSkiplist",
    board.encoding === "skiplist" ? perMember(board) : skiplist ? perMember(skiplist) : null,
  );
  if (compact?.bytes != null && skiplist?.bytes != null) {
    ctx.note(
      `one member more, ${round(skiplist.bytes / compact.bytes, 1)}× the bytes: ${compact.bytes} B as a listpack, ${skiplist.bytes} B as a skiplist`,
    );
  }

  // Extrapolate from the biggest skiplist measured: the board itself when it is one, else the probe past the limit.
  const basis = board.encoding === "skiplist" ? board : skiplist;
  if (basis?.bytes == null) {
    ctx.metric("projected1MBytes", null);
    ctx.figure({
      what: "memory of a sorted set with 1M members",
      chapter: "~100 MB",
      measured: "unknown (MEMORY USAGE refused, or no skiplist measured)",
    });
    return;
  }
  const projected = Math.round((basis.bytes / basis.members) * 1e6);
  ctx.metric("projected1MBytes", projected);
  const measuredAt =
    basis.members >= 1e6
      ? `measured at ${thousands(basis.members)} members`
      : `extrapolated from ${thousands(basis.members)} members`;
  ctx.figure({
    what: "memory of a sorted set with 1M members",
    chapter: "~100 MB",
    measured: `${megabytes(projected)} (${measuredAt}, ${round(basis.bytes / basis.members, 1)} B each)`,
    agrees: projected >= CHAPTER_BYTES_1M / 2 && projected <= CHAPTER_BYTES_1M * 2,
    note: `members like "${basis.sample[0] ?? ""}" (${Buffer.byteLength(basis.sample[0] ?? "")} bytes); longer names cost more; "agrees" means within ×0.5–×2`,
  });
}

/** Run `call` `times` times, one after another, and return each command's latency as the trace recorded it. */
async function timed(ctx: Ctx, times: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const mark = ctx.commands().length;
  for (let i = 0; i < times; i++) await call(i);
  return ctx
    .commands()
    .slice(mark)
    .map((c) => c.ms);
}

async function latency(ctx: Ctx, state: GlobalState): Promise<void> {
  const p = ctx.params;
  const random = seededRandom(p.seed + 1);
  // The small board past the listpack limit (a skiplist too, so only the size differs), then the chosen board.
  const boards = [state.probes[1], state.board].filter((b): b is Board => b !== undefined);
  const results: { board: Board; top: number; rank: number }[] = [];
  for (const board of boards) {
    const top = median(await timed(ctx, p.repeat, () => topPlayers(ctx.redis, board.key, p.top)));
    // A different (seeded) player each time, anywhere on the board.
    const rank = median(
      await timed(ctx, p.repeat, () =>
        playerRank(ctx.redis, board.key, board.sample[Math.floor(random() * board.sample.length)]!),
      ),
    );
    results.push({ board, top, rank });
  }
  ctx.table({
    columns: ["sorted set", "members", `top ${p.top} p50`, "rank p50"],
    rows: results.map((r) => [
      r.board.key === state.key ? "the board" : "small probe",
      r.board.members,
      ms(r.top),
      ms(r.rank),
    ]),
  });
  const main = results.find((r) => r.board.key === state.key)!;
  const small = results.find((r) => r.board.key !== state.key);
  ctx.metric("topNMs", round(main.top, 4));
  ctx.metric("rankMs", round(main.rank, 4));
  ctx.metric("latencySamples", p.repeat);
  const growth = small ? main.top / small.top : undefined;
  ctx.figure({
    what: `top-${p.top} read (ZREVRANGE, O(log N + M))`,
    chapter: "fast even with millions of members",
    measured:
      `p50 ${ms(main.top)} at ${thousands(main.board.members)} members` +
      (small ? `, ${ms(small.top)} at ${thousands(small.board.members)} (×${round(growth!, 2)})` : "") +
      `; rank p50 ${ms(main.rank)}`,
    ...(growth !== undefined && main.board.members > small!.board.members ? { agrees: growth <= 2 } : {}),
    note: 'round trips as the client sees them; "agrees" means the bigger board is at most 2× slower',
  });
}
