/**
 * Leaderboards (chapter section 4.4): sorted-set boards, time-scoped boards, tie-breaks, memory, and a reference model.
 */
export {
  seedBoard,
  setScore,
  recordWin,
  topPlayers,
  pageOfPlayers,
  playerRank,
  playerScore,
  playersAround,
  boardSize,
  parseWithScores,
  type ScoredPlayer,
  type Standing,
  type SeedOptions,
  type SeedResult,
  type PipelineClient,
} from "./board.js";
export {
  AGGREGATES,
  DAY_MS,
  buildPeriodBoard,
  dayLabel,
  dayStart,
  dayTtlSeconds,
  recordDailyGames,
  secondsToLive,
  type Aggregate,
  type Game,
} from "./time-scoped.js";
export {
  MAX_EXACT_INTEGER,
  asDouble,
  collidingArrivals,
  compositeScore,
  decodeComposite,
  keepBestScore,
  maxExactScore,
  parseCompositeReply,
  submitWithTieBreak,
  type TieBreakConfig,
} from "./tie-break.js";
export {
  DEFAULT_LISTPACK_ENTRIES,
  boardEncoding,
  boardMemory,
  isCompactEncoding,
  listpackLimit,
  type ListpackLimit,
} from "./memory.js";
export { compareStandings, median, rankPlayers, rankPlayersCooperatively, unionScores, windowAround } from "./model.js";
export { generatePlayers, generatePlayersCooperatively, playerName, seededRandom } from "./seed.js";
