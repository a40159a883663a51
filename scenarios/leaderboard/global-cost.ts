/**
 * What the global leaderboard costs: its memory at the listpack limit, one past it and at the run's size (against the
 * chapter's figure for a million members), and the latency of its reads.
 */
import {
  isCompactEncoding,
  listpackLimit,
  median,
  playerRank,
  seedBoard,
  seededRandom,
  topPlayers,
} from "../../src/patterns/leaderboard/index.js";
import { commandsNamed } from "../../src/runner/evidence.js";
import type { TableData } from "../../src/runner/types.js";
import { boardKey, megabytes, ms, round, thousands } from "./params.js";
import { inspect, type Board, type Ctx, type GlobalState } from "./global-steps.js";

/** The chapter's figure for a sorted set with a million members, and the range we call agreement (×0.5 … ×2). */
const CHAPTER_BYTES_1M = 100e6;

/** Memory probes are built at the listpack limit and one past it; an absurd limit is not worth probing. */
const MAX_PROBE = 20_000;

export async function memory(ctx: Ctx, state: GlobalState): Promise<void> {
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
        evidence: () => ({ commands: commandsNamed(ctx.commands(), ["CONFIG", "OBJECT"]) }),
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
      evidence: () => ({
        commands: commandsNamed(ctx.commands(), ["OBJECT"]).slice(-1),
        values: { members: board.members, [limit.setting]: limit.entries },
      }),
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
      `one member more, ${round(skiplist.bytes / compact.bytes, 1)}× the bytes: ${compact.bytes} B as a listpack, ` +
        `${skiplist.bytes} B as a skiplist`,
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
    note:
      `members like "${basis.sample[0] ?? ""}" (${Buffer.byteLength(basis.sample[0] ?? "")} bytes); longer names ` +
      `cost more; "agrees" means within ×0.5–×2`,
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

export async function latency(ctx: Ctx, state: GlobalState): Promise<void> {
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
