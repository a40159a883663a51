import type { ScoredPlayer } from "./board.js";

export { seededRandom } from "../shared/random.js";
import { seededRandom } from "../shared/random.js";
import { buildArray } from "../shared/cooperative.js";

/** `player:0001` … `player:1000`: zero-padded, so names sort like numbers and all have the same length. */
export function playerName(i: number, count: number): string {
  return `player:${String(i).padStart(Math.max(4, String(count).length), "0")}`;
}

/** `count` players with whole-number scores drawn uniformly from [0, maxScore] by a seeded generator. */
export function generatePlayers(count: number, options: { seed: number; maxScore: number }): ScoredPlayer[] {
  const random = seededRandom(options.seed);
  const out: ScoredPlayer[] = new Array(count);
  for (let i = 0; i < count; i++)
    out[i] = { player: playerName(i + 1, count), score: Math.floor(random() * (options.maxScore + 1)) };
  return out;
}

/** generatePlayers in slices that let the event loop in (the same players): Ctrl-C stops a million-player build. */
export async function generatePlayersCooperatively(
  count: number,
  options: { seed: number; maxScore: number },
  signal?: AbortSignal,
): Promise<ScoredPlayer[]> {
  const random = seededRandom(options.seed);
  return buildArray(
    count,
    (i) => ({ player: playerName(i + 1, count), score: Math.floor(random() * (options.maxScore + 1)) }),
    signal,
  );
}
